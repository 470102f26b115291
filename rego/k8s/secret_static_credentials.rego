# METADATA
# title: No static cloud credentials in Secrets
# description: >-
#   Secrets in a target namespace hold no static cloud credentials: no AWS
#   key pair or shared-credentials file, no Azure client secret, storage key,
#   connection string or SAS token, no Google service-account key.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-K8S-010
#   severity: critical
#   remediation: >-
#     Switch the workload to workload identity, then delete the Secret and
#     revoke the credential at the cloud provider (deleting the Secret alone
#     leaves the key valid).
package wiscan.k8s.secret_static_credentials

import data.wiscan.lib.k8s

namespaces contains ns if {
	some t in k8s.targets
	ns := t.namespace
}

deny contains f if {
	not k8s.secrets_skipped
	some ns in namespaces
	some s in object.get(input.kubernetes.secrets, ns, {})
	count(s.credentials) > 0
	kinds := sort({c.kind | some c in s.credentials})
	f := k8s.with_cloud(
		{
			"msg": sprintf("Secret %s holds static cloud credentials: %s", [s.name, concat(", ", [sprintf("%s %s in key %q", [c.kind, c.fingerprint, c.key]) | some c in s.credentials])]),
			"resource": k8s.resource("Secret", s),
			"evidence": {"kinds": kinds, "credentials": s.credentials},
			"fix": {"action": "delete-secret", "kind": "Secret", "namespace": ns, "name": s.name},
		},
		{c.cloud | some c in s.credentials},
	)
}

unknown contains u if {
	not k8s.secrets_skipped
	some ns in namespaces
	k8s.has_gap_kind(["Secret"])
	reasons := k8s.missing(["Secret"], ns)
	count(reasons) > 0
	u := {"msg": concat("; ", reasons), "resource": k8s.namespace_resource(ns)}
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets

# Secrets left unread on purpose: nothing to check, which is not a pass.
not_applicable contains k8s.secrets_skipped_reason if {
	k8s.secrets_skipped
	count(k8s.no_targets) == 0
}
