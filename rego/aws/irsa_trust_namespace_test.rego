package wiscan.aws.irsa_trust_namespace_test

import data.wiscan.aws.irsa_trust_namespace as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"admission depends on the source address": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {fx.aud_key: "sts.amazonaws.com", fx.sub_key: fx.subject}}})}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"extra TLS condition admits the subject": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {fx.aud_key: "sts.amazonaws.com", fx.sub_key: fx.subject}}})}), "want": {"deny": set(), "unknown": set()}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"subject of another control plane only": {"input": fx.space_aws({"trust": fx.documented_trust("system:serviceaccount:mxp-00000000-0000-0000-0000-000000000000-system:mxp-controller")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"several subjects including this one": {"input": fx.space_aws({"trust": fx.documented_trust(["system:serviceaccount:mxp-00000000-0000-0000-0000-000000000000-system:mxp-controller", fx.subject])}), "want": {"deny": set(), "unknown": set()}},
	# StringEquals is case-sensitive in values.
	"subject in other case": {"input": fx.space_aws({"trust": fx.documented_trust(upper(fx.subject))}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"explicit deny": {"input": fx.space_aws({"trust": {"Version": "2012-10-17", "Statement": array.concat(fx.documented_trust(fx.subject).Statement, [{"Effect": "Deny", "Principal": "*", "Action": "sts:*", "Condition": {"StringLike": {fx.sub_key: "*mxp-706c49fa*"}}}])}}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"indeterminate condition": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com", fx.sub_key: fx.subject}, "IpAddress": {fx.sub_key: "10.0.0.0/8"}}})}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}
