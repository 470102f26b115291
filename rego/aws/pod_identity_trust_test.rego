package wiscan.aws.pod_identity_trust_test

import data.wiscan.aws.pod_identity_trust as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

trust(service, actions) := fx.statement({"Effect": "Allow", "Principal": {"Service": service}, "Action": actions})

cases := {
	# A condition on the caller's address cannot be decided from here.
	"trust depends on the source address": {"input": fx.space_aws(object.union(fx.pod_identity, {"trust": fx.statement({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})})), "want": {"deny": set(), "unknown": {fx.role_key}}},
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": set(), "unknown": set()}},
	"trusts the wrong service": {"input": fx.space_aws(fx.replace(fx.pod_identity, "trust", trust("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]))), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"no TagSession": {"input": fx.space_aws(fx.replace(fx.pod_identity, "trust", trust("pods.eks.amazonaws.com", "sts:AssumeRole"))), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"IRSA trust on a Pod Identity role": {"input": fx.space_aws(fx.replace(fx.pod_identity, "trust", fx.documented_trust(fx.subject))), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"conditioned on the account": {"input": fx.space_aws(fx.replace(fx.pod_identity, "trust", fx.statement({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": {"StringEquals": {"aws:SourceAccount": fx.account}}}))), "want": {"deny": set(), "unknown": set()}},
	"conditioned on another cluster": {"input": fx.space_aws(fx.replace(fx.pod_identity, "trust", fx.statement({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:eks:us-east-1:123456789012:cluster/other"}}}))), "want": {"deny": {fx.role_key}, "unknown": set()}},
	# Without AWS data no role is known through Pod Identity; WI-AWS-009
	# reports the association as unknown.
	"aws not collected": {"input": fx.space(fx.pod_identity), "want": {"deny": set(), "unknown": set()}},
}

test_not_applicable_with_irsa_only if {
	control.not_applicable == {"no control plane uses EKS Pod Identity"} with input as fx.space_aws({})
}

test_applicable_with_pod_identity if {
	count(control.not_applicable) == 0 with input as fx.space_aws(fx.pod_identity)
}
