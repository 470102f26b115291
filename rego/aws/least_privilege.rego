# METADATA
# title: Role limited to the backup bucket
# description: >-
#   The role's effective permissions (inline and attached policies, within
#   its permissions boundary) stay within s3:GetObject, s3:PutObject,
#   s3:ListBucket and s3:DeleteObject on arn:aws:s3:::<bucket> and
#   arn:aws:s3:::<bucket>/*: no other actions or resources, no NotAction or
#   NotResource allows, no AWS managed policies.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-007
#   severity: high
#   remediation: >-
#     Replace the broad statements with the documented policy: the four S3
#     actions on the bucket ARN and <bucket>/*, and detach AWS managed
#     policies from the role.
package wiscan.aws.least_privilege

import data.wiscan.lib.aws

deny contains f if {
	some arn, _ in aws.uses
	some bucket, access in aws.analysis[arn].access
	some e in access.excess
	ns := aws.namespaces(arn)
	f := {
		"msg": sprintf("role %s, %s %s grants beyond the bucket %s: %s (used by %s)", [arn, e.policy, e.statement, bucket, e.detail, aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"evidence": {"role": arn, "policy": e.policy, "statement": e.statement, "detail": e.detail, "bucket": bucket, "namespaces": ns},
	}
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn)} if {
	some arn, _ in aws.uses
	msg := access_unknown(arn)
}

# A permission statement the scanner cannot evaluate may grant anything.
unknown contains u if {
	some arn, _ in aws.uses
	some p in aws.analysis[arn].problems
	p.policy != "trust policy"
	# A document that does not parse at all is reported as accessError.
	object.get(p, "statement", "") != ""
	u := {
		"msg": sprintf("role %s, %s %s: %s: its grants cannot be evaluated", [arn, p.policy, p.statement, p.msg]),
		"resource": aws.role_resource(arn),
	}
}

# access_unknown explains why a role's access cannot be decided.
access_unknown(arn) := msg if {
	msg := aws.role_unknown(arn)
} else := msg if {
	msg := aws.analysis[arn].accessError
} else := msg if {
	aws.role(arn)
	count(aws.buckets(arn)) == 0
	msg := "the backup bucket is not known: set storage.bucket in the profile, or give the backup configuration"
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets
