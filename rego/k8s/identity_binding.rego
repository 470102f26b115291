# METADATA
# title: Service account bound to a cloud identity
# description: >-
#   The workload's service account carries the workload-identity binding of
#   the cloud in use: the IRSA role annotation or an EKS Pod Identity
#   association on AWS, the client-ID annotation on Azure, the Google
#   service-account annotation or an IAM principal-identifier binding on GCP.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-K8S-002
#   severity: high
#   remediation: >-
#     Set the identity annotation through the Spaces Helm values, for example
#     --set controlPlanes.mxpController.serviceAccount.annotations."eks\.amazonaws\.com/role-arn"=<role ARN>
#     (Azure: azure\.workload\.identity/client-id; GCP:
#     iam\.gke\.io/gcp-service-account), then restart the workload.
package wiscan.k8s.identity_binding

import data.wiscan.clouds
import data.wiscan.lib.bindings
import data.wiscan.lib.k8s

deny contains f if {
	some t in k8s.targets
	sa := k8s.service_account(t)
	c := k8s.cloud(t)
	c != ""
	key := k8s.identity_key(c)
	not sa.annotations[key]
	unbound(t, c)
	f := {
		"msg": sprintf("service account %s has no %s workload-identity binding (annotation %s%s)%s", [sa.name, c, key, concat("", [sprintf(" or %s", [m.binding]) | some m in side_methods(c)]), contradiction(t, c)]),
		"resource": k8s.resource("ServiceAccount", sa),
		"key": sprintf("unbound:%s", [c]),
		"evidence": {"cloud": c, "identityAnnotations": k8s.annotated_clouds(t), "method": k8s.method(t)},
		"profile": t.profile.name,
	}
}

# contradiction names the other clouds whose annotation the service
# account carries, and what named cloud c: a profile that contradicts the
# cluster is this one finding, said in full.
contradiction(t, c) := sprintf("; it carries the %s annotation instead, and %s says %s", [concat(", ", sort(others)), told_by(t), c]) if {
	others := k8s.annotated_clouds(t) - {c}
	count(others) > 0
}

else := ""

# told_by names what named a target's cloud.
told_by(t) := object.get({"profile": "the profile", "backup-config": "every backup configuration"}, t.cloudFrom, "the scan's --cloud")

# side_methods are cloud c's methods that bind on the cloud side, without
# the annotation.
side_methods(c) := [m | some m in clouds[c].methods; not m.annotation]

unbound(t, c) if definitely_unbound(t, c)

# An annotation for another cloud only is a binding to the wrong cloud.
unbound(t, c) if {
	annotated := k8s.annotated_clouds(t)
	count(annotated) > 0
	not c in annotated
}

# Without the annotation, a cloud may still bind on its side (EKS Pod
# Identity, GCP principal identifiers); a cloud without such a method, or
# a method that needs the annotation, fails on the Kubernetes data alone.
definitely_unbound(_, c) if count(side_methods(c)) == 0

definitely_unbound(t, c) if {
	some m in clouds[c].methods
	m.annotation
	k8s.method(t) == m.name
}

# With the cloud-side bindings read, a service account without the
# annotation and without such a binding is unbound.
definitely_unbound(t, c) if {
	c in bindings.read
	count({b | some b in bindings.of(t); b.cloud == c}) == 0
}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	u := k8s.unknown_result(["ServiceAccount"], t, k8s.sa_resource(t))
}

unknown contains u if {
	some t in k8s.targets
	k8s.readable(["ServiceAccount"], t.namespace)
	sa := k8s.service_account(t)
	k8s.cloud(t) == ""
	u := {
		"msg": "the cloud in use is not known: set cloud in the profile or pass --cloud",
		"resource": k8s.resource("ServiceAccount", sa),
		"key": "cloud-unknown",
	}
}

unknown contains u if {
	some t in k8s.targets
	sa := k8s.service_account(t)
	c := k8s.cloud(t)
	some m in side_methods(c)
	not sa.annotations[k8s.identity_key(c)]
	not unbound(t, c)
	not injected(t, m)
	count(bindings.of(t)) == 0
	u := {
		"msg": sprintf("no %s annotation, and %s", [k8s.identity_key(c), m.unread]),
		"resource": k8s.resource("ServiceAccount", sa),
		"key": sprintf("binding-unread:%s", [m.name]),
	}
}

# A method's webhook injects its variable into the pods it binds: its
# presence shows the binding exists even without the cloud's data.
injected(t, m) if {
	m.injectedEnv != ""
	some p in k8s.workload_pods(t)
	k8s.has_env(p.spec, m.injectedEnv)
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
