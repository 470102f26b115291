package wiscan.aws.role_exists_test

import data.wiscan.aws.role_exists as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": 0, "unknown": 1}},
	"documented IRSA setup passes": {"input": fx.space_aws({}), "want": {"deny": 0, "unknown": 0}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": 0, "unknown": 0}},
	# IAM answered NoSuchEntity.
	"role missing": {"input": fx.space_aws({"role_found": false}), "want": {"deny": 1, "unknown": 0}},
	"association names a missing role": {"input": fx.space_aws(object.union(fx.pod_identity, {"role_found": false})), "want": {"deny": 1, "unknown": 0}},
	# The annotation names a role in another partition than the cluster's.
	"role in aws-cn": {"input": fx.space_aws({"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws-cn:iam::123456789012:role/backup"}, "roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": "arn:aws-cn:iam::123456789012:role/backup", "reason": "error", "message": "role is in partition aws-cn"}]}), "want": {"deny": 1, "unknown": 1}},
	"not a role ARN": {"input": fx.space_aws({"sa_annotations": {"eks.amazonaws.com/role-arn": "backup-role"}, "roles": {}}), "want": {"deny": 1, "unknown": 1}},
	"role access denied": {"input": fx.space_aws({"roles": {}, "errors": [{"collector": "aws", "kind": "IAMRole", "name": fx.role_arn, "reason": "forbidden", "message": "AccessDenied: iam:GetRole"}]}), "want": {"deny": 0, "unknown": 1}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": 0, "unknown": 1}},
	# No role named at all: WI-K8S-002's business, not this control's.
	"no role named": {"input": fx.space_aws({"sa_annotations": {}}), "want": {"deny": 0, "unknown": 0}},
}
