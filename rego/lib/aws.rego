# METADATA
# description: Shared helpers for the AWS controls. Not a control.
package wiscan.lib.aws

import data.wiscan.lib.k8s

irsa_key := "eks.amazonaws.com/role-arn"

# The IAM quota on a role trust policy's length, unless the account raised it.
default_trust_quota := 2048

# targets are the profile targets that use AWS.
targets contains t if {
	some t in k8s.targets
	k8s.cloud(t) == "aws"
}

# unread_targets are the unknown results of the targets that may use AWS
# but whose service account could not be read: the role a target uses is
# then not known, so every control about its role is unknown for it.
unread_targets contains u if {
	k8s.any_gap
	some t in k8s.targets
	k8s.cloud(t) in {"aws", ""}
	u := k8s.unknown_result(["ServiceAccount"], t, k8s.sa_resource(t))
}

# not_applicable says why the AWS controls have nothing to check.
not_applicable := k8s.cloud_not_applicable({"aws"})

# roles_not_applicable adds: no control plane names an IAM role (through
# IRSA or EKS Pod Identity), and none could without being read.
roles_not_applicable := not_applicable if {
	count(not_applicable) > 0
} else := {"no control plane names an IAM role"} if {
	count(uses) == 0
	count(unread_targets) == 0
} else := set()

# irsa_not_applicable adds: no control plane uses IRSA.
irsa_not_applicable := roles_not_applicable if {
	count(roles_not_applicable) > 0
} else := {"no control plane uses IRSA"} if {
	count({arn | some arn, _ in uses; count(via(arn, "irsa")) > 0}) == 0
	count(unread_targets) == 0
} else := set()

# pod_identity_not_applicable adds: no control plane uses EKS Pod Identity
# (by the profile's method or an association).
pod_identity_not_applicable := not_applicable if {
	count(not_applicable) > 0
} else := {"no control plane uses EKS Pod Identity"} if {
	count({t | some t in targets; k8s.method(t) == "pod-identity"}) == 0
	count({t | some t in targets; association(t)}) == 0
	count(unread_targets) == 0
} else := set()

# irsa_role is the role ARN the target's service account names: looked up
# in irsa_roles, where each target's is read once.
irsa_role(t) := irsa_roles[t]

irsa_roles := {t: arn |
	some t in k8s.targets
	arn := trim_space(k8s.service_account(t).annotations[irsa_key])
	arn != ""
}

# association is the target's EKS Pod Identity association.
association(t) := input.aws.podIdentityAssociations[t.namespace][t.profile.serviceAccount]

# uses[arn] are the targets that reach a role, and how: a complete rule,
# computed once, grouped through a comprehension that OPA indexes by role
# (linear in the targets, however many roles).
uses := {arn: us |
	some pair in use_pairs
	arn := pair[0]
	us := {u | some q in use_pairs; q[0] == arn; u := q[1]}
}

use_pairs := array.concat(
	[[arn, use(t, "irsa")] | some t in targets; arn := irsa_role(t)],
	[[arn, use(t, "pod-identity")] | some t in targets; arn := trim_space(association(t).roleArn)],
)

use(t, via) := {"namespace": t.namespace, "serviceAccount": t.profile.serviceAccount, "profile": t.profile.name, "via": via}

# The following are complete rules, not functions or rules with a nested
# key, so that each is computed once for every role however many controls
# and targets ask (a rule with a nested key is evaluated again at each
# look-up, which made this quadratic in the control planes).
via_uses := {arn: {how: [u | some u in us; u.via == how] | some how in {"irsa", "pod-identity"}} | some arn, us in uses}

via(arn, how) := via_uses[arn][how]

role_namespaces := {arn: sort({u.namespace | some u in us}) | some arn, us in uses}

namespaces(arn) := role_namespaces[arn]

via_namespaces := {arn: {how: sort({u.namespace | some u in us}) | some how, us in hows} | some arn, hows in via_uses}

namespaces_via(arn, how) := via_namespaces[arn][how]

# summary names the first namespaces of a list and counts the rest.
summary(list) := concat(", ", list) if {
	count(list) <= 3
} else := sprintf("%s and %d more", [concat(", ", array.slice(list, 0, 3)), count(list) - 3])

# ARN parts.
arn_part(arn, i) := split(arn, ":")[i]

partition := p if {
	p := object.get(object.get(input, "aws", {}), "partition", "")
	p != ""
} else := "aws"

# cluster_partition is the partition the cluster runs in.
cluster_partition := arn_part(input.aws.cluster.arn, 1) if {
	input.aws.cluster.arn != ""
} else := partition

# issuer is the cluster's OIDC issuer without its scheme, "" when unknown.
issuer := trim_prefix(trim_prefix(input.aws.cluster.oidcIssuer, "https://"), "http://") if {
	object.get(object.get(input.aws, "cluster", {}), "oidcIssuer", "") != ""
} else := ""

provider_arn(arn) := sprintf("arn:%s:iam::%s:oidc-provider/%s", [arn_part(arn, 1), arn_part(arn, 4), issuer])

# gap_messages are the AWS collection errors for kind and name (an error
# without a name concerns every object of its kind).
gap_messages(kind, name) := sort([sprintf("%s not readable (%s): %s", [kind, e.reason, e.message]) |
	some e in input.errors
	e.kind == kind
	object.get(e, "name", "") in {"", name}
])

not_collected_msg := "AWS was not read (--skip-cloud): its controls need it; scan without --skip-cloud" if {
	"aws" in object.get(object.get(input, "source", {}), "skipCloud", [])
} else := "the evidence holds no AWS CLI exports: add them (see the evidence export script in the README)" if {
	object.get(object.get(input, "source", {}), "mode", "") == "evidence"
} else := "AWS was not read: scan without --skip-cloud, with AWS credentials (pass --cloud aws if nothing in the cluster names AWS)"

role_resource(arn) := object.union(
	{"kind": "IAMRole", "name": arn},
	object.get(object.get(object.get(input, ["aws", "roles"], {}), arn, {}), "source", {}),
)

role(arn) := r if {
	r := input.aws.roles[arn]
	r.found
}

# role_unknown explains why a used role cannot be checked, if it cannot.
role_unknown(arn) := msg if {
	not input.aws
	msg := not_collected_msg
} else := msg if {
	not input.aws.roles[arn]
	msg := reasons(gap_messages("IAMRole", arn), "the role was not collected")
}

# reasons joins gap messages, or gives the fallback when there are none.
reasons(gaps, _) := concat("; ", gaps) if count(gaps) > 0

reasons(gaps, fallback) := fallback if count(gaps) == 0

# buckets(arn) are the buckets the role's users must reach: each profile's
# storage.bucket, else the buckets of its backup configurations.
role_buckets[arn] := {b |
	some name in {u.profile | some u in uses[arn]}
	some p in input.profiles
	p.name == name
	some b in profile_buckets(p)
} if some arn, _ in uses

buckets(arn) := role_buckets[arn]

profile_buckets(p) := {b} if {
	b := trim_space(object.get(object.get(p, "storage", {}), "bucket", ""))
	b != ""
} else := {b |
	kind := object.get(p, "backupConfig", "")
	kind != ""
	some c in configs(kind)
	b := trim_space(c.bucket)
	b != ""
}

# role_access is what the role's users need, in the profiles' neutral
# terms: every operation on the bucket's objects and every secret any of
# them names.
role_access[arn] := {
	"objects": sort({o | some p in ps; some o in object.get(object.get(p, "access", {}), "objects", [])}),
	"secrets": sort({x | some p in ps; some x in object.get(object.get(p, "access", {}), "secrets", [])}),
} if {
	some arn, us in uses
	ps := [p | some p in input.profiles; p.name in {u.profile | some u in us}]
}

# needs_objects holds when the role's users need objects of a bucket.
needs_objects(arn) if count(role_access[arn].objects) > 0

configs("SharedBackupConfig") := input.kubernetes.spaces.sharedBackupConfigs

configs("SpaceBackupConfig") := input.kubernetes.spaces.spaceBackupConfigs

# scopes are the profiles whose control planes reach a role through IRSA:
# a subject the trust policy admits outside all of them is too broad.
# A profile's targets stand for its namespaces only when it names neither
# a pattern nor names (a label selector); they are left out otherwise, so
# that a role's context does not grow with the control planes.
scopes(arn) := [{"namespaces": p.namespaces, "serviceAccount": p.serviceAccount, "targets": scope_targets(p)} |
	some p in input.profiles
	p.name in {u.profile | some u in via(arn, "irsa")}
]

scope_targets(p) := [] if {
	object.get(p.namespaces, "pattern", "") != ""
} else := [] if {
	count(object.get(p.namespaces, "names", [])) > 0
} else := p.targets

irsa_subject_set[arn] := {sprintf("system:serviceaccount:%s:%s", [u.namespace, u.serviceAccount]) | some u in via(arn, "irsa")} if {
	some arn, _ in uses
}

# irsa_subjects are analysed only when the cluster's issuer is known.
irsa_subjects(arn) := sort(irsa_subject_set[arn]) if issuer != ""

else := []

# analysis[arn] is IAM's evaluation of a used role: trust for its IRSA and
# Pod Identity users, and access to their buckets.
analysis[arn] := wiscan.aws.analyze_role(r, context(arn)) if {
	some arn, _ in uses
	r := role(arn)
}

context(arn) := {
	"partition": arn_part(arn, 1),
	"account": arn_part(arn, 4),
	"clusterName": object.get(object.get(input.aws, "cluster", {}), "name", ""),
	"clusterArn": object.get(object.get(input.aws, "cluster", {}), "arn", ""),
	"issuer": issuer,
	"providerArn": provider_arn(arn),
	"irsaSubjects": irsa_subjects(arn),
	"scopes": scopes(arn),
	"podSubjects": sort([[u.namespace, u.serviceAccount] | some u in via(arn, "pod-identity")]),
	"buckets": sort(buckets(arn)),
	"bucketPolicies": {b: p | some b in buckets(arn); p := input.aws.buckets[b]},
	"access": role_access[arn],
	"now": object.get(input, "collectedAt", ""),
	"region": cluster_region,
	"bucketRegions": {b: r | some b in buckets(arn); r := bucket_regions[b]},
}

# cluster_region is the region in the cluster's ARN, "" when unknown.
cluster_region := arn_part(input.aws.cluster.arn, 3) if {
	object.get(object.get(input.aws, "cluster", {}), "arn", "") != ""
} else := ""

# bucket_regions are the regions the backup configurations give their
# buckets, where they agree.
bucket_regions := {b: r |
	some b, rs in bucket_region_sets
	count(rs) == 1
	some r in rs
}

bucket_region_sets[b] contains r if {
	some c in array.concat(input.kubernetes.spaces.sharedBackupConfigs, input.kubernetes.spaces.spaceBackupConfigs)
	b := trim_space(c.bucket)
	b != ""
	r := trim_space(object.get(object.get(c, "config", {}), "region", ""))
	r != ""
}

# irsa_unknown explains why a role's IRSA trust cannot be checked.
irsa_unknown(arn) := msg if {
	msg := role_unknown(arn)
} else := msg if {
	issuer == ""
	msg := reasons(gap_messages("EKSCluster", ""), "the EKS cluster's OIDC issuer is not known: pass --cluster-name, or add aws eks describe-cluster to the evidence")
} else := msg if {
	msg := analysis[arn].trustError
}

# associations_known holds when the cluster's Pod Identity associations
# were read.
associations_known if {
	input.aws.cluster
	count(gap_messages("PodIdentityAssociation", "")) == 0
}
