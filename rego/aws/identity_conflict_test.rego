package wiscan.aws.identity_conflict_test

import data.wiscan.aws.identity_conflict as control
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
	"both": {"input": fx.space_aws({"associations": {fx.ns: {"mxp-controller": fx.association}}}), "want": {"deny": 1, "unknown": 0}},
	"associations not readable": {"input": fx.space_aws({"errors": [{"collector": "aws", "kind": "PodIdentityAssociation", "reason": "forbidden", "message": "AccessDeniedException"}]}), "want": {"deny": 0, "unknown": 1}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": 0, "unknown": 1}},
}
