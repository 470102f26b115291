package wiscan.azure.shared_key_test

import data.wiscan.azure.shared_key as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

account(v) := {"az_accounts": {"spacesbackups": {"id": fx.az_account, "name": "spacesbackups", "allowSharedKeyAccess": v}}}

cases := {
	"shared key off passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"shared key on": {"input": fx.space_azure(account(true)), "want": {"deny": {fx.az_account_key}, "unknown": set()}},
	# The documented setup never sets it: null, which Azure treats as true.
	"shared key null": {"input": fx.space_azure(account(null)), "want": {"deny": {fx.az_account_key}, "unknown": set()}},
	"account not read": {"input": fx.space_azure({"az_accounts": {}}), "want": {"deny": set(), "unknown": {"StorageAccount /spacesbackups"}}},
}

test_null_explained if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(account(null))
	f.msg == "storage account spacesbackups allows shared-key access (allowSharedKeyAccess null, which Azure treats as true): its static keys keep working beside workload identity"
}

# The fix turns shared-key access off on the account the finding names.
test_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_azure(account(null))
	f.fix == {"action": "disable-shared-key", "kind": "StorageAccount", "name": fx.az_account}
}
