# METADATA
# title: Google service account exists and is enabled
# description: >-
#   The Google service account that iam.gke.io/gcp-service-account names
#   exists and is enabled: GKE hands the pod that account's tokens, and a
#   missing or disabled one fails every request.
# related_resources:
#   - ref: https://cloud.google.com/iam/docs/service-accounts-disable-enable
# custom:
#   id: WI-GCP-003
#   severity: high
#   remediation: >-
#     Create the account (gcloud iam service-accounts create <name>
#     --project=<project>) or enable it (gcloud iam service-accounts enable
#     <email>), or fix the annotation through the Spaces Helm values.
package wiscan.gcp.account_exists

import data.wiscan.lib.gcp

deny contains f if {
	some email, _ in gcp.uses
	a := input.gcp.serviceAccounts[email]
	not a.found
	ns := gcp.namespaces(email)
	f := {
		"msg": sprintf("Google service account %s does not exist (GCP answered not found); %d control plane(s) use it: %s", [email, count(ns), gcp.summary(ns)]),
		"resource": gcp.account_resource(email),
		"key": "not-found",
		"evidence": {"email": email, "namespaces": ns},
	}
}

deny contains f if {
	some email, _ in gcp.uses
	a := gcp.account(email)
	object.get(a, "disabled", false)
	ns := gcp.namespaces(email)
	f := {
		"msg": sprintf("Google service account %s is disabled; %d control plane(s) use it: %s", [email, count(ns), gcp.summary(ns)]),
		"resource": gcp.account_resource(email),
		"key": "disabled",
		"evidence": {"email": email, "uniqueId": object.get(a, "uniqueId", ""), "namespaces": ns},
	}
}

unknown contains {"msg": msg, "resource": gcp.account_resource(email)} if {
	some email, _ in gcp.uses
	msg := gcp.account_unknown(email)
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.accounts_not_applicable
