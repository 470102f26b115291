package wiscan.gcp.storage_scope_test

import data.wiscan.gcp.storage_scope as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

sa_member := sprintf("serviceAccount:%s", [fx.gcp_email])

cases := {
	"documented setup fails: objectAdmin on the project": {"input": fx.space_gcp({}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"least privilege passes": {"input": fx.space_gcp(fx.least_gcp), "want": {"deny": set(), "unknown": set()}},
	"storage admin on the bucket": {"input": fx.space_gcp({"gcp_project_bindings": [], "gcp_bucket_bindings": [fx.gcp_binding("roles/storage.admin", [sa_member])]}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"editor on the organization": {"input": fx.space_gcp(object.union(fx.least_gcp, {"gcp_policies": {"organizations/222": fx.gcp_policy([fx.gcp_binding("roles/editor", [sa_member])])}})), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"viewer on the project grants no storage": {"input": fx.space_gcp(object.union(fx.least_gcp, {"gcp_project_bindings": [fx.gcp_binding("roles/viewer", [sa_member])]})), "want": {"deny": set(), "unknown": set()}},
	"custom role with object permissions on the project": {
		"input": fx.space_gcp(object.union(fx.least_gcp, {
			"gcp_project_bindings": [fx.gcp_binding("projects/acme-prod/roles/backupReader", [sa_member])],
			"gcp_roles": {"projects/acme-prod/roles/backupReader": {"name": "projects/acme-prod/roles/backupReader", "permissions": ["storage.objects.get"]}},
		})),
		"want": {"deny": {fx.gcp_account_key}, "unknown": set()},
	},
	"project grant to a group": {"input": fx.space_gcp(object.union(fx.least_gcp, {"gcp_project_bindings": [fx.gcp_binding("roles/storage.objectAdmin", ["group:backup@acme.example"])]})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"project policy not read": {"input": fx.space_gcp(object.union(fx.least_gcp, {"gcp_policies": {"buckets/spaces-backups": fx.gcp_policy([fx.gcp_binding("roles/storage.objectUser", [sa_member])]), "organizations/222": fx.gcp_policy([])}})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_documented_witness if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({})
	f.msg == sprintf("%s holds roles/storage.objectAdmin on projects/acme-prod (above the bucket): it grants storage.objects.create beyond the objects of one bucket, on every bucket there; used by %s", [fx.gcp_email, fx.ns])
	f.key == sprintf("projects/acme-prod|roles/storage.objectAdmin|%s", [sa_member])
}

test_bucket_role_witness if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_project_bindings": [], "gcp_bucket_bindings": [fx.gcp_binding("roles/storage.admin", [sa_member])]})
	contains(f.msg, "holds roles/storage.admin on buckets/spaces-backups (the bucket): it grants storage.anywhereCaches.create, beyond object use")
}

# The fix grants object use on the bucket, then removes the project grant;
# a grant to a group serves others and gets no fix.
test_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({})
	f.fix == {
		"action": "unbind", "kind": "GoogleServiceAccount", "name": fx.gcp_email, "member": sa_member,
		"role": "roles/storage.objectAdmin", "scope": "projects/acme-prod", "resources": ["buckets/spaces-backups"],
	}
}
