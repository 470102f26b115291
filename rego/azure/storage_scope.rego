# METADATA
# title: Storage access no broader than the backup account
# description: >-
#   The identity holds no role assignment above the storage account
#   (resource group, subscription, management group), whatever the role,
#   and no role at the account or below whose actions or data actions
#   (wildcards expanded, notActions and notDataActions subtracted) exceed
#   Storage Blob Data Contributor's; a Contributor-equivalent role on the
#   account or on one container is fine.
# related_resources:
#   - ref: https://learn.microsoft.com/azure/role-based-access-control/best-practices#only-grant-the-access-users-need
# custom:
#   id: WI-AZ-006
#   severity: high
#   remediation: >-
#     Grant Storage Blob Data Contributor on the storage account (or the
#     container) and remove the broader assignment (az role assignment
#     delete --ids <assignment ID>).
package wiscan.azure.storage_scope

import data.wiscan.lib.azure

deny contains f if {
	some client, _ in azure.uses
	i := azure.identity(client)
	accounts := {s.account | some s in azure.storages[client]}
	some account in accounts
	s := [s | some s in azure.storages[client]; s.account == account][0]
	a := azure.analysis(client, s)
	some e in a.excess
	f := {
		"msg": message(i, e, account),
		"resource": azure.identity_resource(client),
		"key": sprintf("%s|%s", [e.assignment, account]),
		"evidence": {"identity": i.id, "assignment": e.assignment, "role": e.role, "scope": e.scope, "scopeKind": e.scopeKind, "witness": object.get(e, "witness", ""), "via": object.get(e, "via", "")},
		"fix": object.union({"action": "unassign", "kind": "ManagedIdentity", "name": i.id, "assignment": e.assignment}, narrower(i, e, account)),
	}
}

# narrower is the assignment to make before the broad one goes: Storage
# Blob Data Contributor on the account, to the identity itself. Through a
# group the broad assignment serves others too, and stays a step by hand.
narrower(i, e, account) := {"principal": i.principalId, "role": azure.sbdc, "scope": azure.account_id(account)} if {
	object.get(e, "via", "") == ""
	azure.account_id(account) != ""
	object.get(i, "principalId", "") != ""
} else := {}

message(i, e, account) := sprintf("identity %s holds %s at %s scope %s, above storage account %s: it reaches every account there%s", [i.name, e.role, e.scopeKind, e.scope, account, via(e)]) if e.kind == "scope"

message(i, e, account) := sprintf("identity %s holds %s at %s on storage account %s, which allows %s beyond Storage Blob Data Contributor%s", [i.name, e.role, e.scope, account, e.witness, via(e)]) if e.kind == "role"

via(e) := sprintf(" (through group %s)", [e.via]) if object.get(e, "via", "") != ""

else := ""

unknown contains u if {
	some client, _ in azure.uses
	azure.identity(client)
	some s in azure.storages[client]
	a := azure.analysis(client, s)
	count(a.undecided) > 0
	u := {
		"msg": sprintf("not every assignment of the identity could be judged: %s", [concat("; ", sort({sprintf("%s: %s", [x.assignment, x.why]) | some x in a.undecided}))]),
		"resource": azure.identity_resource(client),
	}
}

unknown contains {"msg": msg, "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	msg := azure.identity_unknown(client)
}

unknown contains {"msg": "the identity's role assignments were not listed with its groups'", "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	not azure.identity(client).assignments
	azure.identity(client)
}

unknown contains u if some u in azure.unread_targets

not_applicable contains why if some why in azure.identities_not_applicable
