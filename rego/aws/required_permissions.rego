# METADATA
# title: Role has the four required S3 permissions
# description: >-
#   The role can s3:ListBucket on arn:aws:s3:::<bucket> and s3:GetObject,
#   s3:PutObject, s3:DeleteObject on arn:aws:s3:::<bucket>/*, and no explicit
#   deny (in its policies or the bucket policy) or permissions boundary
#   blocks them.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-008
#   severity: high
#   remediation: >-
#     Attach the documented policy: Allow s3:GetObject, s3:PutObject,
#     s3:ListBucket, s3:DeleteObject on arn:aws:s3:::<bucket> and
#     arn:aws:s3:::<bucket>/*; remove denies and widen the boundary to match.
package wiscan.aws.required_permissions

import data.wiscan.aws.least_privilege as lp
import data.wiscan.lib.aws

deny contains f if {
	some arn, _ in aws.uses
	some bucket, access in lp.results(arn)
	missing := [m | some m in access.missing; m.decision != "indeterminate"]
	count(missing) > 0
	ns := aws.namespaces(arn)
	f := object.union(
		{
			"msg": sprintf("role %s lacks on %s: %s (used by %s)", [arn, where(arn, bucket), concat("; ", [describe(m) | some m in missing]), aws.summary(ns)]),
			"resource": aws.role_resource(arn),
			"key": bucket,
			"evidence": {"role": arn, "bucket": bucket, "missing": missing, "namespaces": ns},
		},
		{"fix": fix | fix := grant(arn, bucket, missing)},
	)
}

# grant fixes permissions that nothing grants: an inline grant of the
# missing actions on their resources, when every one is merely not granted,
# the bucket is known, and no permissions boundary could still block them.
# An explicit deny or a boundary needs an edit by hand.
grant(arn, bucket, missing) := {
	"action": "grant", "kind": "IAMRole", "name": arn, "role": arn,
	"actions": sort({m.action | some m in missing}),
	"resources": sort({m.resource | some m in missing}),
} if {
	bucket != ""
	every m in missing {
		m.decision == "implicit-deny"
	}
	not input.aws.roles[arn].permissionsBoundary
}

describe(m) := sprintf("%s on %s (%s)", [m.action, m.resource, m.reason])

# where names what a result is about: a bucket, every bucket when the
# bucket is not known, or, for a role whose users need no bucket, the
# resources their profiles name.
where(_, b) := sprintf("bucket %s", [b]) if b != ""

where(arn, "") := "every bucket" if aws.needs_objects(arn)

where(arn, "") := "the resources its profiles name" if not aws.needs_objects(arn)

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "access-unknown"} if {
	some arn, _ in aws.uses
	msg := lp.access_unknown(arn)
}

unknown contains u if {
	some arn, _ in aws.uses
	some bucket, access in lp.results(arn)
	some m in access.missing
	m.decision == "indeterminate"
	u := {
		"msg": sprintf("role %s: cannot decide %s on %s in %s: %s", [arn, m.action, m.resource, where(arn, bucket), m.reason]),
		"resource": aws.role_resource(arn),
		"key": concat("|", ["undecided", bucket, m.action, m.resource]),
	}
}

# An unreadable bucket policy could hold the deny that blocks the role: a
# role whose own policies grant everything is unknown, not passed.
unknown contains u if {
	some arn, _ in aws.uses
	some bucket, access in aws.analysis[arn].access
	count(access.missing) == 0
	gaps := aws.gap_messages("S3BucketPolicy", bucket)
	count(gaps) > 0
	u := {
		"msg": sprintf("role %s: the policy of bucket %s could not be read, and an explicit deny there would block the role: %s", [arn, bucket, concat("; ", gaps)]),
		"resource": aws.role_resource(arn),
		"key": sprintf("bucket-policy-unread:%s", [bucket]),
	}
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.roles_not_applicable
