# METADATA
# title: IRSA trust policy admits the cluster's OIDC provider
# description: >-
#   The role's trust policy lets the cluster's IAM OIDC provider (right
#   account, right issuer) assume it with sts:AssumeRoleWithWebIdentity.
#   Statements the scanner cannot evaluate are reported as unknown, never
#   passed.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-003
#   severity: critical
#   remediation: >-
#     Give the role a trust statement with Principal {"Federated":
#     "arn:aws:iam::<account>:oidc-provider/<issuer>"} and Action
#     sts:AssumeRoleWithWebIdentity (aws iam update-assume-role-policy).
package wiscan.aws.irsa_trust_provider

import data.wiscan.lib.aws

irsa_roles contains arn if {
	some arn, _ in aws.uses
	count(aws.via(arn, "irsa")) > 0
}

deny contains f if {
	some arn in irsa_roles
	a := aws.analysis[arn]
	count(a.irsa.statements) == 0
	ns := aws.namespaces_via(arn, "irsa")
	f := {
		"msg": sprintf("trust policy of role %s does not let %s assume it with sts:AssumeRoleWithWebIdentity (%s); %d control plane(s) cannot use it: %s", [arn, aws.provider_arn(arn), allows(a), count(ns), aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"evidence": {"role": arn, "provider": aws.provider_arn(arn), "trustAllows": a.trustAllows, "namespaces": ns},
		"fix": {"action": "trust-provider", "kind": "IAMRole", "name": arn, "role": arn, "provider": aws.provider_arn(arn)},
	}
}

allows(a) := "it allows nothing" if count(a.trustAllows) == 0

allows(a) := concat("; ", a.trustAllows) if count(a.trustAllows) > 0

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "irsa-context"} if {
	some arn in irsa_roles
	msg := aws.irsa_unknown(arn)
}

# A statement the scanner cannot evaluate.
unknown contains u if {
	some arn in irsa_roles
	some p in aws.analysis[arn].problems
	p.policy == "trust policy"
	u := {
		"msg": sprintf("trust policy of role %s, %s: %s", [arn, object.get(p, "statement", "document"), p.msg]),
		"resource": aws.role_resource(arn),
		"key": sprintf("problem:%s", [object.get(p, "statement", "document")]),
	}
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
