# METADATA
# title: Identity token reaches the pod
# description: >-
#   The projected service-account token must carry the audience the cloud
#   exchanges (sts.amazonaws.com, api://AzureADTokenExchange), and GKE
#   workload identity needs the service-account token mounted.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
# custom:
#   id: WI-K8S-007
#   severity: medium
#   remediation: >-
#     Remove hand-written token volumes and let the cloud's webhook project
#     the token, or set the audience it expects; on GKE do not set
#     automountServiceAccountToken to false for the workload.
package wiscan.k8s.token_delivery

import data.wiscan.lib.k8s

# The projected volume each webhook adds, and the audience it must carry.
token_volumes := {
	"aws": {"volume": "aws-iam-token", "audience": "sts.amazonaws.com", "override": "eks.amazonaws.com/audience"},
	"azure": {"volume": "azure-identity-token", "audience": "api://AzureADTokenExchange", "override": ""},
}

expected_audience(c, sa) := aud if {
	key := token_volumes[c].override
	key != ""
	aud := sa.annotations[key]
} else := token_volumes[c].audience

# specs are the template and the pods, each with its resource.
specs(t) := array.concat(
	[{"resource": k8s.resource("Deployment", d), "spec": d.template} | d := k8s.deployment(t)],
	[{"resource": k8s.resource("Pod", p), "spec": p.spec} | some p in k8s.workload_pods(t)],
)

deny contains f if {
	some t in k8s.targets
	c := k8s.cloud(t)
	tv := token_volumes[c]
	sa := k8s.service_account(t)
	want := expected_audience(c, sa)
	some s in specs(t)
	some v in s.spec.volumes
	v.name == tv.volume
	some src in v.projected
	got := src.serviceAccountToken.audience
	got != want
	f := {
		"msg": sprintf("projected token volume %s has audience %q, not %q", [v.name, got, want]),
		"resource": s.resource,
		"evidence": {"volume": v.name, "audience": got, "expected": want},
		"profile": t.profile.name,
	}
}

deny contains f if {
	some t in k8s.targets
	k8s.cloud(t) == "gcp"
	sa := k8s.service_account(t)
	some s in specs(t)
	automount_disabled(s.spec, sa)
	f := {
		"msg": "the service-account token is not mounted (automountServiceAccountToken: false), which GKE workload identity needs",
		"resource": s.resource,
		"evidence": {"podAutomount": s.spec.automount, "serviceAccountAutomount": sa.automount},
		"profile": t.profile.name,
	}
}

# The pod's setting wins over the service account's.
automount_disabled(spec, _) if spec.automount == false

automount_disabled(spec, sa) if {
	spec.automount == null
	sa.automount == false
}

unknown contains u if {
	some t in k8s.targets
	k8s.cloud(t) in {"aws", "azure", "gcp"}
	u := k8s.unknown_result(["ServiceAccount", "Deployment", "Pod"], t, k8s.sa_resource(t))
}
