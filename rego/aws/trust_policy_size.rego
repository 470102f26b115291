# METADATA
# title: IRSA trust policy has room for more control planes
# description: >-
#   IAM limits a role trust policy to 2,048 characters (white space not
#   counted) unless the account's quota was raised. A trust policy with one
#   subject per control plane grows with every control plane; at 80 % of the
#   quota the next ones soon will not fit and their backups will fail.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
# custom:
#   id: WI-AWS-012
#   severity: medium
#   remediation: >-
#     Switch to EKS Pod Identity, or replace the list of subjects with one
#     StringLike pattern confined to the control plane namespaces
#     (system:serviceaccount:mxp-*-system:mxp-controller), or raise the
#     quota.
package wiscan.aws.trust_policy_size

import data.wiscan.aws.irsa_trust_provider as provider
import data.wiscan.lib.aws

quota := q if {
	q := input.aws.trustPolicyQuota
	q > 0
} else := aws.default_trust_quota

deny contains f if {
	some arn in provider.irsa_roles
	size := aws.analysis[arn].trustSize
	size * 100 >= quota * 80
	ns := aws.namespaces_via(arn, "irsa")

	# One more subject: the quoted value and its comma.
	per := count(sprintf("system:serviceaccount:%s:%s", [ns[0], "mxp-controller"])) + 3
	f := {
		"msg": sprintf("trust policy of role %s uses %d of %d characters (%d%%); each further control plane subject adds about %d, room for %d more", [arn, size, quota, floor((size * 100) / quota), per, floor(max([0, (quota - size) / per]))]),
		"resource": aws.role_resource(arn),
		"evidence": {"role": arn, "size": size, "quota": quota, "namespaces": count(ns)},
	}
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "irsa-context"} if {
	some arn in provider.irsa_roles
	msg := aws.irsa_unknown(arn)
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
