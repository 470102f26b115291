# METADATA
# title: Storage account refuses shared-key access
# description: >-
#   While the storage account accepts shared-key requests
#   (allowSharedKeyAccess true, or null, which Azure treats as true), its
#   static keys keep working beside workload identity. The documented steps
#   never turn it off, so the documented setup gets this finding.
# related_resources:
#   - ref: https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
# custom:
#   id: WI-AZ-007
#   severity: medium
#   remediation: >-
#     az storage account update --name <account> --resource-group <group>
#     --allow-shared-key-access false (check first that nothing else uses
#     the keys or a SAS signed with them).
package wiscan.azure.shared_key

import data.wiscan.lib.azure

# accounts are the storage accounts the Azure targets back up to.
accounts contains name if {
	some name in {s.account | some client, _ in azure.uses; some s in azure.storages[client]}
	name != ""
}

deny contains f if {
	some name in accounts
	acc := input.azure.storageAccounts[name]
	acc.allowSharedKeyAccess != false
	f := {
		"msg": sprintf("storage account %s allows shared-key access (allowSharedKeyAccess %s): its static keys keep working beside workload identity", [name, format(acc.allowSharedKeyAccess)]),
		"resource": object.union({"kind": "StorageAccount", "name": acc.id}, object.get(acc, "source", {})),
		"key": "shared-key",
		"evidence": {"account": acc.id, "allowSharedKeyAccess": acc.allowSharedKeyAccess},
		"fix": {"action": "disable-shared-key", "kind": "StorageAccount", "name": acc.id},
	}
}

format(null) := "null, which Azure treats as true"

format(true) := "true"

unknown contains {"msg": msg, "resource": {"kind": "StorageAccount", "name": name}} if {
	some name in accounts
	not input.azure.storageAccounts[name]
	msg := account_unknown
}

account_unknown := azure.not_collected_msg if not azure.collected

else := "the storage account was not read"

not_applicable contains why if some why in azure.identities_not_applicable
