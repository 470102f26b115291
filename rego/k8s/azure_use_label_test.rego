package wiscan.k8s.azure_use_label_test

import data.wiscan.k8s.azure_use_label as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

azure := {"cloud": "azure"}

labelled := {"app": "mxp-controller", "azure.workload.identity/use": "true"}

cases := {
	"aws setup is not concerned": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	"azure labelled template and pod": {"o": {"profile": azure, "template_labels": labelled, "pod_labels": labelled}, "want": {"deny": set(), "unknown": set()}},
	# Both the template and the running pod lack the label.
	"azure without label": {"o": {"profile": azure}, "want": {"deny": {fx.deployment_key, fx.pod_key}, "unknown": set()}},
	# A value other than the string "true" does not count.
	"azure label True": {"o": {"profile": azure, "template_labels": {"azure.workload.identity/use": "True"}, "pod_labels": labelled}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"azure pods forbidden": {"o": {"profile": azure, "template_labels": labelled, "pods": {}, "errors": [{"collector": "kubernetes", "kind": "Pod", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

test_not_applicable_on_aws if {
	control.not_applicable == {"no control plane uses Azure"} with input as fx.space({})
}

# The template's finding adds the label to the pod template (which rolls
# the pods out); the pod's own finding has no fix, since a pod's labels are
# its template's.
test_fix if {
	fixes := {f.resource.kind: object.get(f, "fix", null) | some f in control.deny} with input as fx.space({"profile": azure})
	fixes == {
		"Deployment": {"action": "label", "kind": "Deployment", "namespace": fx.ns, "name": "mxp-controller", "key": "azure.workload.identity/use", "value": "true", "in": "template.labels"},
		"Pod": null,
	}
}
