package wiscan.aws.irsa_trust_subject_scope_test

import data.wiscan.aws.irsa_trust_subject_scope as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

like(pattern) := fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com"}, "StringLike": {fx.sub_key: pattern}}})

cases := {
	"any controller in a control plane namespace": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com"}, "StringLike": {fx.sub_key: "system:serviceaccount:mxp-*-system:*-controller"}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"breadth depends on the caller's address": {"input": fx.space_aws({"trust": {"Version": "2012-10-17", "Statement": [fx.documented_trust(fx.subject).Statement[0], {"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}}), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"any service account": {"input": fx.space_aws({"trust": like("system:serviceaccount:*:*")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"any namespace": {"input": fx.space_aws({"trust": like("system:serviceaccount:*:mxp-controller")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"any service account in the namespace": {"input": fx.space_aws({"trust": like(concat("", ["system:serviceaccount:", fx.ns, ":*"]))}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# Confined to the profile's namespaces and service account: fine.
	"pattern confined to control planes": {"input": fx.space_aws({"trust": like("system:serviceaccount:mxp-*-system:mxp-controller")}), "want": {"deny": set(), "unknown": set()}},
	"open-ended namespace prefix": {"input": fx.space_aws({"trust": like("system:serviceaccount:mxp-*:mxp-controller")}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"no sub condition": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com"}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"star principal": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com", fx.sub_key: fx.subject}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# ForAnyValue with a negated operator holds for almost every subject.
	"ForAnyValue trick": {"input": fx.space_aws({"trust": fx.statement({"Effect": "Allow", "Principal": {"Federated": fx.provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {fx.aud_key: "sts.amazonaws.com"}, "ForAnyValue:StringNotEquals": {fx.sub_key: [fx.subject, "system:serviceaccount:x:y"]}}})}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}
