package wiscan.azure.federated_credential_test

import data.wiscan.azure.federated_credential as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

with_creds(cs) := {"az_identity": {"federatedCredentials": cs}}

other_subject := "system:serviceaccount:mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system:mxp-controller"

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"issuer with a trailing slash too few": {"input": fx.space_azure(with_creds([object.union(fx.az_credential("cp", fx.subject), {"issuer": trim_right(fx.az_issuer, "/")})])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"subject in another case": {"input": fx.space_azure(with_creds([fx.az_credential("cp", upper(fx.subject))])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"subject of another namespace": {"input": fx.space_azure(with_creds([fx.az_credential("cp", other_subject)])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"wrong audience": {"input": fx.space_azure(with_creds([object.union(fx.az_credential("cp", fx.subject), {"audiences": ["api://AzureADTokenExchange/"]})])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"no credential": {"input": fx.space_azure(with_creds([])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# The documented name reused for another control plane replaced this
	# one's credential.
	"documented name overwritten": {"input": fx.space_azure(with_creds([fx.az_credential("backup-restore-federated-identity", other_subject)])), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"a match among others passes": {"input": fx.space_azure(with_creds([fx.az_credential("a", other_subject), fx.az_credential("b", fx.subject)])), "want": {"deny": set(), "unknown": set()}},
	"credentials not read": {"input": fx.space_azure(with_creds(null)), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"issuer unknown": {"input": fx.space_azure({"az_cluster": object.union(fx.azure({}).cluster, {"oidcIssuer": ""})}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"azure not collected": {"input": fx.space(fx.azure_k8s({})), "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

# The finding names the closest credential and how it differs.
msg(o) := m if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(o)
	m := f.msg
}

test_trailing_slash_named if {
	contains(msg(with_creds([object.union(fx.az_credential("cp", fx.subject), {"issuer": trim_right(fx.az_issuer, "/")})])), "the closest, cp, its issuer https://eastus.oic.prod-aks.azure.com/00000000-aaaa-bbbb-cccc-000000000000/11111111-aaaa-bbbb-cccc-111111111111 differs from the cluster's https://eastus.oic.prod-aks.azure.com/00000000-aaaa-bbbb-cccc-000000000000/11111111-aaaa-bbbb-cccc-111111111111/ only by the trailing slash")
}

test_case_named if {
	contains(msg(with_creds([fx.az_credential("cp", upper(fx.subject))])), "differs only in case (subjects are case-sensitive)")
}

test_overwrite_explained if {
	m := msg(with_creds([fx.az_credential("backup-restore-federated-identity", other_subject)]))
	contains(m, "credential backup-restore-federated-identity, the documented name, holds control plane mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system's subject")
}

test_closest_is_fewest_differences if {
	far := object.union(fx.az_credential("a-far", other_subject), {"issuer": "https://elsewhere.example/"})
	m := msg(with_creds([far, object.union(fx.az_credential("b-near", fx.subject), {"audiences": ["x"]})]))
	contains(m, "the closest, b-near, its audiences are [x]")
}

# The fix creates this control plane's credential with the exact issuer,
# subject and audience.
test_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(with_creds([fx.az_credential("backup-restore-federated-identity", other_subject)]))
	f.fix == {"action": "federate", "kind": "ManagedIdentity", "name": fx.az_identity_id, "identity": fx.az_identity_id, "issuer": fx.az_issuer, "subjects": [fx.subject], "audience": "api://AzureADTokenExchange"}
}
