package wiscan.aws.trust_policy_size_test

import data.wiscan.aws.trust_policy_size as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

# subjects(n) are n control plane subjects besides this one.
subjects(n) := array.concat([fx.subject], [sprintf("system:serviceaccount:mxp-%08d-0000-0000-0000-000000000000-system:mxp-controller", [i]) | some i in numbers.range(1, n)])

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented setup passes": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
	"eleven subjects fit": {"input": fx.space_aws({"trust": fx.documented_trust(subjects(10))}), "want": {"deny": set(), "unknown": set()}},
	# 17 subjects of 84 characters bring the policy past 80 % of 2,048.
	"seventeen subjects are close to the quota": {"input": fx.space_aws({"trust": fx.documented_trust(subjects(16))}), "want": {"deny": {fx.role_key}, "unknown": set()}},
	"raised quota": {"input": object.union(fx.space_aws({"trust": fx.documented_trust(subjects(16))}), {"aws": {"trustPolicyQuota": 4096}}), "want": {"deny": set(), "unknown": set()}},
	"aws not collected": {"input": fx.space({}), "want": {"deny": set(), "unknown": {fx.role_key}}},
}

# Percentages and counts are whole numbers, rendered with %d.
test_message_renders_numbers if {
	subjects := [sprintf("system:serviceaccount:mxp-%08d-aaaa-bbbb-cccc-dddddddddddd-system:mxp-controller", [i]) | some i in numbers.range(1, 24)]
	fs := control.deny with input as fx.space_aws({"trust": fx.documented_trust(subjects)})
	count(fs) == 1
	some f in fs
	not contains(f.msg, "%!")
	regex.match(`uses \d+ of 2048 characters \(\d+%\)`, f.msg)
}

# The threshold is 80 % of the quota, inclusive: a policy padded to a size
# divisible by 4 sits exactly at 80 % of size * 5 / 4.
padded(n) := {"Version": "2012-10-17", "Statement": [object.union(
	fx.documented_trust(subjects(10)).Statement[0],
	{"Sid": concat("", [x | some _ in numbers.range(1, n); x := "x"])},
)]}

size_of(doc) := s if {
	s := data.wiscan.lib.aws.analysis[fx.role_arn].trustSize with input as fx.space_aws({"trust": doc})
}

exact := [d | some n in numbers.range(1, 4); d := padded(n); size_of(d) % 4 == 0][0]

with_quota(q) := object.union(fx.space_aws({"trust": exact}), {"aws": {"trustPolicyQuota": q}})

test_threshold_exactly_80_percent if {
	size := size_of(exact)
	count(control.deny) == 1 with input as with_quota((size * 5) / 4)
}

test_threshold_just_under_80_percent if {
	size := size_of(exact)
	count(control.deny) == 0 with input as with_quota(((size * 5) / 4) + 1)
}

test_threshold_81_percent if {
	size := size_of(exact)
	count(control.deny) == 1 with input as with_quota(floor((size * 100) / 81))
}

test_threshold_79_percent if {
	size := size_of(exact)
	count(control.deny) == 0 with input as with_quota(ceil((size * 100) / 79))
}
