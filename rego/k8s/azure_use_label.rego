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

import data.wiscan.lib.k8s

deny contains f if {
	some t in k8s.targets
	k8s.cloud(t) == "azure"
	d := k8s.deployment(t)
	not labelled(d.template)
	f := finding(t, k8s.resource("Deployment", d), "the pod template of Deployment", d.name, d.template)
}

deny contains f if {
	some t in k8s.targets
	k8s.cloud(t) == "azure"
	some p in k8s.workload_pods(t)
	not labelled(p.spec)
	f := finding(t, k8s.resource("Pod", p), "pod", p.name, p.spec)
}

labelled(spec) if spec.labels[k8s.azure_use_label] == "true"

finding(t, resource, what, name, spec) := {
	"msg": sprintf("%s %s lacks label %s: \"true\"", [what, name, k8s.azure_use_label]),
	"resource": resource,
	"evidence": {"label": k8s.azure_use_label, "value": object.get(spec.labels, k8s.azure_use_label, null)},
	"profile": t.profile.name,
}

unknown contains u if {
	some t in k8s.targets
	k8s.cloud(t) == "azure"
	u := k8s.unknown_result(["Deployment", "Pod"], t, k8s.sa_resource(t))
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.cloud_not_applicable({"azure"})
