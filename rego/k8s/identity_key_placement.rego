# METADATA
# title: Identity annotations and labels spelled and placed right
# description: >-
#   Workload-identity keys are exact: a misspelled key (such as
#   eks.amazon.aws/role-arn) or a key on the wrong object (the role annotation
#   on the Deployment or pod instead of the service account, the Azure use
#   label on the service account instead of the pod) is silently ignored.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
#   - ref: https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
# custom:
#   id: WI-K8S-003
#   severity: high
#   remediation: >-
#     Use the exact keys: annotation eks.amazonaws.com/role-arn,
#     azure.workload.identity/client-id or iam.gke.io/gcp-service-account on
#     the service account, and label azure.workload.identity/use: "true" on
#     the pod template.
package wiscan.k8s.identity_key_placement

import data.wiscan.clouds
import data.wiscan.lib.k8s

sa_keys := {c.annotation.key | some c in clouds}

pod_labels := {c.podLabel.key | some c in clouds; c.podLabel}

canonical := sa_keys | pod_labels

# near returns the canonical key that a differently spelled key stands for
# (the first in order, should several fit).
near(key) := min(candidates) if {
	not key in canonical
	tokens := {tok | some tok in regex.split(`[^a-z0-9]+`, lower(key)); tok != ""}
	candidates := {canon |
		some canon, rule in near_rules
		rule.any & tokens != set()
		some tok in tokens
		some frag in rule.fragments
		contains(tok, frag)
	}
	count(candidates) > 0
}

# near_rules recognise each canonical key's misspellings: a key with one
# of any among its words and one of fragments within a word.
near_rules := {k.key: {"any": {x | some x in k.any}, "fragments": k.fragments} |
	some c in clouds
	some k in array.concat([c.annotation], [l | l := c.podLabel])
}

# The places a target's keys are found: what the object is, which map, and
# where each canonical key belongs.
places(t) := array.concat(sa_places(t), workload_places(t))

sa_places(t) := [
	{"resource": k8s.resource("ServiceAccount", sa), "where": "service account annotations", "in": "annotations", "map": sa.annotations, "belongs": sa_keys},
	{"resource": k8s.resource("ServiceAccount", sa), "where": "service account labels", "in": "labels", "map": sa.labels, "belongs": set()},
] if {
	sa := k8s.service_account(t)
} else := []

workload_places(t) := [
	{"resource": r, "where": sprintf("%s annotations", [d.kind]), "in": "annotations", "map": d.annotations, "belongs": set()},
	{"resource": r, "where": sprintf("%s labels", [d.kind]), "in": "labels", "map": d.labels, "belongs": set()},
	{"resource": r, "where": "pod template annotations", "in": "template.annotations", "map": d.template.annotations, "belongs": set()},
	{"resource": r, "where": "pod template labels", "in": "template.labels", "map": d.template.labels, "belongs": pod_labels},
] if {
	d := k8s.workload(t)
	r := k8s.resource(d.kind, d)
} else := []

where_it_belongs(key) := "the service account's annotations" if key in sa_keys

where_it_belongs(key) := "the pod template's labels" if key in pod_labels

# found lists each key on a target's objects with the target and the
# place: collected once for the rules below.
found := [[t, place, key] |
	some t in k8s.targets
	some place in places(t)
	some key, _ in place.map
]

# misspelt maps each key found on a target's objects that is near a
# canonical key to that key: each distinct key is judged once, however
# many control planes carry it.
misspelt := {key: canon |
	some key in {key | some [_, _, key] in found}
	canon := near(key)
}

deny contains f if {
	some [t, place, key] in found
	canon := misspelt[key]
	f := {
		"msg": sprintf("%s has %q, a misspelling of %q, which is ignored", [place.where, key, canon]),
		"resource": place.resource,
		"key": sprintf("misspelt:%s:%s", [place.where, key]),
		"evidence": {"key": key, "expected": canon, "where": place.where},
		"fix": {"action": "rename-key", "kind": place.resource.kind, "namespace": place.resource.namespace, "name": place.resource.name, "from": key, "key": canon, "in": place.in},
		"profile": t.profile.name,
	}
}

deny contains f if {
	some [t, place, key] in found
	key in canonical
	not key in place.belongs
	f := {
		"msg": sprintf("%s has %q, which only works on %s", [place.where, key, where_it_belongs(key)]),
		"resource": place.resource,
		"key": sprintf("misplaced:%s:%s", [place.where, key]),
		"evidence": {"key": key, "where": place.where, "belongs": where_it_belongs(key)},
		"profile": t.profile.name,
	}
}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	u := k8s.unknown_result(["ServiceAccount", k8s.workload_kind(t)], t, k8s.sa_resource(t))
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
