package wiscan.azure.storage_scope_test

import data.wiscan.azure.storage_scope as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

roles := sprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/", [fx.az_sub])

sbdo := concat("", [roles, "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"])

contributor := concat("", [roles, "b24988ac-6180-42a0-ab88-20f7382dd24c"])

custom_id := concat("", [roles, "0a0a0a0a-0000-0000-0000-000000000001"])

custom := {"0a0a0a0a-0000-0000-0000-000000000001": {"id": custom_id, "name": "blobs star", "permissions": [{"actions": [], "notActions": [], "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"], "notDataActions": []}]}}

assigned(scope, role) := {"az_assignments": [fx.az_assignment("a1", scope, role)]}

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"SBDC at subscription scope": {"input": fx.space_azure(assigned(sprintf("/subscriptions/%s", [fx.az_sub]), fx.az_sbdc)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"SBDC at resource group scope": {"input": fx.space_azure(assigned(fx.az_rg, fx.az_sbdc)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"Storage Blob Data Owner on the account": {"input": fx.space_azure(assigned(fx.az_account, sbdo)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"Contributor on the account": {"input": fx.space_azure(assigned(fx.az_account, contributor)), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"custom role with blobs/*": {"input": fx.space_azure(object.union(assigned(fx.az_account, custom_id), {"az_definitions": custom})), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"unknown custom role": {"input": fx.space_azure(assigned(fx.az_account, custom_id)), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
	"malformed scope": {"input": fx.space_azure(assigned("/subscriptions/x/resourceGroups/rg", fx.az_sbdc)), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
	"broad grant through a group": {"input": fx.space_azure({"az_assignments": [object.union(fx.az_assignment("g1", fx.az_rg, fx.az_sbdc), {"principalId": "99999999-2222-3333-4444-555555555555", "principalType": "Group"})]}), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"assignments not listed": {"input": fx.space_azure({"az_identity": {"assignments": false}}), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
}

msg(o) := m if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(o)
	m := f.msg
}

test_scope_named if {
	msg(assigned(fx.az_rg, fx.az_sbdc)) == sprintf("identity backup-restore-identity holds Storage Blob Data Contributor at resource group scope %s, above storage account spacesbackups: it reaches every account there", [fx.az_rg])
}

test_witness_named if {
	contains(msg(assigned(fx.az_account, contributor)), "which allows Microsoft.Storage/storageAccounts/listkeys/action beyond Storage Blob Data Contributor")
	contains(msg(assigned(fx.az_account, sbdo)), "which allows Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action beyond")
}

# The broad assignment is removed by hand, named by its ID.
# The fix removes the broad assignment after giving the identity Storage
# Blob Data Contributor on the account itself; a group's assignment serves
# others too, and gets only the removal, which stays by hand.
test_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(assigned(fx.az_rg, fx.az_sbdc))
	f.fix == {"action": "unassign", "kind": "ManagedIdentity", "name": fx.az_identity_id, "assignment": "a1", "principal": fx.az_principal, "role": "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "scope": fx.az_account}
}

test_fix_through_a_group if {
	group := object.union(fx.az_assignment("g1", fx.az_rg, fx.az_sbdc), {"principalId": "99999999-2222-3333-4444-555555555555", "principalType": "Group"})
	[f] := [f | some f in control.deny] with input as fx.space_azure({"az_assignments": [group], "az_groups": ["99999999-2222-3333-4444-555555555555"]})
	f.fix == {"action": "unassign", "kind": "ManagedIdentity", "name": fx.az_identity_id, "assignment": "g1"}
}
