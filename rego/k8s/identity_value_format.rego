# METADATA
# title: Identity annotation values well formed
# description: >-
#   The identity annotation's value has the shape its cloud expects: an IAM
#   role ARN, a GUID client ID, or a Google service-account email, with no
#   surrounding white space.
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
#   - ref: https://cloud.google.com/iam/docs/service-account-overview
# custom:
#   id: WI-K8S-004
#   severity: medium
#   remediation: >-
#     Set the annotation to the exact identifier: arn:aws:iam::<account>:role/<name>,
#     the managed identity's client ID (a GUID), or
#     <name>@<project>.iam.gserviceaccount.com, without spaces or quotes.
package wiscan.k8s.identity_value_format

import data.wiscan.clouds
import data.wiscan.lib.k8s

# formats are the shapes of the identity annotations' values, by key.
formats := {c.annotation.key: c.format | some c in clouds}

problem(value, _) := "has surrounding white space" if value != trim_space(value)

problem(value, format) := sprintf("is not %s", [format.want]) if {
	value == trim_space(value)
	not regex.match(format.pattern, value)
}

deny contains f if {
	some t in k8s.targets
	sa := k8s.service_account(t)
	some key, format in formats
	value := sa.annotations[key]
	why := problem(value, format)
	f := object.union(
		{
			"msg": sprintf("annotation %s value %q %s", [key, value, why]),
			"resource": k8s.resource("ServiceAccount", sa),
			"key": key,
			"evidence": {"key": key, "value": value},
			"profile": t.profile.name,
		},
		trim_fix(sa, key, value, format),
	)
}

# trim_fix sets the annotation to its value without the white space, when
# that is the only thing wrong with it; a value of the wrong shape has no
# value wiscan could set instead.
trim_fix(sa, key, value, format) := {"fix": {"action": "annotate", "kind": "ServiceAccount", "namespace": sa.namespace, "name": sa.name, "key": key, "value": trim_space(value)}} if {
	value != trim_space(value)
	regex.match(format.pattern, trim_space(value))
} else := {}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	u := k8s.unknown_result(["ServiceAccount"], t, k8s.sa_resource(t))
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
