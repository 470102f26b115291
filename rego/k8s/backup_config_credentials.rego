# METADATA
# title: Backup configuration uses injected identity
# description: >-
#   A Spaces SharedBackupConfig or SpaceBackupConfig takes its cloud
#   credentials from workload identity (credentials.source InjectedIdentity),
#   not from a Secret holding static keys.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/backup-and-restore/
# custom:
#   id: WI-K8S-012
#   severity: critical
#   remediation: >-
#     Set spec.objectStorage.credentials.source to InjectedIdentity, remove
#     credentials.secretRef, and delete and revoke the static credential.
package wiscan.k8s.backup_config_credentials

import data.wiscan.lib.k8s

configs(kind) := input.kubernetes.spaces.sharedBackupConfigs if kind == "SharedBackupConfig"

configs(kind) := input.kubernetes.spaces.spaceBackupConfigs if kind == "SpaceBackupConfig"

# kinds are the backup-config kinds of the profiles in force.
kinds contains kind if {
	some p in input.profiles
	kind := object.get(p, "backupConfig", "")
	kind != ""
}

deny contains f if {
	some kind in kinds
	some b in configs(kind)
	b.credentialsSource != "InjectedIdentity"
	f := k8s.with_cloud(
		{
			"msg": sprintf("%s %s takes credentials from source %q, not InjectedIdentity", [kind, b.name, b.credentialsSource]),
			"resource": k8s.resource(kind, b),
			"evidence": {"credentialsSource": b.credentialsSource, "secretRef": object.get(b, "secretRef", null)},
			"fix": {"action": "use-identity", "kind": kind, "namespace": object.get(b, "namespace", ""), "name": b.name},
		},
		k8s.provider_cloud(b),
	)
}

unknown contains u if {
	some kind in kinds
	reasons := k8s.missing([kind], "")
	count(reasons) > 0
	u := {"msg": concat("; ", reasons), "resource": {"kind": kind, "namespace": "", "name": "*"}, "key": "unread"}
}

unknown contains u if {
	some kind in kinds
	k8s.readable([kind], "")
	not kind in object.keys(input.kubernetes.spaces.kinds)
	u := {"msg": sprintf("%s objects were not looked for", [kind]), "resource": {"kind": kind, "namespace": "", "name": "*"}, "key": "not-looked-for"}
}

# Why the control has nothing to check, when it has not.
not_applicable contains "no profile reads a backup configuration" if {
	count({p | some p in input.profiles; object.get(p, "backupConfig", "") != ""}) == 0
}
