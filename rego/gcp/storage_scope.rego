# METADATA
# title: Storage access no broader than the bucket
# description: >-
#   The identity's storage roles are granted on the backup bucket and go no
#   further than object use: no storage-granting role (roles/storage.*,
#   roles/editor, roles/owner, a custom role with storage permissions)
#   above the bucket, on the project, a folder or the organization, as the
#   documented example grants roles/storage.objectAdmin on the whole
#   project; and no bucket role beyond object use (roles/storage.admin).
#   Each such grant is a finding with a permission it grants as witness.
# related_resources:
#   - ref: https://cloud.google.com/storage/docs/access-control/iam-roles
# custom:
#   id: WI-GCP-007
#   severity: medium
#   remediation: >-
#     gcloud storage buckets add-iam-policy-binding gs://<bucket>
#     --member=<member> --role=roles/storage.objectUser, then remove the
#     broad grant (gcloud projects remove-iam-policy-binding <project>
#     --member=<member> --role=<role>).
package wiscan.gcp.storage_scope

import data.wiscan.gcp.storage_access

import data.wiscan.lib.gcp

# excess are the broad grants of each identity, once per grant.
excess contains {"identity": r.identity, "excess": x, "targets": r.targets} if {
	some r in storage_access.results
	some x in r.access.excess
}

deny contains f if {
	some e in excess
	x := e.excess
	ns := sort({t.namespace | some t in e.targets})
	base := {
		"msg": sprintf("%s holds %s on %s (%s)%s: %s; used by %s", [e.identity.name, x.role, x.resource, level(x), via(x), what(x), gcp.summary(ns)]),
		"resource": e.identity.resource,
		"key": sprintf("%s|%s|%s", [x.resource, x.role, x.member]),
		"evidence": {"identity": e.identity.name, "resource": x.resource, "role": x.role, "member": x.member, "witness": x.witness, "conditional": object.get(x, "conditional", false), "namespaces": ns},
	}
	f := object.union(base, unbind(e, x))
}

# unbind grants Storage Object User on each bucket the identity needs, then
# removes the broad grant; a conditional grant, or one through a group or
# inherited, serves more than this identity and stays by hand.
unbind(e, x) := {"fix": {
	"action": "unbind", "kind": "GoogleServiceAccount", "name": e.identity.name, "member": x.member, "role": x.role,
	"scope": x.resource, "resources": sort({sprintf("buckets/%s", [r.storage.bucket]) | some r in storage_access.results; r.identity == e.identity}),
}} if {
	e.identity.resource.kind == "GoogleServiceAccount"
	not object.get(x, "conditional", false)
	object.get(x, "why", "") == ""
	x.member == e.identity.member
} else := {}

level(x) := "the bucket" if startswith(x.resource, "buckets/")

level(x) := "above the bucket" if not startswith(x.resource, "buckets/")

via(x) := sprintf(", through %s", [x.why]) if object.get(x, "why", "") != ""

via(x) := "" if object.get(x, "why", "") == ""

what(x) := sprintf("it grants %s beyond the objects of one bucket, on every bucket there", [x.witness]) if x.kind == "scope"

what(x) := sprintf("it grants %s, beyond object use", [x.witness]) if x.kind == "role"

unknown contains u if {
	some r in storage_access.results
	count(r.access.excess) == 0
	count(r.access.undecided) > 0
	u := {
		"msg": sprintf("whether %s holds storage access beyond the bucket is not known: %s", [r.identity.name, concat("; ", sort({sprintf("%s on %s for %s: %s", [g.role, g.resource, g.member, g.why]) | some g in r.access.undecided}))]),
		"resource": r.identity.resource,
		"key": r.storage.bucket,
	}
}

unknown contains u if {
	some r in storage_access.results
	count(r.access.excess) == 0
	count(r.access.undecided) == 0
	count(r.access.unread) > 0
	u := {
		"msg": sprintf("whether %s holds storage access beyond the bucket is not known: %s not read", [r.identity.name, concat(", ", r.access.unread)]),
		"resource": r.identity.resource,
		"key": r.storage.bucket,
	}
}

unknown contains {"msg": gcp.not_collected_msg, "resource": i.resource} if {
	not gcp.collected
	some t in gcp.targets
	i := gcp.identity(t)
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.not_applicable
