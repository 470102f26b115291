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

import data.wiscan.lib.aws
import data.wiscan.lib.k8s

# Pod Identity's webhook injects this variable; its presence shows an
# association exists even without AWS data.
pod_identity_env := "AWS_CONTAINER_CREDENTIALS_FULL_URI"

deny contains f if {
	some t in k8s.targets
	sa := k8s.service_account(t)
	c := k8s.cloud(t)
	c != ""
	key := k8s.identity_keys[c]
	not sa.annotations[key]
	unbound(t, sa, c)
	f := {
		"msg": sprintf("service account %s has no %s workload-identity binding (annotation %s%s)", [sa.name, c, key, also[c]]),
		"resource": k8s.resource("ServiceAccount", sa),
		"evidence": {"cloud": c, "identityAnnotations": k8s.annotated_clouds(sa), "method": k8s.method(t)},
		"profile": t.profile.name,
	}
}

also := {"aws": " or an EKS Pod Identity association", "azure": "", "gcp": ""}

unbound(t, _, c) if definitely_unbound(t, c)

# An annotation for another cloud only is a binding to the wrong cloud.
unbound(_, sa, c) if {
	clouds := k8s.annotated_clouds(sa)
	count(clouds) > 0
	not c in clouds
}

# Without the annotation, AWS may still bind through Pod Identity and GCP
# through principal identifiers; only the methods that need the annotation
# (or Azure, which always does) fail on the Kubernetes data alone.
definitely_unbound(_, "azure")

definitely_unbound(t, "aws") if k8s.method(t) == "irsa"

# With the cluster's Pod Identity associations read, a service account
# without the annotation and without an association is unbound.
definitely_unbound(t, "aws") if {
	aws.associations_known
	not aws.association(t)
}

definitely_unbound(t, "gcp") if k8s.method(t) == "gke-workload-identity"

unknown contains u if {
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
	}
}

unknown contains u if {
	some t in k8s.targets
	sa := k8s.service_account(t)
	c := k8s.cloud(t)
	c in {"aws", "gcp"}
	not sa.annotations[k8s.identity_keys[c]]
	not unbound(t, sa, c)
	not pod_identity_injected(t, c)
	not aws.association(t)
	u := {
		"msg": other_binding[c],
		"resource": k8s.resource("ServiceAccount", sa),
	}
}

other_binding := {
	"aws": "no IRSA annotation, and EKS Pod Identity associations were not collected (they come from the AWS collector)",
	"gcp": "no iam.gke.io/gcp-service-account annotation, and IAM principal-identifier bindings were not collected (they come from the GCP collector)",
}

pod_identity_injected(t, "aws") if {
	some p in k8s.workload_pods(t)
	k8s.has_env(p.spec, pod_identity_env)
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
