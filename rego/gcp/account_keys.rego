# METADATA
# title: Google service account has no user-managed keys
# description: >-
#   The Google service account that the control planes act as has no
#   user-managed keys: a key is a static credential that works from
#   anywhere, with no cluster and no workload identity, until deleted. Each
#   key is a finding (its ID, never its material); a disabled key still
#   counts, since it can be enabled again.
# related_resources:
#   - ref: https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys
# custom:
#   id: WI-GCP-008
#   severity: critical
#   remediation: >-
#     gcloud iam service-accounts keys delete <key ID> --iam-account=<email>,
#     after checking nothing else uses it.
package wiscan.gcp.account_keys

import data.wiscan.lib.gcp

deny contains f if {
	some email, _ in gcp.uses
	a := gcp.account(email)
	some k in object.get(a, "keys", [])
	ns := gcp.namespaces(email)
	f := {
		"msg": sprintf("Google service account %s has user-managed key %s%s%s: a static credential that works without workload identity; the account serves %d control plane(s): %s", [email, k.id, disabled(k), since(k), count(ns), gcp.summary(ns)]),
		"resource": gcp.account_resource(email),
		"key": k.id,
		"evidence": {"email": email, "keyId": k.id, "disabled": object.get(k, "disabled", false), "namespaces": ns},
		"fix": {"action": "delete-key", "kind": "GoogleServiceAccount", "name": email, "key": k.id},
	}
}

disabled(k) := " (disabled, and can be enabled again)" if object.get(k, "disabled", false)

disabled(k) := "" if not object.get(k, "disabled", false)

since(k) := sprintf(", valid since %s", [k.validAfter]) if k.validAfter

since(k) := "" if not k.validAfter

unknown contains {"msg": msg, "resource": gcp.account_resource(email)} if {
	some email, _ in gcp.uses
	msg := gcp.account_unknown(email)
}

unknown contains u if {
	some email, _ in gcp.uses
	a := gcp.account(email)
	object.get(a, "keys", null) == null
	u := {
		"msg": gcp.reasons(gcp.gap_messages("ServiceAccountKey", email), sprintf("the user-managed keys of %s were not read", [email])),
		"resource": gcp.account_resource(email),
	}
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.accounts_not_applicable
