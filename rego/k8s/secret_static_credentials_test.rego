package wiscan.k8s.secret_static_credentials_test

import data.wiscan.k8s.secret_static_credentials as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

# The fix deletes the Secret that holds the credential, and only that one.
test_fix if {
	o := {"secrets": {"backup-creds": secret("backup-creds", aws_pair), "webhook-tls": secret("webhook-tls", [])}}
	fixes := {f.fix | some f in control.deny} with input as fx.space(o)
	fixes == {{"action": "delete-secret", "kind": "Secret", "namespace": fx.ns, "name": "backup-creds"}}
}

secret(name, creds) := {
	"namespace": fx.ns, "name": name, "labels": {}, "annotations": {},
	"type": "Opaque", "keys": [c.key | some c in creds], "credentials": creds,
}

aws_pair := [
	{"kind": "aws-access-key", "cloud": "aws", "key": "AWS_ACCESS_KEY_ID", "fingerprint": "AKIA…MPLE"},
	{"kind": "aws-secret-key", "cloud": "aws", "key": "AWS_SECRET_ACCESS_KEY", "fingerprint": "sha256:0123456789ab"},
]

cases := {
	"no secrets passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	"unrelated secret passes": {"o": {"secrets": {"webhook-tls": secret("webhook-tls", [])}}, "want": {"deny": set(), "unknown": set()}},
	"aws key pair": {"o": {"secrets": {"backup-creds": secret("backup-creds", aws_pair)}}, "want": {"deny": {fx.key_in("Secret", "backup-creds")}, "unknown": set()}},
	"aws shared credentials file": {"o": {"secrets": {"s": secret("s", [{"kind": "aws-shared-credentials", "cloud": "aws", "key": "credentials", "fingerprint": "AKIA…MPLE"}])}}, "want": {"deny": {fx.key_in("Secret", "s")}, "unknown": set()}},
	"gcp key": {"o": {"secrets": {"s": secret("s", [{"kind": "gcp-service-account-key", "cloud": "gcp", "key": "key.json", "fingerprint": "0123…cdef"}])}}, "want": {"deny": {fx.key_in("Secret", "s")}, "unknown": set()}},
	"azure connection string": {"o": {"secrets": {"s": secret("s", [{"kind": "azure-connection-string", "cloud": "azure", "key": "conn", "fingerprint": "sha256:0123456789ab"}])}}, "want": {"deny": {fx.key_in("Secret", "s")}, "unknown": set()}},
	"two secrets": {"o": {"secrets": {"a": secret("a", aws_pair), "b": secret("b", aws_pair)}}, "want": {"deny": {fx.key_in("Secret", "a"), fx.key_in("Secret", "b")}, "unknown": set()}},
	# Secrets could not be read: unknown, never a pass.
	"secrets forbidden": {"o": {"errors": [{"collector": "kubernetes", "kind": "Secret", "reason": "forbidden", "message": "secrets is forbidden"}]}, "want": {"deny": set(), "unknown": {fx.key_in("Namespace", fx.ns)}}},
	"secrets not in evidence": {"o": {"errors": [{"collector": "evidence", "kind": "Secret", "reason": "not-provided", "message": "no Secret objects"}]}, "want": {"deny": set(), "unknown": {fx.key_in("Namespace", fx.ns)}}},
}

# Secrets left unread on purpose: the control does not apply, with why;
# never a pass, and no unknown.
test_secrets_skipped if {
	skipped := object.union(fx.space({"secrets": {"backup-creds": secret("backup-creds", aws_pair)}}), {"source": {"mode": "live", "skipSecrets": true}})
	count(control.deny) == 0 with input as skipped
	count(control.unknown) == 0 with input as skipped
	control.not_applicable == {"Secrets are not read (--skip-secrets, or the chart's rbac.readSecrets=false)"} with input as skipped
}
