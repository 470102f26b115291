package wiscan.k8s.secret_static_credentials_test

import data.wiscan.k8s.secret_static_credentials as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

secret(name, creds) := {
	"namespace": fx.ns, "name": name, "labels": {}, "annotations": {},
	"type": "Opaque", "keys": [c.key | some c in creds], "credentials": creds,
}

aws_pair := [
	{"kind": "aws-access-key", "cloud": "aws", "key": "AWS_ACCESS_KEY_ID", "fingerprint": "AKIA…MPLE"},
	{"kind": "aws-secret-key", "cloud": "aws", "key": "AWS_SECRET_ACCESS_KEY", "fingerprint": "sha256:0123456789ab"},
]

cases := {
	"no secrets passes": {"o": {}, "want": {"deny": 0, "unknown": 0}},
	"unrelated secret passes": {"o": {"secrets": {"webhook-tls": secret("webhook-tls", [])}}, "want": {"deny": 0, "unknown": 0}},
	"aws key pair": {"o": {"secrets": {"backup-creds": secret("backup-creds", aws_pair)}}, "want": {"deny": 1, "unknown": 0}},
	"aws shared credentials file": {"o": {"secrets": {"s": secret("s", [{"kind": "aws-shared-credentials", "cloud": "aws", "key": "credentials", "fingerprint": "AKIA…MPLE"}])}}, "want": {"deny": 1, "unknown": 0}},
	"gcp key": {"o": {"secrets": {"s": secret("s", [{"kind": "gcp-service-account-key", "cloud": "gcp", "key": "key.json", "fingerprint": "0123…cdef"}])}}, "want": {"deny": 1, "unknown": 0}},
	"azure connection string": {"o": {"secrets": {"s": secret("s", [{"kind": "azure-connection-string", "cloud": "azure", "key": "conn", "fingerprint": "sha256:0123456789ab"}])}}, "want": {"deny": 1, "unknown": 0}},
	"two secrets": {"o": {"secrets": {"a": secret("a", aws_pair), "b": secret("b", aws_pair)}}, "want": {"deny": 2, "unknown": 0}},
	# Secrets could not be read: unknown, never a pass.
	"secrets forbidden": {"o": {"errors": [{"collector": "kubernetes", "kind": "Secret", "reason": "forbidden", "message": "secrets is forbidden"}]}, "want": {"deny": 0, "unknown": 1}},
	"secrets not in evidence": {"o": {"errors": [{"collector": "evidence", "kind": "Secret", "reason": "not-provided", "message": "no Secret objects"}]}, "want": {"deny": 0, "unknown": 1}},
}
