package wiscan.azure.credential_limit_test

import data.wiscan.azure.credential_limit as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

creds(n) := {"az_identity": {"federatedCredentials": [fx.az_credential(sprintf("cp-%d", [i]), sprintf("system:serviceaccount:mxp-%d-system:mxp-controller", [i])) | some i in numbers.range(1, n)]}}

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"15 credentials pass": {"input": fx.space_azure(creds(15)), "want": {"deny": set(), "unknown": set()}},
	"16 credentials warn": {"input": fx.space_azure(creds(16)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"20 credentials: the limit": {"input": fx.space_azure(creds(20)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"credentials not read": {"input": fx.space_azure({"az_identity": {"federatedCredentials": null}}), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
}

test_messages if {
	[f16] := [f | some f in control.deny] with input as fx.space_azure(creds(16))
	f16.msg == "identity backup-restore-identity holds 16 of Azure's 20 federated credentials: 4 more control plane(s) fit"
	[f20] := [f | some f in control.deny] with input as fx.space_azure(creds(20))
	f20.msg == "identity backup-restore-identity holds 20 of Azure's 20 federated credentials: no further control plane can get a credential"
}
