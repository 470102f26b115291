# METADATA
# title: Workload service account present and used
# description: >-
#   Every target namespace has the profile's service account, and the
#   workload runs under it; otherwise no workload-identity binding can apply.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-K8S-001
#   severity: high
#   remediation: >-
#     Create the service account in the namespace (the Spaces Helm chart does
#     this for mxp-controller) and set the Deployment's
#     spec.template.spec.serviceAccountName to it.
package wiscan.k8s.service_account

import data.wiscan.lib.k8s

deny contains f if {
	some t in k8s.targets
	k8s.readable(["ServiceAccount"], t.namespace)
	not k8s.service_account(t)
	f := {
		"msg": sprintf("namespace %s has no service account %s", [t.namespace, t.profile.serviceAccount]),
		"resource": k8s.sa_resource(t),
		"evidence": {"serviceAccounts": sort(object.keys(object.get(input.kubernetes.serviceAccounts, t.namespace, {})))},
		"profile": t.profile.name,
	}
}

deny contains f if {
	some t in k8s.targets
	d := k8s.workload(t)
	d.template.serviceAccount != t.profile.serviceAccount
	f := {
		"msg": sprintf("%s %s runs under service account %q, not %q", [d.kind, d.name, d.template.serviceAccount, t.profile.serviceAccount]),
		"resource": k8s.resource(d.kind, d),
		"evidence": {"serviceAccountName": d.template.serviceAccount, "expected": t.profile.serviceAccount},
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
