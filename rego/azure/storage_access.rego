# METADATA
# title: Identity can use the backup container
# description: >-
#   The identity holds Storage Blob Data Contributor (or a role with the
#   same data actions) on the backup storage account or container, as it can
#   actually use it: role assignments at every scope above the container,
#   deny assignments subtracted, conditions decided for the needed actions
#   and container, a grant through a group counted when the listing proves
#   membership.
# related_resources:
#   - ref: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-blob-data-contributor
#   - ref: https://learn.microsoft.com/azure/role-based-access-control/deny-assignments
# custom:
#   id: WI-AZ-005
#   severity: high
#   remediation: >-
#     az role assignment create --role "Storage Blob Data Contributor"
#     --assignee-object-id <principal ID> --assignee-principal-type
#     ServicePrincipal --scope <storage account ID>; remove a deny assignment
#     or condition that blocks it.
package wiscan.azure.storage_access

import data.wiscan.lib.azure

deny contains f if {
	some client, _ in azure.uses
	i := azure.identity(client)
	some s in azure.storages[client]
	a := azure.analysis(client, s)
	bad := [n | some n in a.needs; n.status in {"missing", "denied"}]
	count(bad) > 0
	base := {
		"msg": sprintf("identity %s cannot %s on container %s of storage account %s: %s; used by %s", [i.name, verbs(bad), s.container, s.account, concat("; ", [explain(n) | some n in bad]), azure.summary(azure.namespaces(client))]),
		"resource": azure.identity_resource(client),
		"key": sprintf("%s/%s", [s.account, s.container]),
		"evidence": {"identity": i.id, "principalId": i.principalId, "account": azure.account_id(s.account), "container": s.container, "needs": a.needs},
	}
	f := object.union(base, fix(i, s, bad))
}

# fix assigns Storage Blob Data Contributor on the account when nothing
# grants what is missing; a denied action needs the deny removed, by hand.
fix(i, s, bad) := {"fix": {
	"action": "assign-role", "kind": "ManagedIdentity", "name": i.id,
	"principal": i.principalId, "role": azure.sbdc, "scope": azure.account_id(s.account),
}} if {
	count([n | some n in bad; n.status == "denied"]) == 0
	azure.account_id(s.account) != ""
} else := {}

verbs(ns) := concat(", ", sort({verb(n.action) | some n in ns}))

verb(action) := v if {
	parts := split(action, "/")
	v := parts[count(parts) - 1]
}

explain(n) := sprintf("%s is not granted at the container or any scope above it", [n.action]) if {
	n.status == "missing"
	object.get(n, "witness", "") == ""
}

explain(n) := sprintf("%s is granted by %s only where its condition admits the blob: it refuses blob %q, for one", [n.action, n.by, n.witness]) if {
	n.status == "missing"
	object.get(n, "witness", "") != ""
}

explain(n) := sprintf("%s is granted by %s but denied by deny assignment %s", [n.action, n.by, n.deniedBy]) if n.status == "denied"

unknown contains u if {
	some client, _ in azure.uses
	azure.identity(client)
	some s in azure.storages[client]
	a := azure.analysis(client, s)
	count([n | some n in a.needs; n.status in {"missing", "denied"}]) == 0
	open := [n | some n in a.needs; n.status == "unknown"]
	count(open) > 0
	u := {
		"msg": sprintf("whether identity can use container %s of account %s is not known: %s", [s.container, s.account, concat("; ", {concat(", ", n.why) | some n in open})]),
		"resource": azure.identity_resource(client),
	}
}

unknown contains {"msg": msg, "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	msg := azure.identity_unknown(client)
}

unknown contains {"msg": "no backup container is named: set storage.bucket in the profile, or the backup configuration's bucket", "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	azure.identity(client)
	count(azure.storages[client]) == 0
}

unknown contains u if some u in azure.unread_targets

not_applicable contains why if some why in azure.identities_not_applicable
