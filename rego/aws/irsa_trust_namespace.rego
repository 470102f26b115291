# METADATA
# title: IRSA trust policy admits every control plane
# description: >-
#   The trust policy admits system:serviceaccount:<namespace>:<service
#   account> for every target namespace. A control plane whose subject is
#   missing cannot back up; each is its own finding.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-006
#   severity: high
#   remediation: >-
#     Add the missing subjects to the trust statement's <issuer>:sub
#     condition (aws iam update-assume-role-policy), or use a StringLike
#     pattern confined to the control plane namespaces, or Pod Identity.
package wiscan.aws.irsa_trust_namespace

import data.wiscan.aws.irsa_trust_provider as provider
import data.wiscan.lib.aws

denied(arn) := [d |
	some d in aws.analysis[arn].irsa.denied
	d.decision != "indeterminate"
]

# deny is one finding per control plane the trust policy does not admit:
# a control plane added later is a new finding, not a change of another's.
# formerly is the key the role's one finding had before 0.1.0, which
# waivers and baselines written then still use (read for this release
# only).
deny contains f if {
	some arn in provider.irsa_roles
	count(aws.analysis[arn].irsa.statements) > 0
	ds := denied(arn)
	count(ds) > 0
	stmts := aws.analysis[arn].irsa.statements
	some d in ds
	f := {
		"msg": sprintf("trust policy of role %s (%s) does not admit control plane %s (subject %s); %d of %d control plane(s) using the role are not admitted", [arn, concat(", ", stmts), namespace(d.subject), d.subject, count(ds), count(aws.namespaces_via(arn, "irsa"))]),
		"resource": aws.role_resource(arn),
		"key": d.subject,
		"evidence": {"role": arn, "statements": stmts, "namespace": namespace(d.subject), "denied": d},
		"fix": {"action": "trust-subject", "kind": "IAMRole", "name": arn, "role": arn, "subjects": [d.subject]},
		"formerly": [{"resource": aws.role_resource(arn), "key": ""}],
	}
}

namespace(subject) := split(subject, ":")[2]

unknown contains {"msg": msg, "resource": aws.role_resource(arn), "key": "irsa-context"} if {
	some arn in provider.irsa_roles
	msg := aws.irsa_unknown(arn)
}

unknown contains u if {
	some arn in provider.irsa_roles
	some d in aws.analysis[arn].irsa.denied
	d.decision == "indeterminate"
	u := {
		"msg": sprintf("trust policy of role %s: cannot decide whether %s is admitted: %s", [arn, d.subject, d.reason]),
		"resource": aws.role_resource(arn),
		"key": d.subject,
	}
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
