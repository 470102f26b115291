# METADATA
# description: Shared helpers for the Kubernetes controls. Not a control.
package wiscan.lib.k8s

import data.wiscan.clouds

# targets are the profiles' namespaces as wiscan resolved them before the
# evaluation (input.targets: cloud, method, identity and what decided
# each), with the whole profile in place of its name, and joined once
# with the objects every control looks up: the service account and the
# workload (null when absent) and the workload's live pods.
targets contains t if {
	some p in input.profiles
	some r in input.targets
	r.profile == p.name
	ns := r.namespace
	t := {
		"profile": p, "namespace": ns, "cloud": r.cloud, "cloudFrom": object.get(r, "cloudFrom", ""), "method": r.method, "annotated": r.annotated,
		"serviceAccount": object.get(input.kubernetes.serviceAccounts, [ns, p.serviceAccount], null),
		"workload": object.get(input.kubernetes, [object.get(workload_maps, p.workload.kind, ""), ns, p.workload.name], null),
		"pods": live_pods(p.workload, ns),
	}
}

# identity_key is the service-account annotation that binds to cloud c.
identity_key(c) := clouds[c].annotation.key

# gaps indexes the collection errors by "<kind>/<namespace>"; a
# cluster-wide error has an empty namespace.
gaps[key] contains e if {
	some e in input.errors
	object.get(e, "kind", "") != ""
	key := sprintf("%s/%s", [e.kind, object.get(e, "namespace", "")])
}

# missing lists why any of kinds could not be read in namespace ns.
missing(kinds, ns) := sort([msg |
	some kind in kinds
	some key in {sprintf("%s/", [kind]), sprintf("%s/%s", [kind, ns])}
	some e in gaps[key]
	msg := sprintf("%s not readable (%s): %s", [kind, e.reason, e.message])
])

# gap_kinds are the kinds with any gap; most scans have none, and checking
# this set first keeps the per-namespace lookups off the common path.
gap_kinds contains e.kind if {
	some e in input.errors
	object.get(e, "kind", "") != ""
}

has_gap_kind(kinds) if {
	any_gap
	some kind in kinds
	kind in gap_kinds
}

# any_gap holds when some collection error names a kind: one cached test
# that spares most scans the per-kind look-ups.
any_gap if count(gap_kinds) > 0

# readable holds when every kind could be read in namespace ns.
readable(kinds, _) if not has_gap_kind(kinds)

readable(kinds, ns) if {
	has_gap_kind(kinds)
	count(missing(kinds, ns)) == 0
}

# unknown_result is the unknown entry for a target whose inputs are missing.
unknown_result(kinds, t, resource) := {"msg": concat("; ", reasons), "resource": resource, "key": "unread"} if {
	any_gap
	has_gap_kind(chain(kinds, t))
	reasons := missing(chain(kinds, t), t.namespace)
	count(reasons) > 0
}

# no_targets says why nothing applies when no namespace matched a profile.
no_targets contains "no namespace matched the profiles" if count(targets) == 0

# cloud_not_applicable(names) says why a control for those clouds has
# nothing to check: no target uses them, and none is of an unknown cloud.
cloud_not_applicable(names) := no_targets if {
	count(targets) == 0
} else := {sprintf("no control plane uses %s", [concat(" or ", sort([clouds[c].title | some c in names]))])} if {
	count({t | some t in targets; cloud(t) in names}) == 0
	count({t | some t in targets; cloud(t) == ""}) == 0
} else := set()

service_account(t) := t.serviceAccount if t.serviceAccount != null

# workload is the target's workload: the object of the profile's kind
# (Deployment, StatefulSet, DaemonSet, Job or CronJob) and name.
workload(t) := t.workload if t.workload != null

workload_maps := {"Deployment": "deployments", "StatefulSet": "statefulSets", "DaemonSet": "daemonSets", "Job": "jobs", "CronJob": "cronJobs"}

# workload_kind is the target's workload kind, as gaps name it.
workload_kind(t) := t.profile.workload.kind

# chain adds, to the kinds a control reads, the ones the target's pods'
# owner chain runs through: a CronJob's pods are tied to it through its
# Jobs.
chain(kinds, t) := array.concat(kinds, ["Job"]) if {
	t.profile.workload.kind == "CronJob"
	"Pod" in kinds
} else := kinds

# workload_pods are the live pods of the profile's workload: owned by it
# through their owner chain, or matching its pod selector.
workload_pods(t) := t.pods

live_pods(w, ns) := [p |
	owner := {"kind": w.kind, "name": w.name}
	sel := object.get(w, "podSelector", "")
	some p in object.get(input.kubernetes.pods, ns, {})
	is_workload_pod(owner, sel, p)
	not p.phase in {"Succeeded", "Failed"}
]

is_workload_pod(owner, _, p) if p.workload == owner

is_workload_pod(_, sel, p) if {
	sel != ""
	selector_matches(sel, p.labels)
}

# selector_matches matches an equality selector "k=v,k2=v2".
selector_matches(sel, labels) if {
	every pair in split(sel, ",") {
		kv := split(trim_space(pair), "=")
		object.get(labels, kv[0], null) == kv[1]
	}
}

# with_cloud adds the cloud a finding is about when one is named (the
# one cloud of a set, a backup configuration's provider).
with_cloud(f, names) := object.union(f, {"cloud": c | count(names) == 1; some c in names; clouds[c]})

# provider_cloud is the cloud a backup configuration's provider names.
provider_cloud(b) := {lower(trim_space(b.provider))}

# restart_fix restarts the target's workload: a rollout for the kinds that
# have one; a CronJob's next Job starts with the binding (or one started
# now from it); a Job's pods must be recreated.
restart_fix(t) := object.union(
	{"action": "restart", "kind": t.profile.workload.kind, "namespace": t.namespace, "name": t.profile.workload.name},
	{"command": c | c := restart_command(t.profile.workload.kind, t.profile.workload.name, t.namespace)},
)

restart_command(kind, name, ns) := sprintf("kubectl rollout restart %s %s -n %s", [lower(kind), name, ns]) if {
	kind in {"Deployment", "StatefulSet", "DaemonSet"}
}

restart_command("CronJob", name, ns) := sprintf("kubectl create job --from=cronjob/%s %s-rebound -n %s", [name, name, ns])

# resource describes an object in a finding, with its evidence file and
# line when it came from one.
resource(kind, obj) := object.union(
	{"kind": kind, "namespace": object.get(obj, "namespace", ""), "name": obj.name},
	object.get(obj, "source", {}),
)

namespace_resource(ns) := object.union(
	{"kind": "Namespace", "namespace": ns, "name": ns},
	object.get(object.get(input.kubernetes.namespaces, ns, {}), "source", {}),
)

# The service account as a resource, also when it does not exist.
sa_resource(t) := resource("ServiceAccount", service_account(t))

sa_resource(t) := {"kind": "ServiceAccount", "namespace": t.namespace, "name": t.profile.serviceAccount} if {
	not service_account(t)
}

# cloud is the cloud a target uses, "" when nothing tells.
cloud(t) := t.cloud

# annotated_clouds are the clouds whose identity annotation the target's
# service account carries.
annotated_clouds(t) := {c | some c in t.annotated}

# method is the target's workload-identity method, "" when the cloud's
# data decides.
method(t) := t.method

# env_values collects the values of an environment variable across a pod's
# containers (init containers excluded).
env_values(spec, name) := {e.value |
	some c in spec.containers
	not object.get(c, "init", false)
	some e in c.env
	e.name == name
	e.value
}

has_env(spec, name) if {
	some c in spec.containers
	some e in c.env
	e.name == name
}

# The workload's pod specs: its template when the workload exists, else
# its pods.
workload_specs(t) := [{"resource": resource(d.kind, d), "spec": d.template}] if {
	d := workload(t)
} else := [{"resource": resource("Pod", p), "spec": p.spec} | some p in workload_pods(t)]

# secrets_skipped holds when Secrets were not read on purpose
# (--skip-secrets, the chart's rbac.readSecrets=false).
secrets_skipped if object.get(object.get(input, "source", {}), "skipSecrets", false)

secrets_skipped_reason := "Secrets are not read (--skip-secrets, or the chart's rbac.readSecrets=false)"
