package wiscan.k8s.backup_config_credentials_test

import data.wiscan.k8s.backup_config_credentials as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"injected identity passes": {"o": {}, "want": {"deny": 0, "unknown": 0}},
	# Static keys in a Secret, what workload identity replaces.
	"secret source": {"o": {"bc_source": "Secret"}, "want": {"deny": 1, "unknown": 0}},
	"no backup configs": {"o": {"sharedBackupConfigs": []}, "want": {"deny": 0, "unknown": 0}},
	"crd not served": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {"SharedBackupConfig": false}}, "want": {"deny": 0, "unknown": 0}},
	# Never looked for: unknown.
	"kind not looked for": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {}}, "want": {"deny": 0, "unknown": 1}},
	"list forbidden": {"o": {"sharedBackupConfigs": [], "errors": [{"collector": "kubernetes", "kind": "SharedBackupConfig", "reason": "forbidden", "message": "x"}]}, "want": {"deny": 0, "unknown": 1}},
	# A profile without a backup config kind is not concerned.
	"profile without backup config": {"o": {"bc_source": "Secret", "profile": {"backupConfig": ""}}, "want": {"deny": 0, "unknown": 0}},
}
