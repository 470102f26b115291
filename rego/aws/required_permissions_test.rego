package wiscan.aws.required_permissions_test

import data.wiscan.aws.required_permissions as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

# A permission nothing grants is fixed by a grant of it on its resource;
# a deny or a boundary is not, and gets no grant.
test_grant_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], both[1])})
	f.fix == {"action": "grant", "kind": "IAMRole", "name": fx.role_arn, "role": fx.role_arn, "actions": ["s3:ListBucket"], "resources": [both[0]]}
}

test_no_grant_for_a_deny if {
	[f] := [f | some f in control.deny] with input as fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "expiry", "document": fx.statement({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"})}]})
	not f.fix
}

test_no_grant_under_a_boundary if {
	[f] := [f | some f in control.deny] with input as fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], both[1]), "boundary": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})})
	not f.fix
}

both := [concat("", ["arn:aws:s3:::", fx.bucket]), concat("", ["arn:aws:s3:::", fx.bucket, "/*"])]

allow(actions, resources) := [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": actions, "Resource": resources})}]

secrets_reader := {"backupConfig": "", "access": {"objects": [], "secrets": ["spaces/*"]}}

cases := {
	# A profile that reads secrets needs a Secrets Manager read of one of
	# its secrets, not the backup's S3 permissions.
	"secrets reader without secret reads": {"input": fx.space_aws({"profile": secrets_reader}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"secrets reader with a secret read": {"input": fx.space_aws({"profile": secrets_reader, "inline": allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:spaces/db-AbCdEf")}), "want": {"deny": set(), "unknown": set()}},
	# A writer does not need to read or delete.
	"writer with write and list only": {"input": fx.space_aws({"profile": {"access": {"objects": ["write", "list"]}}, "inline": [{"name": "p", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": both[1]}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": both[0]}]}}]}), "want": {"deny": set(), "unknown": set()}},
	# A bucket policy that does not parse could deny anything: every
	# permission is undecided, and the message names the document.
	"bucket policy does not parse": {"input": fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": "%7B%22Statement%22%3A"}}}}), "want": {"deny": set(), "unknown": {concat(" ", [fx.role_key, "s3:DeleteObject"]), concat(" ", [fx.role_key, "s3:GetObject"]), concat(" ", [fx.role_key, "s3:ListBucket"]), concat(" ", [fx.role_key, "s3:PutObject"])}}},
	# With the bucket unknown: a permission granted on no bucket at all is
	# missing on every bucket; one granted on a named bucket depends on it.
	"bucket unknown, DeleteObject nowhere": {"input": fx.space_aws({"sharedBackupConfigs": [], "inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], both)}), "want": {"deny": {fx.role_key}, "unknown": {concat(" ", [fx.role_key, "s3:GetObject"]), concat(" ", [fx.role_key, "s3:ListBucket"]), concat(" ", [fx.role_key, "s3:PutObject"])}}},
	"bucket unknown, documented policy": {"input": fx.space_aws({"sharedBackupConfigs": []}), "want": {"deny": set(), "unknown": {concat(" ", [fx.role_key, "s3:DeleteObject"]), concat(" ", [fx.role_key, "s3:GetObject"]), concat(" ", [fx.role_key, "s3:ListBucket"]), concat(" ", [fx.role_key, "s3:PutObject"])}}},
	"bucket unknown, every bucket": {"input": fx.space_aws({"sharedBackupConfigs": [], "inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], "*")}), "want": {"deny": set(), "unknown": set()}},
	# Every request from the pod is over TLS, in the bucket's region.
	"allow requires TLS": {"input": fx.space_aws({"inline": [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], "Resource": both, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})}]}), "want": {"deny": set(), "unknown": set()}},
	"region lock on the bucket's region": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "lock", "document": fx.statement({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}})}]}), "want": {"deny": set(), "unknown": set()}},
	"deny already in force": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "expiry", "document": fx.statement({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}})}]}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {concat(" ", [fx.sa_key, "-"])}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": set(), "unknown": set()}},
	"ListBucket only on objects": {"input": fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"], concat("", ["arn:aws:s3:::", fx.bucket, "/*"]))}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"no DeleteObject": {"input": fx.space_aws({"inline": allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], both)}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"explicit deny": {"input": fx.space_aws({"inline": [{"name": "backup", "document": fx.documented_permissions}, {"name": "guard", "document": fx.statement({"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"})}]}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"boundary blocks": {"input": fx.space_aws({"boundary": fx.statement({"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"bucket policy denies": {"input": fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": fx.statement({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": concat("", ["arn:aws:s3:::", fx.bucket, "/*"])})}}}}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"config names another bucket": {"input": fx.space_aws({"bc_bucket": "other-bucket"}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"no permission policies": {"input": fx.space_aws({"inline": []}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"statement cannot be evaluated": {"input": fx.space_aws({"inline": [{"name": "p", "document": fx.statement({"Effect": "Allow", "Action": "s3:*", "Resource": both, "Condition": {"StringRegex": {"aws:x": "y"}}})}]}), "want": {"deny": set(), "unknown": {concat(" ", [fx.role_key, "s3:DeleteObject"]), concat(" ", [fx.role_key, "s3:GetObject"]), concat(" ", [fx.role_key, "s3:ListBucket"]), concat(" ", [fx.role_key, "s3:PutObject"])}}},
	"bucket policy not readable": {"input": fx.space_aws({"errors": [{"collector": "aws", "kind": "S3BucketPolicy", "name": fx.bucket, "reason": "forbidden", "message": "AccessDenied"}]}), "want": {"deny": set(), "unknown": {concat(" ", [fx.role_key, "-"])}}},
	"role access denied": {"input": fx.space_aws({"roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": fx.role_arn, "reason": "forbidden", "message": "AccessDenied"}]}), "want": {"deny": set(), "unknown": {concat(" ", [fx.role_key, "-"])}}},
}

test_unparsed_bucket_policy_is_named if {
	fs := control.unknown with input as fx.space_aws({"buckets": {fx.bucket: {"name": fx.bucket, "policy": {"document": "%7B%22Statement%22%3A"}}}})
	some u in fs
	contains(u.msg, sprintf("bucket policy of %s", [fx.bucket]))
}

# results are fx.results with each unknown's action: one role is unknown
# once per permission it cannot decide.
results(deny, unknown) := {
	"deny": {fx.result_key(f) | some f in deny},
	"unknown": {sprintf("%s %s", [fx.result_key(u), action(u.msg)]) | some u in unknown},
}

action(msg) := regex.find_n(`s3:[A-Za-z]+`, msg, 1)[0] if regex.match(`s3:[A-Za-z]+`, msg)

else := "-"
