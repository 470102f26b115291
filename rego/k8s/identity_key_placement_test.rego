package wiscan.k8s.identity_key_placement_test

import data.wiscan.k8s.identity_key_placement as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

# A rename names the map its key is in, so that a plan can move it there.
test_rename_fix_names_the_map if {
	every where, o in {
		"annotations": {"sa_annotations": {"eks.amazon.aws/role-arn": fx.role_arn}},
		"template.labels": {"template_labels": {"app": "mxp-controller", "azure.workload.identity/usee": "true"}},
		"labels": {"deployment_labels": {"azure.workload.identity/usee": "true"}},
	} {
		fixes := [f.fix | some f in control.deny; f.fix.action == "rename-key"] with input as fx.space(o)
		fixes == [object.union(fixes[0], {"in": where})]
	}
}

cases := {
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# The misspelling from the documentation's prose.
	"eks.amazon.aws typo": {"o": {"sa_annotations": {"eks.amazon.aws/role-arn": fx.role_arn}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"role_arn with underscore": {"o": {"sa_annotations": {"eks.amazonaws.com/role_arn": fx.role_arn}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"azure client id typo": {"o": {"sa_annotations": {"azure.workload.identity/clientid": "x"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"gke typo": {"o": {"sa_annotations": {"iam.gke.io/gcp-service-acount": "x"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# Legitimate EKS annotations are not misspellings.
	"eks audience and sts annotations": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": fx.role_arn, "eks.amazonaws.com/audience": "sts.amazonaws.com", "eks.amazonaws.com/sts-regional-endpoints": "true", "eks.amazonaws.com/token-expiration": "86400"}}, "want": {"deny": set(), "unknown": set()}},
	# The role annotation on the Deployment is ignored by the webhook.
	"role annotation on deployment": {"o": {"deployment_annotations": {"eks.amazonaws.com/role-arn": fx.role_arn}}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"role annotation on pod template": {"o": {"template_annotations": {"eks.amazonaws.com/role-arn": fx.role_arn}}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	# The Azure use label belongs on the pod, not the service account.
	"azure use label on service account": {"o": {"sa_labels": {"azure.workload.identity/use": "true"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"azure use as template annotation": {"o": {"template_annotations": {"azure.workload.identity/use": "true"}}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"azure use label on template": {"o": {"template_labels": {"app": "mxp-controller", "azure.workload.identity/use": "true"}}, "want": {"deny": set(), "unknown": set()}},
	"deployments forbidden": {"o": {"deployments": {}, "errors": [{"collector": "kubernetes", "kind": "Deployment", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}
