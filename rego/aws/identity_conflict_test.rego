package wiscan.aws.identity_conflict_test

import data.wiscan.aws.identity_conflict as control
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
	"both": {"input": fx.space_aws({"associations": {fx.ns: {"mxp-controller": fx.association}}}), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"associations not readable": {"input": fx.space_aws({"errors": [{"collector": "aws", "kind": "PodIdentityAssociation", "reason": "forbidden", "message": "AccessDeniedException"}]}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}
