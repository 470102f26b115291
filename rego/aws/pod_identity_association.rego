# METADATA
# title: Pod Identity association for every control plane
# description: >-
#   With EKS Pod Identity, each target namespace has an association for the
#   profile's service account, and it names the expected role (the profile's
#   identity, else the role the service account's IRSA annotation names).
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-009
#   severity: high
#   remediation: >-
#     aws eks create-pod-identity-association --cluster-name <cluster>
#     --namespace <namespace> --service-account <service account>
#     --role-arn <role ARN>, for each control plane namespace.
package wiscan.aws.pod_identity_association

import data.wiscan.lib.aws
import data.wiscan.lib.k8s

pod_identity_targets contains t if {
	some t in aws.targets
	k8s.method(t) == "pod-identity"
}

deny contains f if {
	some t in pod_identity_targets
	aws.associations_known
	not aws.association(t)
	f := {
		"msg": sprintf("no EKS Pod Identity association for service account %s in namespace %s", [t.profile.serviceAccount, t.namespace]),
		"resource": k8s.sa_resource(t),
		"evidence": {"cluster": input.aws.cluster.name, "namespace": t.namespace, "serviceAccount": t.profile.serviceAccount},
		"profile": t.profile.name,
		"fix": object.union(
			{"action": "associate", "kind": "ServiceAccount", "namespace": t.namespace, "name": t.profile.serviceAccount, "cluster": input.aws.cluster.name},
			{"role": r | r := expected(t)},
		),
	}
}

# expected is the role every association should name.
expected(t) := r if {
	r := object.get(t.profile, "identity", "")
	r != ""
} else := aws.irsa_role(t)

deny contains f if {
	some t in aws.targets
	a := aws.association(t)
	want := expected(t)
	trim_space(a.roleArn) != want
	f := {
		"msg": sprintf("EKS Pod Identity association %s for %s/%s names role %s, expected %s", [a.id, t.namespace, t.profile.serviceAccount, a.roleArn, want]),
		"resource": object.union({"kind": "PodIdentityAssociation", "namespace": t.namespace, "name": a.id}, object.get(a, "source", {})),
		"evidence": {"association": a.id, "roleArn": a.roleArn, "expected": want},
		"profile": t.profile.name,
	}
}

unknown contains u if {
	some t in pod_identity_targets
	not aws.associations_known
	u := {"msg": why, "resource": k8s.sa_resource(t), "key": "associations-unread"}
}

why := aws.not_collected_msg if {
	not input.aws
} else := aws.reasons(aws.gap_messages("PodIdentityAssociation", ""), "the EKS cluster is not known: pass --cluster-name, or add aws eks describe-cluster and list-pod-identity-associations to the evidence")

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.pod_identity_not_applicable
