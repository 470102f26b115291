package wiscan.k8s.workload_static_credentials_test

import data.wiscan.k8s.workload_static_credentials as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

# The fix names each piece that reads a credential, and nothing else of the
# template; a bare pod gets none, since its spec cannot change.
fix_failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in fix_cases
	got := {f.fix | some f in control.deny; f.fix} with input as fx.space(c.o)
	got != c.want
}

test_fix_cases if count(fix_failures) == 0

removal(pieces) := {{"action": "remove-credentials", "kind": "Deployment", "namespace": fx.ns, "name": "mxp-controller", "remove": pieces}}

fix_cases := {
	"env by name": {"o": {"template_env": [{"name": "AWS_ACCESS_KEY_ID", "secretRef": {"name": "x", "key": "id"}}, {"name": "LOG_LEVEL", "value": "debug", "hasValue": true}]}, "want": removal(["env:mxp-controller:AWS_ACCESS_KEY_ID"])},
	"env from a credential key": {"o": {"secrets": creds_secret, "template_env": [{"name": "CREDS", "secretRef": {"name": "backup-creds", "key": "credentials"}}]}, "want": removal(["env:mxp-controller:CREDS"])},
	"envFrom and a mounted secret": {"o": {"secrets": creds_secret, "template_envFrom": [{"secret": "backup-creds"}], "template_volumes": [{"name": "creds", "secret": "backup-creds"}, {"name": "cache", "other": "emptyDir"}], "template_mounts": [{"volume": "creds", "path": "/creds"}, {"volume": "cache", "path": "/cache"}]}, "want": removal(["envFrom:mxp-controller:backup-creds", "volume:creds"])},
	"key file variable and its volume": {"o": {"secrets": gcp_secret, "template_env": [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/google/key.json", "hasValue": true}], "template_volumes": [{"name": "google", "secret": "gcp-key"}], "template_mounts": [{"volume": "google", "path": "/var/secrets/google"}]}, "want": removal(["env:mxp-controller:GOOGLE_APPLICATION_CREDENTIALS", "volume:google"])},
	"bare pod": {"o": {"deployments": {}, "pod_env": [{"name": "AZURE_CLIENT_SECRET", "secretRef": {"name": "x", "key": "y"}}]}, "want": set()},
}

creds_secret := {"backup-creds": {
	"namespace": fx.ns, "name": "backup-creds", "labels": {}, "annotations": {}, "type": "Opaque",
	"keys": ["credentials"],
	"credentials": [{"kind": "aws-shared-credentials", "cloud": "aws", "key": "credentials", "fingerprint": "AKIA…MPLE"}],
}}

gcp_secret := {"gcp-key": {
	"namespace": fx.ns, "name": "gcp-key", "labels": {}, "annotations": {}, "type": "Opaque",
	"keys": ["key.json"], "credentials": [],
}}

cases := {
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# The variable name alone says static keys are in use.
	"env AWS_ACCESS_KEY_ID": {"o": {"template_env": [{"name": "AWS_ACCESS_KEY_ID", "secretRef": {"name": "x", "key": "id"}}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"env literal credential": {"o": {"template_env": [{"name": "KEY", "hasValue": true, "credential": {"kind": "aws-access-key", "cloud": "aws", "fingerprint": "AKIA…MPLE"}}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"env from credential secret key": {"o": {"secrets": creds_secret, "template_env": [{"name": "CREDS", "secretRef": {"name": "backup-creds", "key": "credentials"}}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"envFrom credential secret": {"o": {"secrets": creds_secret, "template_envFrom": [{"secret": "backup-creds"}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"mounted credential secret": {"o": {"secrets": creds_secret, "template_volumes": [{"name": "creds", "secret": "backup-creds"}], "template_mounts": [{"volume": "creds", "path": "/creds"}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"projected credential secret": {"o": {"secrets": creds_secret, "template_volumes": [{"name": "creds", "projected": [{"secret": "backup-creds"}]}], "template_mounts": [{"volume": "creds", "path": "/creds"}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"GOOGLE_APPLICATION_CREDENTIALS into a secret volume": {"o": {"secrets": gcp_secret, "template_env": [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/google/key.json", "hasValue": true}], "template_volumes": [{"name": "google", "secret": "gcp-key"}], "template_mounts": [{"volume": "google", "path": "/var/secrets/google"}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	# An external-account file from a ConfigMap is workload identity federation.
	"GOOGLE_APPLICATION_CREDENTIALS to a configmap": {"o": {"template_env": [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/etc/wif/config.json", "hasValue": true}], "template_volumes": [{"name": "wif", "other": "configMap"}], "template_mounts": [{"volume": "wif", "path": "/etc/wif"}]}, "want": {"deny": set(), "unknown": set()}},
	# A harmless secret mounted is fine.
	"mounted tls secret": {"o": {"secrets": {"tls": {"namespace": fx.ns, "name": "tls", "labels": {}, "annotations": {}, "type": "kubernetes.io/tls", "keys": ["tls.crt", "tls.key"], "credentials": []}}, "template_volumes": [{"name": "tls", "secret": "tls"}], "template_mounts": [{"volume": "tls", "path": "/tls"}]}, "want": {"deny": set(), "unknown": set()}},
	# Without a Deployment the pods are checked.
	"pod without deployment": {"o": {"deployments": {}, "pod_env": [{"name": "AZURE_CLIENT_SECRET", "secretRef": {"name": "x", "key": "y"}}]}, "want": {"deny": {fx.pod_key}, "unknown": set()}},
	"secrets forbidden": {"o": {"errors": [{"collector": "kubernetes", "kind": "Secret", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

# A variable read from a Secret key holding a credential is named once,
# with the Secret, not a second time by its name.
test_variable_named_once if {
	env := [{"name": "AWS_ACCESS_KEY_ID", "secretRef": {"name": "creds", "key": "id"}}]
	secrets := {"creds": {"namespace": fx.ns, "name": "creds", "keys": ["id"], "credentials": [{"key": "id", "kind": "aws-access-key", "fingerprint": "AKIA…MPLE"}]}}
	fs := control.deny with input as fx.space({"pod_env": env, "template_env": env, "secrets": secrets})
	some f in fs
	f.resource.kind == "Deployment"
	f.evidence.uses == ["container mxp-controller: env AWS_ACCESS_KEY_ID from Secret creds key id (aws-access-key)"]
}

# Secrets left unread on purpose: a workload that reads one is unknown,
# naming it; one named by a credential variable is still a finding.
test_secrets_skipped if {
	skipped := {"source": {"mode": "live", "skipSecrets": true}}
	reads := object.union(fx.space({"template_envFrom": [{"secret": "backup-creds"}]}), skipped)
	[u] := [u | some u in control.unknown] with input as reads
	u.msg == "Deployment mxp-controller reads Secret(s) backup-creds, whose content is not read: Secrets are not read (--skip-secrets, or the chart's rbac.readSecrets=false)"
	named := object.union(fx.space({"template_env": [{"name": "AWS_ACCESS_KEY_ID", "secretRef": {"name": "x", "key": "id"}}]}), skipped)
	count(control.deny) == 1 with input as named
	count(control.unknown) == 0 with input as named
}
