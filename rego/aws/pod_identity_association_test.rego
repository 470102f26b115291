package wiscan.aws.pod_identity_association_test

import data.wiscan.aws.pod_identity_association as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"service account unreadable": {"input": fx.space_aws({"serviceAccounts": {}, "errors": [fx.sa_gap]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"documented Pod Identity setup passes": {"input": fx.space_aws(fx.pod_identity), "want": {"deny": set(), "unknown": set()}},
	"no association": {"input": fx.space_aws(fx.replace(fx.pod_identity, "associations", {})), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"association for another service account": {"input": fx.space_aws(fx.replace(fx.pod_identity, "associations", {fx.ns: {"vector": object.union(fx.association, {"serviceAccount": "vector"})}})), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"association names another role than the profile": {"input": fx.space_aws(object.union(fx.pod_identity, {"profile": {"cloud": "aws", "method": "pod-identity", "identity": "arn:aws:iam::123456789012:role/expected"}})), "want": {"deny": {fx.key_in("PodIdentityAssociation", "a-0123456789abcdef0")}, "unknown": set()}},
	"associations not readable": {"input": fx.space_aws(object.union(fx.replace(fx.pod_identity, "associations", {}), {"errors": [{"collector": "aws", "kind": "PodIdentityAssociation", "reason": "forbidden", "message": "AccessDeniedException"}]})), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"aws not collected": {"input": fx.space(fx.pod_identity), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# IRSA setups need no association.
	"irsa": {"input": fx.space_aws({}), "want": {"deny": set(), "unknown": set()}},
}

# An association naming another role than the service account's IRSA
# annotation: the association and both roles are named.
test_association_names_another_role if {
	other := object.union(fx.association, {"roleArn": "arn:aws:iam::123456789012:role/other"})
	fs := control.deny with input as fx.space_aws({"associations": {fx.ns: {"mxp-controller": other}}})
	count(fs) == 1
	some f in fs
	f.resource == {"kind": "PodIdentityAssociation", "namespace": fx.ns, "name": fx.association.id}
	contains(f.msg, "names role arn:aws:iam::123456789012:role/other, expected arn:aws:iam::123456789012:role/backup-restore-role")
}
