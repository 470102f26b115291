package wiscan.gcp.account_exists_test

import data.wiscan.gcp.account_exists as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"disabled": {"input": fx.space_gcp({"gcp_account": {"disabled": true}}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"not found": {"input": fx.space_gcp({"gcp_accounts": {fx.gcp_email: {"email": fx.gcp_email, "found": false, "keys": null}}}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"not read": {"input": fx.space_gcp({"gcp_accounts": {}}), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"annotation in upper case names the same account": {"input": fx.space_gcp({"sa_annotations": {"iam.gke.io/gcp-service-account": upper(fx.gcp_email)}}), "want": {"deny": set(), "unknown": set()}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_gap_named if {
	gap := {"collector": "gcp", "kind": "GoogleServiceAccount", "name": fx.gcp_email, "reason": "forbidden", "message": "iam.serviceAccounts.get denied (PERMISSION_DENIED): needs iam.serviceAccounts.get"}
	[u] := [u | some u in control.unknown] with input as fx.space_gcp({"gcp_accounts": {}, "errors": [gap]})
	u.msg == "GoogleServiceAccount not readable (forbidden): iam.serviceAccounts.get denied (PERMISSION_DENIED): needs iam.serviceAccounts.get"
}

test_not_applicable_to_principals if {
	control.not_applicable == {"no control plane names a Google service account (iam.gke.io/gcp-service-account)"} with input as fx.space_gcp({"method": "gcp-principal"})
}

test_disabled_message if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_account": {"disabled": true}})
	f.msg == sprintf("Google service account %s is disabled; 1 control plane(s) use it: %s", [fx.gcp_email, fx.ns])
}
