# METADATA
# title: IRSA trust policy confined to the profile's service accounts
# description: >-
#   The trust policy admits only the profile's service account in the
#   profile's namespaces. A missing <issuer>:sub condition, a pattern such as
#   system:serviceaccount:*:*, a * principal or a negated ForAnyValue
#   condition lets other workloads assume the role. A StringLike pattern
#   confined to the profile (system:serviceaccount:mxp-*-system:mxp-controller)
#   is fine. The scanner asks IAM's evaluation logic whether subjects outside
#   the profile (kube-system, default, look-alike namespaces, other service
#   accounts, another identity provider) would be admitted.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
# custom:
#   id: WI-AWS-005
#   severity: critical
#   remediation: >-
#     Condition the trust statement on StringEquals
#     "<issuer>:sub": "system:serviceaccount:<namespace>:<service account>",
#     one value per control plane, or a StringLike pattern that only the
#     profile's namespaces match; name the cluster's provider as the principal.
package wiscan.aws.irsa_trust_subject_scope

import data.wiscan.aws.irsa_trust_provider as provider
import data.wiscan.lib.aws

deny contains f if {
	some arn in provider.irsa_roles
	broad := aws.analysis[arn].irsa.broad
	some stmt in {object.get(b, "statement", "") | some b in broad}
	admitted := sort([b.subject | some b in broad; object.get(b, "statement", "") == stmt])
	notes := sort({b.reason | some b in broad; object.get(b, "statement", "") == stmt; object.get(b, "reason", "") != ""})
	f := {
		"msg": sprintf("trust policy of role %s, %s admits service accounts outside the profile, e.g. %s%s", [arn, stmt, admitted[0], note(notes)]),
		"resource": aws.role_resource(arn),
		"key": stmt,
		"evidence": {"role": arn, "statement": stmt, "admitted": admitted, "namespaces": aws.namespaces_via(arn, "irsa")},
	}
}

unknown contains u if {
	some arn in provider.irsa_roles
	irsa := aws.analysis[arn].irsa
	count(irsa.broad) == 0
	count(irsa.broadUndecided) > 0
	u := {"msg": sprintf("trust policy of role %s: %s", [arn, concat("; ", irsa.broadUndecided)]), "resource": aws.role_resource(arn), "key": "scope-undecided"}
}

note(notes) := "" if count(notes) == 0

note(notes) := sprintf("; it %s", [concat("; ", notes)]) if count(notes) > 0

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "irsa-context"} if {
	some arn in provider.irsa_roles
	msg := aws.irsa_unknown(arn)
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
