# METADATA
# title: Azure workload identity label on the pods
# description: >-
#   Azure workload identity only injects pods labelled
#   azure.workload.identity/use "true"; without the label the workload gets
#   no token and no client ID.
# related_resources:
#   - ref: https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
# custom:
#   id: WI-K8S-006
#   severity: high
#   remediation: >-
#     Set the label through the Spaces Helm values:
#     --set controlPlanes.mxpController.pod.customLabels."azure\.workload\.identity/use"="true",
#     then restart the workload.
package wiscan.k8s.azure_use_label

import data.wiscan.clouds
import data.wiscan.lib.k8s

# label is the pod label the target's cloud needs (Azure's
# azure.workload.identity/use: "true"); undefined when it needs none.
label(t) := clouds[k8s.cloud(t)].podLabel

deny contains f if {
	some t in k8s.targets
	l := label(t)
	d := k8s.workload(t)
	not labelled(d.template, l)
	f := object.union(
		finding(t, l, k8s.resource(d.kind, d), sprintf("the pod template of %s", [d.kind]), d.name, d.template),
		{"fix": {"action": "label", "kind": d.kind, "namespace": t.namespace, "name": d.name, "key": l.key, "value": l.value, "in": "template.labels"}},
	)
}

deny contains f if {
	some t in k8s.targets
	l := label(t)
	some p in k8s.workload_pods(t)
	not labelled(p.spec, l)
	f := finding(t, l, k8s.resource("Pod", p), "pod", p.name, p.spec)
}

labelled(spec, l) if spec.labels[l.key] == l.value

finding(t, l, resource, what, name, spec) := {
	"msg": sprintf("%s %s lacks label %s: %q", [what, name, l.key, l.value]),
	"resource": resource,
	"evidence": {"label": l.key, "value": object.get(spec.labels, l.key, null)},
	"profile": t.profile.name,
}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	label(t)
	u := k8s.unknown_result([k8s.workload_kind(t), "Pod"], t, k8s.sa_resource(t))
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.cloud_not_applicable({name | some name, c in clouds; c.podLabel})
