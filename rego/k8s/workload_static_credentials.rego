# METADATA
# title: Workload uses no static cloud credentials
# description: >-
#   The workload does not read static cloud credentials through env, envFrom
#   or a mounted Secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#   AZURE_CLIENT_SECRET, AZURE_STORAGE_KEY, GOOGLE_APPLICATION_CREDENTIALS
#   pointing at a key file, ...). Static credentials also win over workload
#   identity in most SDK credential chains.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-K8S-011
#   severity: critical
#   remediation: >-
#     Remove the credential variables, envFrom and Secret volumes from the
#     workload, rely on workload identity, and revoke the credential at the
#     cloud provider.
package wiscan.k8s.workload_static_credentials

import data.wiscan.lib.k8s

# Variables that always carry a static credential or point at one.
static_env := {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SHARED_CREDENTIALS_FILE",
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_ACCESS_KEY",
	"AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN",
}

secret(ns, name) := input.kubernetes.secrets[ns][name]

# uses lists, for one pod spec, each way it reads a static credential.
uses(ns, spec) := {u |
	some c in spec.containers
	some u in container_uses(ns, spec, c)
}

container_uses(ns, spec, c) := ((((by_env_name(ns, c) | by_env_value(c)) | by_env_secret(ns, c)) | by_env_from(ns, c)) | by_mount(ns, spec, c)) | by_key_file(spec, c)

# by_env_name names a credential variable once: by name only when its value
# or the Secret key it reads is not described more precisely below.
by_env_name(ns, c) := {sprintf("container %s: env %s", [c.name, e.name]) |
	some e in c.env
	e.name in static_env
	not described(ns, e)
}

described(_, e) if e.credential

described(ns, e) if {
	some cred in secret(ns, e.secretRef.name).credentials
	cred.key == e.secretRef.key
}

by_env_value(c) := {sprintf("container %s: env %s holds %s %s", [c.name, e.name, e.credential.kind, e.credential.fingerprint]) |
	some e in c.env
	e.credential
}

by_env_secret(ns, c) := {sprintf("container %s: env %s from Secret %s key %s (%s)", [c.name, e.name, e.secretRef.name, e.secretRef.key, cred.kind]) |
	some e in c.env
	some cred in secret(ns, e.secretRef.name).credentials
	cred.key == e.secretRef.key
}

by_env_from(ns, c) := {sprintf("container %s: envFrom Secret %s (%s)", [c.name, ef.secret, cred.kind]) |
	some ef in c.envFrom
	some cred in secret(ns, ef.secret).credentials
}

by_mount(ns, spec, c) := {sprintf("container %s: mounts Secret %s at %s (%s)", [c.name, name, m.path, cred.kind]) |
	some m in c.mounts
	some name in volume_secrets(spec, m.volume)
	some cred in secret(ns, name).credentials
}

by_key_file(spec, c) := {sprintf("container %s: GOOGLE_APPLICATION_CREDENTIALS points into Secret volume %s", [c.name, m.volume]) |
	some e in c.env
	e.name == "GOOGLE_APPLICATION_CREDENTIALS"
	some m in c.mounts
	startswith(object.get(e, "value", ""), m.path)
	count(volume_secrets(spec, m.volume)) > 0
}

# volume_secrets are the Secrets a volume mounts, directly or projected.
volume_secrets(spec, name) := {s |
	some v in spec.volumes
	v.name == name
	some s in array.concat([object.get(v, "secret", "")], [p.secret | some p in object.get(v, "projected", []); p.secret])
	s != ""
}

deny contains f if {
	some t in k8s.targets
	some w in k8s.workload_specs(t)
	found := uses(t.namespace, w.spec)
	count(found) > 0
	f := object.union(
		{
			"msg": sprintf("%s %s reads static cloud credentials: %s", [w.resource.kind, w.resource.name, concat("; ", sort([x | some x in found]))]),
			"resource": w.resource,
			"evidence": {"uses": sort([x | some x in found])},
			"profile": t.profile.name,
		},
		remove_fix(t.namespace, w),
	)
}

# remove_fix removes from a workload's pod template each piece that reads a
# static credential; a bare pod's spec cannot change.
remove_fix(ns, w) := {"fix": {"action": "remove-credentials", "kind": w.resource.kind, "namespace": ns, "name": w.resource.name, "remove": sort(pieces)}} if {
	w.resource.kind != "Pod"
	pieces := removals(ns, w.spec)
	count(pieces) > 0
} else := {}

# removals name the pieces of a pod spec that read static credentials:
# env:<container>:<variable>, envFrom:<container>:<Secret>, volume:<name>.
removals(ns, spec) := {r |
	some c in spec.containers
	some r in container_removals(ns, spec, c)
}

container_removals(ns, spec, c) := ({sprintf("env:%s:%s", [c.name, e.name]) |
	some e in c.env
	credential_env(ns, spec, c, e)
} | {sprintf("envFrom:%s:%s", [c.name, ef.secret]) |
	some ef in c.envFrom
	count(secret(ns, ef.secret).credentials) > 0
}) | {sprintf("volume:%s", [v]) |
	some v in credential_volumes(ns, spec, c)
}

credential_volumes(ns, spec, c) := {m.volume |
	some m in c.mounts
	some name in volume_secrets(spec, m.volume)
	count(secret(ns, name).credentials) > 0
} | key_file_volumes(spec, c)

credential_env(_, _, _, e) if e.name in static_env

credential_env(ns, _, _, e) if described(ns, e)

credential_env(_, spec, c, e) if {
	e.name == "GOOGLE_APPLICATION_CREDENTIALS"
	count(key_file_volumes(spec, c)) > 0
}

# key_file_volumes are the Secret volumes GOOGLE_APPLICATION_CREDENTIALS
# points into.
key_file_volumes(spec, c) := {m.volume |
	some e in c.env
	e.name == "GOOGLE_APPLICATION_CREDENTIALS"
	some m in c.mounts
	startswith(object.get(e, "value", ""), m.path)
	count(volume_secrets(spec, m.volume)) > 0
}

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	u := k8s.unknown_result([k8s.workload_kind(t), "Pod", "Secret"], t, k8s.sa_resource(t))
}

# With Secrets left unread on purpose, a workload that reads one (envFrom,
# a mounted volume, a variable from a key) may read a static credential
# there: unknown, naming the Secrets, unless a finding already names it.
unknown contains u if {
	k8s.secrets_skipped
	some t in k8s.targets
	some w in k8s.workload_specs(t)
	count(uses(t.namespace, w.spec)) == 0
	refs := referenced(w.spec)
	count(refs) > 0
	u := {
		"msg": sprintf("%s %s reads Secret(s) %s, whose content is not read: %s", [w.resource.kind, w.resource.name, concat(", ", sort(refs)), k8s.secrets_skipped_reason]),
		"resource": w.resource,
		"key": "secrets-not-read",
	}
}

# referenced are the Secrets a pod spec reads.
referenced(spec) := {name |
	some c in spec.containers
	some name in array.concat(
		[e.secretRef.name | some e in c.env; e.secretRef],
		array.concat([ef.secret | some ef in c.envFrom; object.get(ef, "secret", "") != ""], [s | some m in c.mounts; some s in volume_secrets(spec, m.volume)]),
	)
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.no_targets
