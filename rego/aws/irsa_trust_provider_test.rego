package wiscan.aws.irsa_trust_provider_test

import data.wiscan.aws.irsa_trust_provider as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

trust(principal, action) := {"Version": "2012-10-17", "Statement": [{
	"Effect": "Allow", "Principal": principal, "Action": action,
	"Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com", fx.sub_key: fx.subject}},
}]}

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"wrong account": {"input": fx.space_aws({"trust": trust({"Federated": concat("", ["arn:aws:iam::210987654321:oidc-provider/", fx.issuer])}, "sts:AssumeRoleWithWebIdentity")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"wrong issuer": {"input": fx.space_aws({"trust": trust({"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"}, "sts:AssumeRoleWithWebIdentity")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"wrong action": {"input": fx.space_aws({"trust": trust({"Federated": fx.provider_arn}, "sts:AssumeRole")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# A Pod Identity trust policy on a role used through IRSA.
	"service principal": {"input": fx.space_aws({"trust": fx.pod_identity_trust}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# Action names are case-insensitive in IAM.
	"action in other case": {"input": fx.space_aws({"trust": trust({"Federated": fx.provider_arn}, "STS:assumerolewithwebidentity")}), "want": {"deny": set(), "unknown": set()}},
	"trust policy malformed": {"input": fx.space_aws({"roles": {fx.role_arn: object.union(fx.role({}), {"trustPolicy": {"document": null, "error": "truncated or empty JSON"}})}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	# An unknown operator: the statement is reported, not guessed.
	"unknown condition operator": {"input": fx.space_aws({"trust": {"Statement": [{"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringMatchesRegex": {fx.sub_key: ".*"}}}]}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"cluster unknown": {"input": fx.space_aws({"cluster": {"name": "spaces"}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}
