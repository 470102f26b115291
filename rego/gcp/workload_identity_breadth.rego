# METADATA
# title: Workload identity user granted no wider than the workload
# description: >-
#   roles/iam.workloadIdentityUser on the Google service account goes to
#   the control planes' service accounts one by one: not at the project,
#   folder or organization (where it lets its members act as every service
#   account there), not to a whole workload pool, namespace or cluster, and
#   not to allUsers or allAuthenticatedUsers. Each such grant is a finding
#   with the set it covers.
# related_resources:
#   - ref: https://cloud.google.com/iam/docs/workload-identity-federation-with-kubernetes#principal-types
# custom:
#   id: WI-GCP-005
#   severity: critical
#   remediation: >-
#     Grant the role on the account to each control plane's service account
#     (gcloud iam service-accounts add-iam-policy-binding), then remove the
#     broad binding (gcloud iam service-accounts remove-iam-policy-binding,
#     or gcloud projects remove-iam-policy-binding).
package wiscan.gcp.workload_identity_breadth

import data.wiscan.lib.gcp

# broad[email] are the broad grants that cover any of the account's users.
broad[email] contains g if {
	some email, _ in gcp.uses
	some _, r in gcp.impersonation[email]
	some g in r.broad
}

deny contains f if {
	some email, gs in broad
	some g in gs
	ns := gcp.namespaces(email)
	f := {
		"msg": sprintf("%s on %s is granted to %s: %s; the account serves %d control plane(s): %s", [g.role, g.resource, g.member, g.why, count(ns), gcp.summary(ns)]),
		"resource": gcp.account_resource(email),
		"key": sprintf("%s|%s", [g.resource, g.member]),
		"evidence": {"email": email, "resource": g.resource, "member": g.member, "role": g.role, "covers": g.why, "namespaces": ns},
	}
}

unknown contains {"msg": msg, "resource": gcp.account_resource(email)} if {
	some email, _ in gcp.uses
	msg := gcp.account_unknown(email)
}

unknown contains u if {
	some email, _ in gcp.uses
	gcp.account(email)
	count(object.get(broad, email, set())) == 0
	unread := {x | some _, r in gcp.impersonation[email]; some x in r.unread}
	count(unread) > 0
	u := {
		"msg": sprintf("whether %s is granted more widely is not known: %s not read", [gcp.wiu, concat(", ", sort(unread))]),
		"resource": gcp.account_resource(email),
	}
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.accounts_not_applicable
