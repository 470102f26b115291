package wiscan.aws.irsa_trust_audience_test

import data.wiscan.aws.irsa_trust_audience as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	# Another audience is admitted only from some addresses: undecided.
	"audience depends on the source address": {"input": fx.space_aws({"trust": {"Version": "2012-10-17", "Statement": [fx.documented_trust(fx.subject).Statement[0], {"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {fx.sub_key: fx.subject}}}]}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	# A sure finding is not also unknown.
	"audience admitted, and more from some addresses": {"input": fx.space_aws({"trust": {"Version": "2012-10-17", "Statement": [fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.sub_key: fx.subject}}}).Statement[0], {"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# A separate deny pins the audience as well as a condition does.
	"audience pinned by a deny": {"input": fx.space_aws({"trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.sub_key: fx.subject}}}, {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotEquals": {fx.aud_key: "sts.amazonaws.com"}}}]}}), "want": {"deny": set(), "unknown": set()}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"missing aud": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.sub_key: fx.subject}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"aud of another client": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "other", fx.sub_key: fx.subject}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"aud any": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {fx.aud_key: "*", fx.sub_key: fx.subject}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# Condition keys are case-insensitive.
	"aud key in upper case": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {upper(fx.aud_key): "sts.amazonaws.com", fx.sub_key: fx.subject}}})}), "want": {"deny": set(), "unknown": set()}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}

test_not_applicable_with_pod_identity_only if {
	control.not_applicable == {"no control plane uses IRSA"} with input as fx.space_aws(fx.pod_identity)
}
