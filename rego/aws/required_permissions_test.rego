package wiscan.aws.required_permissions_test

import data.wiscan.aws.required_permissions as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

both := [concat("", ["arn:aws:s3:::", fx.bucket]), concat("", ["arn:aws:s3:::", fx.bucket, "/*"])]

allow(actions, resources) := [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": actions, "Resource": resources})}]

cases := {
	# A bucket policy that does not parse could deny anything: every
	# permission is undecided, and the message names the document.
	"bucket policy does not parse": {"input": fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": "%7B%22Statement%22%3A"}}}}), "want": {"deny": 0, "unknown": 4}},
	# With the bucket unknown: a permission granted on no bucket at all is
	# missing on every bucket; one granted on a named bucket depends on it.
	"bucket unknown, DeleteObject nowhere": {"input": fx.space_aws({"sharedBackupConfigs": [], "inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], both)}), "want": {"deny": 1, "unknown": 3}},
	"bucket unknown, documented policy": {"input": fx.space_aws({"sharedBackupConfigs": []}), "want": {"deny": 0, "unknown": 4}},
	"bucket unknown, every bucket": {"input": fx.space_aws({"sharedBackupConfigs": [], "inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], "*")}), "want": {"deny": 0, "unknown": 0}},
	# Every request from the pod is over TLS, in the bucket's region.
	"allow requires TLS": {"input": fx.space_aws({"inline": [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], "Resource": both, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})}]}), "want": {"deny": 0, "unknown": 0}},
	"region lock on the bucket's region": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "lock", "document": fx.statement({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}})}]}), "want": {"deny": 0, "unknown": 0}},
	"deny already in force": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "expiry", "document": fx.statement({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}})}]}), "want": {"deny": 1, "unknown": 0}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": 0, "unknown": 1}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": 0, "unknown": 0}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": 0, "unknown": 0}},
	"ListBucket only on objects": {"input": fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], concat("", ["arn:aws:s3:::", fx.bucket, "/*"]))}), "want": {"deny": 1, "unknown": 0}},
	"no DeleteObject": {"input": fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], both)}), "want": {"deny": 1, "unknown": 0}},
	"explicit deny": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "guard", "document": fx.statement({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"})}]}), "want": {"deny": 1, "unknown": 0}},
	"boundary blocks": {"input": fx.space_aws({"boundary": fx.statement({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})}), "want": {"deny": 1, "unknown": 0}},
	"bucket policy denies": {"input": fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": fx.statement({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": concat("", ["arn:aws:s3:::", fx.bucket, "/*"])})}}}}), "want": {"deny": 1, "unknown": 0}},
	"config names another bucket": {"input": fx.space_aws({"bc_bucket": "other-bucket"}), "want": {"deny": 1, "unknown": 0}},
	"no permission policies": {"input": fx.space_aws({"inline": []}), "want": {"deny": 1, "unknown": 0}},
	"statement cannot be evaluated": {"input": fx.space_aws({"inline": [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": both, "Condition": {"StringRegex": {"aws:x": "y"}}})}]}), "want": {"deny": 0, "unknown": 4}},
	"bucket policy not readable": {"input": fx.space_aws({"errors": [{"collector": "aws", "kind": "S3BucketPolicy", "name": fx.bucket, "reason": "forbidden", "message": "AccessDenied"}]}), "want": {"deny": 0, "unknown": 1}},
	"role access denied": {"input": fx.space_aws({"roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": fx.role_arn, "reason": "forbidden", "message": "AccessDenied"}]}), "want": {"deny": 0, "unknown": 1}},
}

test_unparsed_bucket_policy_is_named if {
	fs := control.unknown with input as fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": "%7B%22Statement%22%3A"}}}})
	some u in fs
	contains(u.msg, sprintf("bucket policy of %s", [fx.bucket]))
}
