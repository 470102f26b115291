package wiscan.aws.role_exists_test

import data.wiscan.aws.role_exists as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented IRSA setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": set(), "unknown": set()}},
	# IAM answered NoSuchEntity.
	"role missing": {"input": fx.space_aws({"role_found": false}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"association names a missing role": {"input": fx.space_aws(object.union(fx.pod_identity, {"role_found": false})), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# The annotation names a role in another partition than the cluster's.
	"role in aws-cn": {"input": fx.space_aws({"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws-cn:iam::123456789012:role/backup"}, "roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": "arn:aws-cn:iam::123456789012:role/backup", "reason": "error", "message": "role is in partition aws-cn"}]}), "want": {"deny": {"IAMRole /arn:aws-cn:iam::123456789012:role/backup"}, "unknown": {"IAMRole /arn:aws-cn:iam::123456789012:role/backup"}}},
	"not a role ARN": {"input": fx.space_aws({"sa_annotations": {"eks.amazonaws.com/role-arn": "backup-role"}, "roles": {}}), "want": {"deny": {"IAMRole /backup-role"}, "unknown": {"IAMRole /backup-role"}}},
	"role access denied": {"input": fx.space_aws({"roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": fx.role_arn, "reason": "forbidden", "message": "AccessDenied: iam:GetRole"}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	# No role named at all: WI-K8S-002's business, not this control's.
	"no role named": {"input": fx.space_aws({"sa_annotations": {}}), "want": {"deny": set(), "unknown": set()}},
}
