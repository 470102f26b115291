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

# Each control plane not admitted is its own finding, keyed by its
# subject, with the role's former key kept for old waivers and baselines.
test_one_finding_per_control_plane if {
	one := fx.space_aws({"trust": fx.documented_trust("system:serviceaccount:mxp-00000000-0000-0000-0000-000000000000-system:mxp-controller")})
	ns2 := "mxp-11111111-1111-1111-1111-111111111111-system"
	sa2 := object.union(one.kubernetes.serviceAccounts[fx.ns]["mxp-controller"], {"namespace": ns2})
	two := object.union(one, {
		"targets": array.concat(one.targets, [object.union(one.targets[0], {"namespace": ns2})]),
		"kubernetes": {"namespaces": {ns2: {"name": ns2, "labels": {}}}, "serviceAccounts": {ns2: {"mxp-controller": sa2}}},
	})
	fs := [f | some f in control.deny] with input as two
	{f.key | some f in fs} == {fx.subject, sprintf("system:serviceaccount:%s:mxp-controller", [ns2])}
	every f in fs {
		f.formerly == [{"resource": f.resource, "key": ""}]
		count(f.fix.subjects) == 1
		contains(f.msg, "; 2 of 2 control plane(s) using the role are not admitted")
	}
}
