package wiscan.azure.identity_exists_test

import data.wiscan.azure.identity_exists as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

annotated(id) := {"sa_annotations": {"azure.workload.identity/client-id": id}}

other := "0f0f0f0f-0000-4000-8000-000000000000"

absent := {"az_identities": object.union(fx.azure({}).identities, {other: {"clientId": other, "found": false, "federatedCredentials": null, "assignments": false, "denyAssignments": false}})}

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	# Upper case is the same GUID.
	"client ID in upper case": {"input": fx.space_azure(annotated(upper(fx.az_client))), "want": {"deny": set(), "unknown": set()}},
	"principal ID in place of the client ID": {"input": fx.space_azure(annotated(fx.az_principal)), "want": {"deny": {sprintf("ManagedIdentity /%s", [fx.az_principal])}, "unknown": set()}},
	"resource ID in place of the client ID": {"input": fx.space_azure(annotated(fx.az_identity_id)), "want": {"deny": {sprintf("ManagedIdentity /%s", [lower(fx.az_identity_id)])}, "unknown": set()}},
	# The subscriptions in scope were listed: the ID is proven absent.
	"client ID of no identity": {"input": fx.space_azure(object.union(annotated(other), absent)), "want": {"deny": {sprintf("ManagedIdentity /%s", [other])}, "unknown": set()}},
	# Neither listed nor read: only unknown.
	"client ID not read": {"input": fx.space_azure(annotated(other)), "want": {"deny": set(), "unknown": {sprintf("ManagedIdentity /%s", [other])}}},
	"azure not collected": {"input": fx.space(fx.azure_k8s({})), "want": {"deny": set(), "unknown": {sprintf("ManagedIdentity /%s", [fx.az_client])}}},
	"service account unreadable": {"input": fx.space_azure({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

test_principal_id_message if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(annotated(fx.az_principal))
	contains(f.msg, "is the principal (object) ID of identity backup-restore-identity, not a client ID: its client ID is 8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e")
}
