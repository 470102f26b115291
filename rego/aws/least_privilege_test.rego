package wiscan.aws.least_privilege_test

import data.wiscan.aws.least_privilege as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

both := [concat("", ["arn:aws:s3:::", fx.bucket]), concat("", ["arn:aws:s3:::", fx.bucket, "/*"])]

four := ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"]

allow(actions, resources) := [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": actions, "Resource": resources})}]

secrets_reader := {"backupConfig": "", "access": {"objects": [], "secrets": ["spaces/*"]}}

cases := {
	"bucket policy does not parse": {"input": fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": "%7B%22Statement%22%3A"}}}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	# An allow of s3:* trimmed by a deny of every other action is the
	# documented policy.
	"s3 star trimmed by a deny": {"input": fx.space_aws({"inline": [{"name": "p", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": both}, {"Effect": "Deny", "NotAction": four, "Resource": "*"}]}}]}), "want": {"deny": set(), "unknown": set()}},
	"boundary as broad as the grant keeps s3 star": {"input": fx.space_aws({"inline": allow("s3:*", both), "boundary": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": both})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"every bucket within a spaces-* boundary": {"input": fx.space_aws({"inline": allow(four, "arn:aws:s3:::*"), "boundary": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::spaces-*"})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# With the bucket unknown, s3:* exceeds whatever the bucket.
	"bucket unknown, s3 star": {"input": fx.space_aws({"sharedBackupConfigs": [], "inline": allow("s3:*", both)}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# An AWS managed policy without its document is judged from the list.
	"AWS managed policy not exported": {"input": fx.space_aws({"attached": [{"arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess", "name": "AmazonS3FullAccess", "document": null, "error": "not in the evidence"}]}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"undecidable extra grant": {"input": fx.space_aws({"inline": [{"name": "backup-restore", "document": fx.documented_permissions}, {"name": "p", "document": fx.statement({"Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	# A profile that reads secrets is judged against what it needs: the
	# backup's S3 grants exceed it, Secrets Manager reads of its secrets do
	# not, any other Secrets Manager action does.
	"secrets reader with the backup grants": {"input": fx.space_aws({"profile": secrets_reader}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"secrets reader with secret reads": {"input": fx.space_aws({"profile": secrets_reader, "inline": allow(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "arn:aws:secretsmanager:us-east-1:123456789012:secret:spaces/db-AbCdEf")}), "want": {"deny": set(), "unknown": set()}},
	"secrets reader with every secret action": {"input": fx.space_aws({"profile": secrets_reader, "inline": allow("secretsmanager:*", "*")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# A writer that lists: reading objects is beyond it.
	"writer with the four actions": {"input": fx.space_aws({"profile": {"access": {"objects": ["write", "list"]}}}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"writer with write and list": {"input": fx.space_aws({"profile": {"access": {"objects": ["write", "list"]}}, "inline": [{"name": "p", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": both[1]}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": both[0]}]}}]}), "want": {"deny": set(), "unknown": set()}},
	"s3 star": {"input": fx.space_aws({"inline": allow("s3:*", both)}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"resource star": {"input": fx.space_aws({"inline": allow(four, "*")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"NotAction": {"input": fx.space_aws({"inline": [{"name": "p", "document": fx.statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": both})}]}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"AWS managed policy": {"input": fx.space_aws({"attached": [{"arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess", "name": "AmazonS3FullAccess", "document": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}]}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# The boundary takes away everything but the four actions.
	"boundary trims s3 star": {"input": fx.space_aws({"inline": allow("s3:*", both), "boundary": fx.documented_permissions}), "want": {"deny": set(), "unknown": set()}},
	"attached policy not readable": {"input": fx.space_aws({"attached": [{"arn": "arn:aws:iam::123456789012:policy/extra", "document": null, "error": "AccessDenied: iam:GetPolicyVersion"}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	# A broken statement is not skipped: it could grant anything.
	"unknown condition operator": {"input": fx.space_aws({"inline": [{"name": "backup-restore", "document": fx.documented_permissions}, {"name": "p", "document": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringRegex": {"aws:x": "y"}}})}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"truncated document": {"input": fx.space_aws({"inline": [{"name": "p", "document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statem"}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"bucket unknown": {"input": fx.space_aws({"sharedBackupConfigs": []}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}

# A control with nothing to check says why, and a control that does check
# has no such reason.
test_not_applicable_on_another_cloud if {
	control.not_applicable == {"no control plane uses AWS"} with input as fx.space({"profile": {"cloud": "azure"}, "sa_annotations": {"azure.workload.identity/client-id": "706c49fa-5bb8-4a7e-9f41-2fc38ef4b065"}})
}

test_applicable_on_aws if {
	count(control.not_applicable) == 0 with input as fx.space_aws({})
}

test_not_applicable_without_targets if {
	control.not_applicable == {"no namespace matched the profiles"} with input as object.union(fx.space_aws({}), {"profiles": [object.union(fx.profile, {"targets": []})], "targets": []})
}

# The fix grants exactly the four permissions on the bucket and its
# objects, then removes the policy that grants beyond them: an inline
# policy by name, a managed one by ARN; a boundary leaves it by hand.
narrow_failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in narrow_cases
	got := {f.fix | some f in control.deny; f.fix} with input as c.input
	got != c.want
}

test_narrow_cases if count(narrow_failures) == 0

narrowed(policy) := {{
	"action": "narrow", "kind": "IAMRole", "name": fx.role_arn, "role": fx.role_arn,
	"actions": sort(four), "resources": sort(both), "policy": policy,
}}

narrow_cases := {
	"inline s3 star": {"input": fx.space_aws({"inline": allow("s3:*", both)}), "want": narrowed("inline policy p")},
	"AWS managed policy": {"input": fx.space_aws({"attached": [{"arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess", "name": "AmazonS3FullAccess", "document": null, "error": "not in the evidence"}]}), "want": narrowed("managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess")},
	"boundary": {"input": fx.space_aws({"inline": allow("s3:*", both), "boundary": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": both})}), "want": set()},
}
