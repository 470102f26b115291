# METADATA
# title: Service account may act as the Google service account
# description: >-
#   The Google service account's IAM policy grants
#   roles/iam.workloadIdentityUser to the control plane's Kubernetes
#   service account, in either spelling: the legacy member
#   serviceAccount:<project>.svc.id.goog[<namespace>/<sa>] or the principal
#   identifier principal://iam.googleapis.com/projects/<number>/locations/
#   global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<namespace>/
#   sa/<sa>. A broader grant that covers it also satisfies this control, and
#   fails WI-GCP-005. Each control plane without it is its own finding.
# related_resources:
#   - ref: https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#kubernetes-sa-to-iam
# custom:
#   id: WI-GCP-004
#   severity: critical
#   remediation: >-
#     gcloud iam service-accounts add-iam-policy-binding <email>
#     --role=roles/iam.workloadIdentityUser
#     --member="serviceAccount:<project>.svc.id.goog[<namespace>/mxp-controller]"
package wiscan.gcp.workload_identity_user

import data.wiscan.lib.gcp

deny contains f if {
	some email, ts in gcp.uses
	gcp.account(email)
	some t in ts
	r := gcp.impersonation[email][gcp.subject_key(t)]
	((count(r.exact) + count(r.broad)) + count(r.unknown)) + count(r.unread) == 0
	f := {
		"msg": sprintf("Google service account %s does not grant %s to %s%s", [email, gcp.wiu, gcp.member(t), near(r)]),
		"resource": gcp.account_resource(email),
		"key": t.namespace,
		"evidence": {"email": email, "member": gcp.member(t), "principal": gcp.principal(t), "near": r.near, "namespace": t.namespace},
		"fix": {"action": "bind", "kind": "GoogleServiceAccount", "name": email, "role": gcp.wiu, "member": member_fix(t)},
	}
}

near(r) := "" if count(r.near) == 0

near(r) := sprintf(" (its policy names %s instead)", [concat(", ", sort(r.near))]) if count(r.near) > 0

# member_fix is the legacy spelling, as the documented step writes it,
# unless the profile says principal identifiers.
member_fix(t) := gcp.principal(t) if t.profile.method == "gcp-principal"

member_fix(t) := gcp.member(t) if object.get(t.profile, "method", "") != "gcp-principal"

unknown contains u if {
	some email, ts in gcp.uses
	gcp.account(email)
	some t in ts
	r := gcp.impersonation[email][gcp.subject_key(t)]
	count(r.exact) + count(r.broad) == 0
	count(r.unknown) + count(r.unread) > 0
	u := {
		"msg": sprintf("whether %s may act as %s is not known: %s", [gcp.member(t), email, concat("; ", why(r))]),
		"resource": gcp.account_resource(email),
		"key": t.namespace,
	}
}

why(r) := array.concat(
	[sprintf("%s on %s is granted to %s", [g.role, g.resource, g.why]) | some g in r.unknown],
	[sprintf("%s was not read", [x]) | some x in r.unread],
)

unknown contains {"msg": msg, "resource": gcp.account_resource(email)} if {
	some email, _ in gcp.uses
	msg := gcp.account_unknown(email)
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.accounts_not_applicable
