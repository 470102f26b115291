package wiscan.k8s.backup_storage_settings_test

import data.wiscan.k8s.backup_storage_settings as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as build(c)
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"clean values pass": {"o": {}, "want": {"deny": 0, "unknown": 0}},
	# The documented helm --set with a space after "=".
	"region with leading space": {"o": {"bc_config": {"region": " us-east-1"}}, "want": {"deny": 1, "unknown": 0}},
	"bucket with trailing space": {"o": {"bc_bucket": "spaces-backups "}, "want": {"deny": 1, "unknown": 0}},
	"no bucket": {"o": {"bc_bucket": ""}, "want": {"deny": 1, "unknown": 0}},
	"expected bucket matches": {"o": {"profile": {"storage": {"bucket": "spaces-backups"}}}, "want": {"deny": 0, "unknown": 0}},
	"expected bucket differs": {"o": {"profile": {"storage": {"bucket": "other-bucket"}}}, "want": {"deny": 1, "unknown": 0}},
	# The cloud half: the role grants the documented bucket, the
	# configuration names another.
	"role grants another bucket": {"o": {"bc_bucket": "other-bucket"}, "aws": true, "want": {"deny": 1, "unknown": 0}},
	"role grants the configured bucket": {"o": {}, "aws": true, "want": {"deny": 0, "unknown": 0}},
	"kind not looked for": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {}}, "want": {"deny": 0, "unknown": 1}},
}

build(c) := fx.space_aws(c.o) if c.aws

else := fx.space(c.o)
