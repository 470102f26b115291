package wiscan.k8s.backup_config_credentials_test

import data.wiscan.k8s.backup_config_credentials as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

# The fix switches the failing configuration itself to InjectedIdentity.
test_fix if {
	fixes := {f.fix | some f in control.deny} with input as fx.space({"bc_source": "Secret"})
	fixes == {{"action": "use-identity", "kind": "SharedBackupConfig", "namespace": "default", "name": "default"}}
}

cases := {
	"injected identity passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# Static keys in a Secret, what workload identity replaces.
	"secret source": {"o": {"bc_source": "Secret"}, "want": {"deny": {"SharedBackupConfig default/default"}, "unknown": set()}},
	"no backup configs": {"o": {"sharedBackupConfigs": []}, "want": {"deny": set(), "unknown": set()}},
	"crd not served": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {"SharedBackupConfig": false}}, "want": {"deny": set(), "unknown": set()}},
	# Never looked for: unknown.
	"kind not looked for": {"o": {"sharedBackupConfigs": [], "spaces_kinds": {}}, "want": {"deny": set(), "unknown": {"SharedBackupConfig /*"}}},
	"list forbidden": {"o": {"sharedBackupConfigs": [], "errors": [{"collector": "kubernetes", "kind": "SharedBackupConfig", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {"SharedBackupConfig /*"}}},
	# A profile without a backup config kind is not concerned.
	"profile without backup config": {"o": {"bc_source": "Secret", "profile": {"backupConfig": ""}}, "want": {"deny": set(), "unknown": set()}},
}

# Without a profile that reads a backup configuration the control has
# nothing to check, and says so; with one it applies.
test_not_applicable_without_backup_config if {
	control.not_applicable == {"no profile reads a backup configuration"} with input as fx.space({"profile": {"backupConfig": ""}})
}

test_applicable_with_backup_config if {
	count(control.not_applicable) == 0 with input as fx.space({})
}
