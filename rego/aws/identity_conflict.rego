# METADATA
# title: One AWS identity mechanism per service account
# description: >-
#   A service account with both an IRSA annotation and an EKS Pod Identity
#   association gets two sets of credentials; which one the workload uses
#   depends on the order of the AWS SDK's credential chain.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
# custom:
#   id: WI-AWS-011
#   severity: low
#   remediation: >-
#     Keep one: remove the eks.amazonaws.com/role-arn annotation (Helm value
#     controlPlanes.mxpController.serviceAccount.annotations) or delete the
#     Pod Identity association (aws eks delete-pod-identity-association).
package wiscan.aws.identity_conflict

import data.wiscan.lib.aws
import data.wiscan.lib.k8s

deny contains f if {
	some t in aws.targets
	irsa := aws.irsa_role(t)
	a := aws.association(t)
	f := {
		"msg": sprintf("service account %s has both the IRSA role %s and Pod Identity association %s (role %s)", [t.profile.serviceAccount, irsa, a.id, a.roleArn]),
		"resource": k8s.sa_resource(t),
		"evidence": {"irsaRole": irsa, "association": a.id, "associationRole": a.roleArn},
		"profile": t.profile.name,
	}
}

# One unknown per role, not one per control plane.
unknown contains u if {
	some arn, _ in aws.uses
	count(aws.via(arn, "irsa")) > 0
	not aws.associations_known
	u := {"msg": why, "resource": aws.role_resource(arn), "key": "associations-unread"}
}

why := aws.not_collected_msg if {
	not input.aws
} else := aws.reasons(aws.gap_messages("PodIdentityAssociation", ""), "EKS Pod Identity associations were not collected: pass --cluster-name, or add aws eks list-pod-identity-associations to the evidence")

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.roles_not_applicable
