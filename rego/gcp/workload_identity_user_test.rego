package wiscan.gcp.workload_identity_user_test

import data.wiscan.gcp.workload_identity_user as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

wiu(members) := {"gcp_wiu": [fx.gcp_binding("roles/iam.workloadIdentityUser", members)]}

other_ns := replace(fx.gcp_member, fx.ns, "mxp-other-system")

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"principal identifier passes": {"input": fx.space_gcp(wiu([fx.gcp_principal])), "want": {"deny": set(), "unknown": set()}},
	"pool-wide set satisfies (and fails WI-GCP-005)": {"input": fx.space_gcp(wiu([sprintf("principalSet://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/*", [fx.gcp_number, fx.gcp_pool])])), "want": {"deny": set(), "unknown": set()}},
	"project-level binding satisfies (and fails WI-GCP-005)": {"input": fx.space_gcp(object.union(wiu([]), {"gcp_project_bindings": [fx.gcp_binding("roles/iam.workloadIdentityUser", [fx.gcp_member])]})), "want": {"deny": set(), "unknown": set()}},
	"binding names another namespace": {"input": fx.space_gcp(wiu([other_ns])), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"typo in the member": {"input": fx.space_gcp(wiu([replace(fx.gcp_member, "svc.id.goog", "svc.id.gog")])), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"another role": {"input": fx.space_gcp({"gcp_wiu": [fx.gcp_binding("roles/iam.serviceAccountUser", [fx.gcp_member])]}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"through a group": {"input": fx.space_gcp(wiu(["group:platform@acme.example"])), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"account policy not read": {"input": fx.space_gcp({"gcp_account": {"policy": null}}), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_missing_names_member_near_and_fix if {
	typo := replace(fx.gcp_member, "svc.id.goog", "svc.id.gog")
	[f] := [f | some f in control.deny] with input as fx.space_gcp(wiu([other_ns, typo]))
	f.msg == sprintf("Google service account %s does not grant roles/iam.workloadIdentityUser to %s (its policy names %s instead)", [fx.gcp_email, fx.gcp_member, typo])
	f.key == fx.ns
	f.fix == {"action": "bind", "kind": "GoogleServiceAccount", "name": fx.gcp_email, "role": "roles/iam.workloadIdentityUser", "member": fx.gcp_member}
}

test_fix_principal_when_profile_says if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(object.union(wiu([]), {"profile": {"method": "gcp-principal"}, "method": "gke-workload-identity"}))
	f.fix.member == fx.gcp_principal
}

# Each control plane without the binding is its own finding.
test_one_finding_per_control_plane if {
	two := fx.space_gcp(wiu([]))
	ns2 := "mxp-0000-system"
	sa2 := object.union(two.kubernetes.serviceAccounts[fx.ns]["mxp-controller"], {"namespace": ns2})
	in2 := object.union(two, {
		"targets": array.concat(two.targets, [object.union(two.targets[0], {"namespace": ns2})]),
		"kubernetes": {"namespaces": {ns2: {"name": ns2, "labels": {}}}, "serviceAccounts": {ns2: {"mxp-controller": sa2}}},
	})
	keys := {f.key | some f in control.deny} with input as in2
	keys == {fx.ns, ns2}
}

test_unknown_names_group if {
	[u] := [u | some u in control.unknown] with input as fx.space_gcp(wiu(["group:platform@acme.example"]))
	contains(u.msg, "group platform@acme.example, whose members wiscan does not read")
}
