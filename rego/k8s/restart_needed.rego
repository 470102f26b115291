# METADATA
# title: Running pods carry the current identity
# description: >-
#   Pods get their identity when they start: the AWS and Azure webhooks
#   inject it into the pod, GKE reads the service account then. Pods started
#   before the service account's binding changed keep the old identity until
#   the workload is restarted. A finding is on the workload, one per
#   problem, naming its pods: a pod rescheduled under another name is the
#   same finding.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-K8S-005
#   severity: high
#   remediation: >-
#     Restart the workload so that new pods pick up the binding:
#     kubectl rollout restart deployment <workload> -n <namespace>.
package wiscan.k8s.restart_needed

import data.wiscan.clouds
import data.wiscan.lib.bindings
import data.wiscan.lib.k8s

# injected pairs each identity annotation with the variable the cloud's
# webhook sets from it, for the clouds that inject one.
injected := {[c.annotation.key, c.injectedEnv] |
	some c in clouds
	object.get(c, "injectedEnv", "") != ""
}

# pairs are the injected pairs a target is judged by: its cloud's, when
# the cloud is known (another cloud's annotation on its service account
# is WI-K8S-002's contradiction, not a restart); every cloud's when not.
pairs(t) := object.get(cloud_pairs, k8s.cloud(t), set()) if k8s.cloud(t) != ""

else := injected

cloud_pairs := {c: {[key, env] | some [key, env] in injected; key == k8s.identity_key(c)} | some c, _ in clouds}

# stale(t) are the target's pods that need the restart, each with the
# reason (key), its sentence and evidence: a function of the target, so
# that each target's pods are looked at once.
stale(t) := (stale_values(t) | stale_bindings(t)) | stale_starts(t)

stale_values(t) := {{
	"key": sprintf("stale:%s", [env]),
	"pod": p,
	"why": sprintf("pod %s carries %s but its service account declares %s", [p.name, carried_text(env, carried), declared_text(declared)]),
	"evidence": {"pod": p.name, "env": env, "podValues": sorted(carried), "serviceAccountValue": declared, "podCreatedAt": object.get(p, "createdAt", null)},
} |
	sa := k8s.service_account(t)
	some [key, env] in pairs(t)
	declared := object.get(sa.annotations, key, null)
	some p in k8s.workload_pods(t)
	carried := k8s.env_values(p.spec, env)
	stale_value(declared, carried)
}

# deny is one finding per workload and reason, naming its pods; formerly
# are the keys the pod findings had before 0.1.0, which waivers and
# baselines written then still use (read for this release only).
deny contains f if {
	some t in k8s.targets
	xs := stale(t)
	count(xs) > 0
	some key in {x.key | some x in xs}
	these := [x | some x in xs; x.key == key]
	pods := sort([x.pod.name | some x in these])
	f := {
		"msg": sprintf("%s: restart the workload", [concat("; ", sort([x.why | some x in these]))]),
		"resource": workload_resource(t),
		"key": key,
		"evidence": {"pods": pods, "each": [x.evidence | some x in these]},
		"fix": k8s.restart_fix(t),
		"profile": t.profile.name,
		"formerly": [{"resource": k8s.resource("Pod", x.pod), "key": key} | some x in these],
	}
}

workload_resource(t) := k8s.resource(t.profile.workload.kind, k8s.workload(t))

workload_resource(t) := {"kind": t.profile.workload.kind, "namespace": t.namespace, "name": t.profile.workload.name} if not k8s.workload(t)

# A declared identity the pod lacks, or differs from.
stale_value(declared, carried) if {
	declared != null
	carried != {declared}
}

# An identity the pod still carries that the service account dropped.
stale_value(null, carried) if count(carried) > 0

sorted(s) := sort([x | some x in s])

declared_text(null) := "no identity"

declared_text(v) := sprintf("%q", [v]) if v != null

carried_text(env, carried) := sprintf("no %s", [env]) if count(carried) == 0

carried_text(env, carried) := sprintf("%s=%s", [env, concat(",", sorted(carried))]) if count(carried) > 0

# A cloud-side binding (an EKS Pod Identity association) made after the
# pods started: its webhook's variable is missing.
stale_bindings(t) := {{
	"key": sprintf("binding:%s", [b.id]),
	"pod": p,
	"why": sprintf("pod %s lacks %s, which %s %s injects into new pods", [p.name, env, b.what, b.id]),
	"evidence": {"pod": p.name, "binding": b.id, "identity": b.identity, "podCreatedAt": object.get(p, "createdAt", null)},
} |
	some b in bindings.of(t)
	some m in clouds[b.cloud].methods
	m.name == b.method
	env := object.get(m, "injectedEnv", "")
	env != ""
	some p in k8s.workload_pods(t)
	not k8s.has_env(p.spec, env)
}

# A cloud whose webhook injects nothing (GKE): a pod created before the
# service account last changed may hold the old identity.
stale_starts(t) := {{
	"key": "started-before-change",
	"pod": p,
	"why": sprintf("pod %s started at %s, before service account %s last changed at %s", [p.name, p.createdAt, sa.name, sa.updatedAt]),
	"evidence": {"pod": p.name, "podCreatedAt": p.createdAt, "serviceAccountUpdatedAt": sa.updatedAt},
} |
	reads_at_start(t)
	sa := k8s.service_account(t)
	updated := time.parse_rfc3339_ns(sa.updatedAt)
	some p in k8s.workload_pods(t)
	time.parse_rfc3339_ns(p.createdAt) < updated
}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	u := k8s.unknown_result(["ServiceAccount", "Pod"], t, k8s.sa_resource(t))
}

# reads_at_start holds when the target's cloud injects nothing and its
# service account carries the cloud's annotation: the pods read it when
# they start.
reads_at_start(t) if {
	cloud := clouds[k8s.cloud(t)]
	object.get(cloud, "injectedEnv", "") == ""
	k8s.service_account(t).annotations[cloud.annotation.key]
}

unknown contains u if {
	some t in k8s.targets
	reads_at_start(t)
	sa := k8s.service_account(t)
	count(k8s.workload_pods(t)) > 0
	object.get(sa, "updatedAt", null) == null
	u := {
		"msg": "the service account's last change time is not known (managedFields missing; export with kubectl get --show-managed-fields)",
		"resource": k8s.resource("ServiceAccount", sa),
		"key": "change-time-unknown",
	}
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
