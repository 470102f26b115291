package wiscan.azure.storage_access_test

import data.wiscan.azure.storage_access as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

roles := sprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/", [fx.az_sub])

group := "99999999-2222-3333-4444-555555555555"

via_group := object.union(fx.az_assignment("g1", fx.az_account, fx.az_sbdc), {"principalId": group, "principalType": "Group"})

with_condition(c) := {"az_assignments": [object.union(fx.az_assignment("a1", fx.az_account, fx.az_sbdc), {"condition": c})]}

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"SBDC on the container passes": {"input": fx.space_azure({"az_assignments": [fx.az_assignment("a1", sprintf("%s/blobServices/default/containers/backups", [fx.az_account]), fx.az_sbdc)]}), "want": {"deny": set(), "unknown": set()}},
	"no grant": {"input": fx.space_azure({"az_assignments": []}), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"reader only": {"input": fx.space_azure({"az_assignments": [fx.az_assignment("a1", fx.az_account, concat("", [roles, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"]))]}), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"grant through a group, proven": {"input": fx.space_azure({"az_assignments": [via_group]}), "want": {"deny": set(), "unknown": set()}},
	"grant through a group, not proven": {"input": fx.space_azure({"az_assignments": [via_group], "az_identity": {"assignments": false}}), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
	"deny assignment on write": {"input": fx.space_azure({"az_deny": [{"id": "d1", "scope": fx.az_rg, "principals": ["00000000-0000-0000-0000-000000000000"], "excludePrincipals": [], "permissions": [{"actions": [], "notActions": [], "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"], "notDataActions": []}]}]}), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"ABAC condition limited to another container": {"input": fx.space_azure(with_condition("((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'other'))")), "want": {"deny": {fx.az_identity_key}, "unknown": set()}},
	"ABAC condition on the backup container": {"input": fx.space_azure(with_condition("(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'backups')")), "want": {"deny": set(), "unknown": set()}},
	"storage account not named": {"input": fx.space_azure({"bc_config": {"storage_account": ""}}), "want": {"deny": set(), "unknown": {fx.az_identity_key}}},
	"azure not collected": {"input": fx.space(fx.azure_k8s({})), "want": {"deny": set(), "unknown": {sprintf("ManagedIdentity /%s", [fx.az_client])}}},
}

test_missing_names_actions if {
	[f] := [f | some f in control.deny] with input as fx.space_azure({"az_assignments": [fx.az_assignment("a1", fx.az_account, concat("", [roles, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"]))]})
	startswith(f.msg, "identity backup-restore-identity cannot delete, write on container backups of storage account spacesbackups: Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete is not granted at the container or any scope above it; Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write is not granted")
	f.key == "spacesbackups/backups"
}

test_denied_names_deny if {
	[f] := [f | some f in control.deny] with input as fx.space_azure({"az_deny": [{"id": "d1", "scope": fx.az_rg, "principals": [fx.az_principal], "excludePrincipals": [], "permissions": [{"actions": [], "notActions": [], "dataActions": ["*"], "notDataActions": []}]}]})
	contains(f.msg, "is granted by a1 but denied by deny assignment d1")
}

# A missing grant is fixed by Storage Blob Data Contributor on the
# account; a denied one only by hand (no fix).
test_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_azure({"az_assignments": []})
	f.fix == {"action": "assign-role", "kind": "ManagedIdentity", "name": fx.az_identity_id, "principal": fx.az_principal, "role": "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "scope": fx.az_account}
	[d] := [d | some d in control.deny] with input as fx.space_azure({"az_deny": [{"id": "d1", "scope": fx.az_rg, "principals": [fx.az_principal], "excludePrincipals": [], "permissions": [{"actions": [], "notActions": [], "dataActions": ["*"], "notDataActions": []}]}]})
	not d.fix
}

# A condition on blob paths that refuses some blobs of the container:
# missing, with the refused path as witness.
test_path_condition_witness if {
	cond := "(!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'}) OR @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringNotEquals 'locked')"
	[f] := [f | some f in control.deny] with input as fx.space_azure(with_condition(cond))
	contains(f.msg, "blobs/delete is granted by a1 only where its condition admits the blob: it refuses blob \"locked\", for one")
}
