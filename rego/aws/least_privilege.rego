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
	f := object.union(
		{
			"msg": sprintf("role %s, %s %s grants beyond the bucket %s: %s (used by %s)", [arn, e.policy, e.statement, bucket, e.detail, aws.summary(ns)]),
			"resource": aws.role_resource(arn),
			"key": excess_key(bucket, e),
			"evidence": {"role": arn, "policy": e.policy, "statement": e.statement, "detail": e.detail, "action": e.action, "resource": e.resource, "bucket": bucket, "namespaces": ns},
		},
		narrow(arn, access, e),
	)
}

# narrow grants the role exactly the profile's access to the bucket, then
# removes the policy that grants beyond it (an inline policy deleted, a
# managed one detached). A bucket policy, or a role whose permissions
# boundary could block the exact grant, is narrowed by hand.
narrow(arn, access, e) := {"fix": {
	"action": "narrow", "kind": "IAMRole", "name": arn, "role": arn,
	"actions": sort({p.action | some p in access.required}),
	"resources": sort({p.resource | some p in access.required}),
	"policy": policy_name(e.policy),
}} if {
	count(access.required) > 0
	regex.match(`^(inline|managed) policy `, e.policy)
	not input.aws.roles[arn].permissionsBoundary
} else := {}

# policy_name is the policy an excess names, without what follows it in
# parentheses (where its document came from).
policy_name(p) := regex.replace(p, ` \(.*$`, "")

# With the backup bucket unknown, a grant beyond least privilege for
# every bucket fails all the same.
deny contains f if {
	some arn, _ in aws.uses
	some e in aws.analysis[arn].anyBucket.excess
	ns := aws.namespaces(arn)
	f := {
		"msg": sprintf("role %s, %s %s grants beyond least privilege%s: %s (used by %s)", [arn, e.policy, e.statement, any_bucket_note(arn), e.detail, aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"key": excess_key("*", e),
		"evidence": {"role": arn, "policy": e.policy, "statement": e.statement, "detail": e.detail, "action": e.action, "resource": e.resource, "namespaces": ns},
	}
}

# excess_key names an excess grant by bucket, policy, statement and the
# request that shows it.
excess_key(bucket, e) := concat("|", [bucket, e.policy, e.statement, object.get(e, "action", ""), object.get(e, "resource", "")])

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "access-unknown"} if {
	some arn, _ in aws.uses
	msg := access_unknown(arn)
}

# A grant that may exceed least privilege, depending on a statement that
# cannot be decided or on which bucket is the backup bucket.
unknown contains u if {
	some arn, _ in aws.uses
	some bucket, access in results(arn)
	count(access.excess) == 0
	count(access.undecided) > 0
	u := {
		"msg": sprintf("role %s%s: %s", [arn, bucket_note(arn, bucket), concat("; ", array.slice(access.undecided, 0, 3))]),
		"resource": aws.role_resource(arn),
		"key": sprintf("undecided:%s", [bucket]),
	}
}

# results are the role's access results, per bucket and (key "") for any
# bucket.
results(arn) := object.union(aws.analysis[arn].access, any_bucket(arn))

any_bucket(arn) := {"": aws.analysis[arn].anyBucket} if aws.analysis[arn].anyBucket

else := {}

bucket_note(arn, "") := ", the backup bucket not being known (set storage.bucket in the profile, or give the backup configuration)" if aws.needs_objects(arn)

bucket_note(arn, "") := "" if not aws.needs_objects(arn)

bucket_note(_, b) := sprintf(", bucket %s", [b]) if b != ""

any_bucket_note(arn) := " whatever the backup bucket" if aws.needs_objects(arn)

else := ""

# access_unknown explains why a role's access cannot be decided.
access_unknown(arn) := msg if {
	msg := aws.role_unknown(arn)
} else := msg if {
	msg := aws.analysis[arn].accessError
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.roles_not_applicable
