# METADATA
# title: Pod Identity role trusts the EKS Pod Identity service
# description: >-
#   A role used through EKS Pod Identity trusts the service
#   pods.eks.amazonaws.com with both sts:AssumeRole and sts:TagSession, under
#   conditions that hold for the cluster and the association's namespace.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
# custom:
#   id: WI-AWS-010
#   severity: critical
#   remediation: >-
#     Set the trust policy to Allow Principal {"Service":
#     "pods.eks.amazonaws.com"} the actions sts:AssumeRole and sts:TagSession.
package wiscan.aws.pod_identity_trust

import data.wiscan.lib.aws

pod_roles contains arn if {
	some arn, _ in aws.uses
	count(aws.via(arn, "pod-identity")) > 0
}

deny contains f if {
	some arn in pod_roles
	ds := [d | some d in aws.analysis[arn].podIdentity.denied; d.decision != "indeterminate"]
	count(ds) > 0
	actions := sort({d.action | some d in ds})
	ns := sort({split(d.subject, ":")[2] | some d in ds})
	f := {
		"msg": sprintf("trust policy of role %s does not let %s %s for %s", [arn, "pods.eks.amazonaws.com", concat(" and ", actions), aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"evidence": {"role": arn, "actions": actions, "namespaces": ns, "denied": ds},
	}
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "role-unread"} if {
	some arn in pod_roles
	msg := aws.role_unknown(arn)
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "trust-unreadable"} if {
	some arn in pod_roles
	msg := aws.analysis[arn].trustError
}

unknown contains u if {
	some arn in pod_roles
	some d in aws.analysis[arn].podIdentity.denied
	d.decision == "indeterminate"
	u := {
		"msg": sprintf("trust policy of role %s: cannot decide %s for %s: %s", [arn, d.action, d.subject, d.reason]),
		"resource": aws.role_resource(arn),
		"key": concat("|", [d.action, d.subject]),
	}
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.pod_identity_not_applicable
