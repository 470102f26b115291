package wiscan.gcp.account_keys_test

import data.wiscan.gcp.account_keys as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

key_id := "8f1e4c7a2b9d3e6f0a5c8b1d4e7f2a9c3b6d0e1f"

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"user-managed key": {"input": fx.space_gcp({"gcp_account": {"keys": [{"id": key_id, "validAfter": "2026-10-01T00:00:00Z"}]}}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"disabled key still counts": {"input": fx.space_gcp({"gcp_account": {"keys": [{"id": key_id, "disabled": true}]}}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"keys not read": {"input": fx.space_gcp({"gcp_account": {"keys": null}}), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_key_finding if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_account": {"keys": [{"id": key_id, "validAfter": "2026-10-01T00:00:00Z"}]}})
	f.msg == sprintf("Google service account %s has user-managed key %s, valid since 2026-10-01T00:00:00Z: a static credential that works without workload identity; the account serves 1 control plane(s): %s", [fx.gcp_email, key_id, fx.ns])
	f.key == key_id
	f.fix == {"action": "delete-key", "kind": "GoogleServiceAccount", "name": fx.gcp_email, "key": key_id}
}

# Two keys are two findings.
test_one_finding_per_key if {
	keys := {f.key | some f in control.deny} with input as fx.space_gcp({"gcp_account": {"keys": [{"id": "a1"}, {"id": "b2"}]}})
	keys == {"a1", "b2"}
}
