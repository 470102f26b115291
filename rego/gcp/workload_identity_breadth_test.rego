package wiscan.gcp.workload_identity_breadth_test

import data.wiscan.gcp.workload_identity_breadth as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

wiu(members) := {"gcp_wiu": [fx.gcp_binding("roles/iam.workloadIdentityUser", members)]}

pool_set := sprintf("principalSet://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/*", [fx.gcp_number, fx.gcp_pool])

ns_set := sprintf("principalSet://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/namespace/%s", [fx.gcp_number, fx.gcp_pool, fx.ns])

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"pool-wide principal set": {"input": fx.space_gcp(wiu([fx.gcp_member, pool_set])), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"namespace principal set": {"input": fx.space_gcp(wiu([ns_set])), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"every authenticated user": {"input": fx.space_gcp(wiu(["allAuthenticatedUsers"])), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"project-level workload identity user": {"input": fx.space_gcp({"gcp_project_bindings": [fx.gcp_binding("roles/iam.workloadIdentityUser", [fx.gcp_member])]}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"another namespace's set is not this one's breadth": {"input": fx.space_gcp(wiu([fx.gcp_member, replace(ns_set, fx.ns, "other")])), "want": {"deny": set(), "unknown": set()}},
	"ancestry not read": {"input": fx.space_gcp({"gcp_ancestry": null}), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_pool_set_witness if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(wiu([fx.gcp_member, pool_set]))
	f.msg == sprintf("roles/iam.workloadIdentityUser on serviceAccounts/%s is granted to %s: every identity of workload pool acme-prod.svc.id.goog; the account serves 1 control plane(s): %s", [fx.gcp_email, pool_set, fx.ns])
}

test_project_level_says_so if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_project_bindings": [fx.gcp_binding("roles/iam.workloadIdentityUser", [fx.gcp_member])]})
	contains(f.msg, "granted on projects/acme-prod, it lets serviceAccount:acme-prod.svc.id.goog")
	f.key == sprintf("projects/acme-prod|%s", [fx.gcp_member])
}
