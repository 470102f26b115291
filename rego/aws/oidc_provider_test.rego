package wiscan.aws.oidc_provider_test

import data.wiscan.aws.oidc_provider as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	# eksctl utils associate-iam-oidc-provider was never run.
	"unregistered OIDC provider": {"input": fx.space_aws({"providers": {}}), "want": {"deny": {fx.provider_key}, "unknown": set()}},
	"provider of another cluster only": {"input": fx.space_aws({"providers": {"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER": {"arn": "x", "url": "x", "clientIds": ["sts.amazonaws.com"]}}}), "want": {"deny": {fx.provider_key}, "unknown": set()}},
	"provider without sts client ID": {"input": fx.space_aws({"providers": {fx.provider_arn: {"arn": fx.provider_arn, "url": fx.issuer, "clientIds": ["other"]}}}), "want": {"deny": {fx.provider_key}, "unknown": set()}},
	# Listed, but get-open-id-connect-provider missing from the evidence.
	"client IDs not collected": {"input": fx.space_aws({"providers": {fx.provider_arn: {"arn": fx.provider_arn, "url": fx.issuer, "clientIds": null}}}), "want": {"deny": set(), "unknown": {fx.provider_key}}},
	"providers not readable": {"input": fx.space_aws({"providers": {}, "errors": [{"collector": "aws", "kind": "IAMOIDCProvider", "reason": "forbidden", "message": "AccessDenied"}]}), "want": {"deny": set(), "unknown": {fx.provider_key}}},
	"cluster unknown": {"input": fx.space_aws({"cluster": {"name": "spaces"}}), "want": {"deny": set(), "unknown": {"IAMOIDCProvider /arn:aws:iam::123456789012:oidc-provider/*"}}},
	# A role in another account: its providers were not read.
	"role in another account": {"input": fx.space_aws({"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::210987654321:role/backup"}, "providers": {}}), "want": {"deny": set(), "unknown": {"IAMOIDCProvider /arn:aws:iam::210987654321:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {"IAMOIDCProvider /arn:aws:iam::123456789012:oidc-provider/*"}}},
	# Pod Identity needs no OIDC provider.
	"pod identity only": {"input": fx.space_aws(object.union(fx.pod_identity, {"providers": {}})), "want": {"deny": set(), "unknown": set()}},
}
