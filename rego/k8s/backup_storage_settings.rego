# METADATA
# title: Backup storage settings well formed
# description: >-
#   The backup configuration's storage values are exact: no leading or
#   trailing white space (as the documented --set "backup.storage.aws.region=
#   ${YOUR_AWS_REGION}" produces), a bucket is named, and it is the bucket the
#   profile expects. The cloud half, the bucket the identity is granted, is
#   checked with the cloud's data.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/backup-and-restore/
# custom:
#   id: WI-K8S-013
#   severity: medium
#   remediation: >-
#     Set the values without spaces (helm --set "backup.storage.aws.region=us-east-1"),
#     and name the bucket the workload's identity is granted.
package wiscan.k8s.backup_storage_settings

import data.wiscan.lib.bindings
import data.wiscan.lib.k8s

import data.wiscan.k8s.backup_config_credentials as bcc

# fields are a config's named string values.
fields(b) := object.union(
	{"provider": b.provider, "bucket": b.bucket},
	{sprintf("config.%s", [k]): v | some k, v in b.config},
)

deny contains f if {
	some kind in bcc.kinds
	some b in bcc.configs(kind)
	some name, value in fields(b)
	value != trim_space(value)
	f := k8s.with_cloud(
		{
			"msg": sprintf("%s %s: %s %q has surrounding white space", [kind, b.name, name, value]),
			"resource": k8s.resource(kind, b),
			"key": sprintf("white-space:%s", [name]),
			"evidence": {"field": name, "value": value},
			"fix": {"action": "set-field", "kind": kind, "namespace": object.get(b, "namespace", ""), "name": b.name, "field": sprintf("spec.objectStorage.%s", [name]), "value": trim_space(value)},
		},
		k8s.provider_cloud(b),
	)
}

deny contains f if {
	some kind in bcc.kinds
	some b in bcc.configs(kind)
	trim_space(b.bucket) == ""
	f := k8s.with_cloud(
		{
			"msg": sprintf("%s %s names no bucket", [kind, b.name]),
			"resource": k8s.resource(kind, b),
			"key": "no-bucket",
			"evidence": {"field": "bucket", "value": b.bucket},
		},
		k8s.provider_cloud(b),
	)
}

deny contains f if {
	some p in input.profiles
	kind := object.get(p, "backupConfig", "")
	want := object.get(object.get(p, "storage", {}), "bucket", "")
	want != ""
	some b in bcc.configs(kind)
	trim_space(b.bucket) != ""
	trim_space(b.bucket) != want
	f := k8s.with_cloud(
		{
			"msg": sprintf("%s %s uses bucket %q, but profile %s expects %q", [kind, b.name, b.bucket, p.name, want]),
			"resource": k8s.resource(kind, b),
			"key": "bucket-not-expected",
			"evidence": {"bucket": b.bucket, "expected": want},
			"profile": p.name,
		},
		k8s.provider_cloud(b),
	)
}

# The cloud half: the bucket the configuration names is not one the
# identity of its control planes can reach, while the identity is granted
# another.
deny contains f if {
	some p in input.profiles
	kind := object.get(p, "backupConfig", "")
	some b in bcc.configs(kind)
	bucket := trim_space(b.bucket)
	bucket != ""
	some e in bindings.elsewhere
	e.profile == p.name
	e.bucket == bucket
	f := k8s.with_cloud(
		{
			"msg": sprintf("%s %s names bucket %q, but identity %s is granted %s", [kind, b.name, bucket, e.identity, concat(", ", e.granted)]),
			"resource": k8s.resource(kind, b),
			"key": sprintf("bucket-not-granted:%s", [e.identity]),
			"evidence": {"bucket": bucket, "identity": e.identity, "granted": e.granted},
			"profile": p.name,
		},
		k8s.provider_cloud(b),
	)
}

unknown contains u if {
	some u in bcc.unknown
}

# Why the control has nothing to check, when it has not.
not_applicable contains "no profile reads a backup configuration" if {
	count({p | some p in input.profiles; object.get(p, "backupConfig", "") != ""}) == 0
}
