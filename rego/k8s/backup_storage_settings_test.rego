package wiscan.k8s.backup_storage_settings_test

import data.wiscan.k8s.backup_storage_settings as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as build(c)
	got != c.want
}

test_cases if count(failures) == 0

# White space is trimmed from the one field that has it; the other
# findings need a choice (which bucket) and get no fix.
fix_failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in fix_cases
	got := {f.fix | some f in control.deny; f.fix} with input as fx.space(c.o)
	got != c.want
}

test_fix_cases if count(fix_failures) == 0

set_field(field, value) := {"action": "set-field", "kind": "SharedBackupConfig", "namespace": "default", "name": "default", "field": field, "value": value}

fix_cases := {
	"region with leading space": {"o": {"bc_config": {"region": " us-east-1", "endpoint": "https://s3.example"}}, "want": {set_field("spec.objectStorage.config.region", "us-east-1")}},
	"bucket with trailing space": {"o": {"bc_bucket": "spaces-backups "}, "want": {set_field("spec.objectStorage.bucket", "spaces-backups")}},
	"expected bucket differs": {"o": {"profile": {"storage": {"bucket": "other-bucket"}}}, "want": set()},
}

cases := {
	"clean values pass": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# The documented helm --set with a space after "=".
	"region with leading space": {"o": {"bc_config": {"region": " us-east-1"}}, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"bucket with trailing space": {"o": {"bc_bucket": "spaces-backups "}, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"no bucket": {"o": {"bc_bucket": ""}, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"expected bucket matches": {"o": {"profile": {"storage": {"bucket": "spaces-backups"}}}, "want": {"deny": set(), "unknown": set()}},
	"expected bucket differs": {"o": {"profile": {"storage": {"bucket": "other-bucket"}}}, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	# The cloud half: the role grants the documented bucket, the
	# configuration names another.
	"role grants another bucket": {"o": {"bc_bucket": "other-bucket"}, "aws": true, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"role grants the configured bucket": {"o": {}, "aws": true, "want": {"deny": set(), "unknown": set()}},
	"kind not looked for": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {}}, "want": {"deny": set(), "unknown": {"SharedBackupConfig /*"}}},
	# The Azure cloud half: the identity holds Storage Blob Data
	# Contributor on container "backups", the configuration names another.
	"azure identity granted another container": {"o": {"bc_bucket": "other", "az_assignments": [fx.az_assignment("a1", sprintf("%s/blobServices/default/containers/backups", [fx.az_account]), fx.az_sbdc)]}, "azure": true, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"azure identity granted the configured container": {"o": {"az_assignments": [fx.az_assignment("a1", sprintf("%s/blobServices/default/containers/backups", [fx.az_account]), fx.az_sbdc)]}, "azure": true, "want": {"deny": set(), "unknown": set()}},
	# The GCP cloud half: the account holds Storage Object User on bucket
	# "spaces-backups" only, the configuration names another.
	"gcp account granted another bucket": {
		"o": object.union(fx.least_gcp, {"bc_bucket": "other", "gcp_policies": {
			"projects/acme-prod": fx.gcp_policy([]), "organizations/222": fx.gcp_policy([]),
			"buckets/spaces-backups": fx.gcp_policy([fx.gcp_binding("roles/storage.objectUser", [sprintf("serviceAccount:%s", [fx.gcp_email])])]),
			"buckets/other": fx.gcp_policy([]),
		}}),
		"gcp": true, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()},
	},
	"gcp account granted the configured bucket": {"o": fx.least_gcp, "gcp": true, "want": {"deny": set(), "unknown": set()}},
}

build(c) := fx.space_aws(c.o) if c.aws

else := fx.space_gcp(c.o) if c.gcp

else := fx.space_azure(c.o) if c.azure

else := fx.space(c.o)

test_azure_message if {
	[f] := [f | some f in control.deny] with input as fx.space_azure({"bc_bucket": "other", "az_assignments": [fx.az_assignment("a1", sprintf("%s/blobServices/default/containers/backups", [fx.az_account]), fx.az_sbdc)]})
	f.msg == sprintf("SharedBackupConfig default names bucket \"other\", but identity backup-restore-identity is granted %s/blobServices/default/containers/backups", [fx.az_account])
}

# Without a profile that reads a backup configuration the control has
# nothing to check, and says so; with one it applies.
test_not_applicable_without_backup_config if {
	control.not_applicable == {"no profile reads a backup configuration"} with input as fx.space({"profile": {"backupConfig": ""}})
}

test_applicable_with_backup_config if {
	count(control.not_applicable) == 0 with input as fx.space({})
}
