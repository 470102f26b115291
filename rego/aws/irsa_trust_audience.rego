# METADATA
# title: IRSA trust policy pins the audience
# description: >-
#   Each trust statement that admits the cluster's OIDC provider requires
#   <issuer>:aud to be sts.amazonaws.com, so that tokens minted for other
#   audiences cannot assume the role.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-004
#   severity: high
#   remediation: >-
#     Add "StringEquals": {"<issuer>:aud": "sts.amazonaws.com"} to the trust
#     statement's Condition.
package wiscan.aws.irsa_trust_audience

import data.wiscan.aws.irsa_trust_provider as provider
import data.wiscan.lib.aws

deny contains f if {
	some arn in provider.irsa_roles
	irsa := aws.analysis[arn].irsa
	some stmt in irsa.noAudience
	f := {
		"msg": sprintf("trust policy of role %s, %s admits a token for audience %q: no %s:aud = sts.amazonaws.com condition holds it back (used by %s)", [arn, stmt, irsa.audience, aws.issuer, aws.summary(aws.namespaces_via(arn, "irsa"))]),
		"resource": aws.role_resource(arn),
		"key": stmt,
		"evidence": {"role": arn, "statement": stmt, "audience": irsa.audience, "conditionKey": sprintf("%s:aud", [aws.issuer]), "namespaces": aws.namespaces_via(arn, "irsa")},
	}
}

unknown contains u if {
	some arn in provider.irsa_roles
	irsa := aws.analysis[arn].irsa
	count(irsa.noAudience) == 0
	count(irsa.audienceUndecided) > 0
	u := {"msg": sprintf("trust policy of role %s: %s", [arn, concat("; ", irsa.audienceUndecided)]), "resource": aws.role_resource(arn), "key": "audience-undecided"}
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "irsa-context"} if {
	some arn in provider.irsa_roles
	msg := aws.irsa_unknown(arn)
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
