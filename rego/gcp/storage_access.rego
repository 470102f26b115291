# METADATA
# title: Identity can use the backup bucket
# description: >-
#   The identity (the Google service account, or the control plane's own
#   principal identifier) holds object read, write, list and delete on the
#   backup bucket as it can actually use them: grants on the bucket, its
#   project, folders and organization and the bucket's convenience members
#   count; deny policies at any level subtract; conditions are decided over
#   the objects the workload needs (under the backup configuration's or the
#   profile's prefix), request.time at the scan time; a grant through a
#   group or an undecidable condition leaves it unknown, never passed.
# related_resources:
#   - ref: https://cloud.google.com/storage/docs/access-control/iam-roles
#   - ref: https://cloud.google.com/iam/docs/deny-overview
# custom:
#   id: WI-GCP-006
#   severity: high
#   remediation: >-
#     gcloud storage buckets add-iam-policy-binding gs://<bucket>
#     --member=<member> --role=roles/storage.objectUser; remove a deny rule
#     or condition that blocks it.
package wiscan.gcp.storage_access

import data.wiscan.lib.gcp

# results are each identity's analysis on each storage it needs.
results contains {"identity": i, "storage": s, "access": a, "targets": ts} if {
	some key, us in gcp.uses_of
	some s in {u.storage | some u in us}
	ts := {u.target | some u in us; u.storage == s}
	some u in us
	i := u.identity
	a := gcp.access[gcp.storage_key(s)][key]
}

deny contains f if {
	some r in results
	bad := [n | some n in r.access.needs; n.status in {"missing", "denied"}]
	count(bad) > 0
	ns := sort({t.namespace | some t in r.targets})
	base := {
		"msg": sprintf("%s cannot %s on bucket %s%s: %s; used by %s", [r.identity.name, verbs(bad), r.storage.bucket, under(r.storage.prefix), concat("; ", [explain(n) | some n in bad]), gcp.summary(ns)]),
		"resource": r.identity.resource,
		"key": r.storage.bucket,
		"evidence": {"identity": r.identity.name, "bucket": r.storage.bucket, "prefix": r.storage.prefix, "needs": r.access.needs, "namespaces": ns},
	}
	f := object.union(base, fix(r, bad))
}

under("") := ""

under(p) := sprintf(" under %q", [p]) if p != ""

# fix grants Storage Object User on the bucket when nothing grants what
# is missing; a denied or condition-refused permission is fixed by hand.
fix(r, bad) := {"fix": {
	"action": "bind", "kind": "Bucket", "name": r.storage.bucket,
	"role": gcp.object_user, "member": r.identity.member,
}} if {
	count([n | some n in bad; n.status == "denied"]) == 0
	count([n | some n in bad; object.get(n, "witness", "") != ""]) == 0
} else := {}

verbs(ns) := concat(", ", sort({verb(n.permission) | some n in ns}))

verb(p) := v if {
	parts := split(p, ".")
	v := parts[count(parts) - 1]
}

explain(n) := sprintf("%s is not granted on the bucket, its project or above", [n.permission]) if {
	n.status == "missing"
	object.get(n, "witness", "") == ""
}

explain(n) := sprintf("%s is granted by %s on %s only where its condition holds: it refuses object %q, for one%s", [n.permission, n.grant.role, n.grant.resource, n.witness, time_note(n)]) if {
	n.status == "missing"
	object.get(n, "witness", "") != ""
}

explain(n) := sprintf("%s is granted by %s on %s but denied by deny policy %s", [n.permission, n.grant.role, n.grant.resource, n.deniedBy]) if n.status == "denied"

time_note(n) := sprintf(" (request.time judged at the scan time, %s%s)", [input.collectedAt, changes(n)]) if object.get(n, "atScanTime", false)

time_note(n) := "" if not object.get(n, "atScanTime", false)

changes(n) := sprintf("; the verdict changes at %s", [n.changesAt]) if object.get(n, "changesAt", "") != ""

changes(n) := "" if object.get(n, "changesAt", "") == ""

unknown contains u if {
	some r in results
	count([n | some n in r.access.needs; n.status in {"missing", "denied"}]) == 0
	open := [n | some n in r.access.needs; n.status == "unknown"]
	count(open) > 0
	u := {
		"msg": sprintf("whether %s can use bucket %s is not known: %s", [r.identity.name, r.storage.bucket, concat("; ", {concat("; ", n.why) | some n in open})]),
		"resource": r.identity.resource,
		"key": r.storage.bucket,
	}
}

unknown contains {"msg": gcp.not_collected_msg, "resource": i.resource} if {
	not gcp.collected
	some t in gcp.targets
	i := gcp.identity(t)
}

unknown contains {"msg": "no backup bucket is named: set storage.bucket in the profile, or the backup configuration's bucket", "resource": i.resource} if {
	some t in gcp.targets
	i := gcp.identity(t)
	count(gcp.profile_buckets(t.profile)) == 0
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.not_applicable
