package wiscan.gcp.storage_access_test

import data.wiscan.gcp.storage_access as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

sa_member := sprintf("serviceAccount:%s", [fx.gcp_email])

on_bucket(b) := {"gcp_project_bindings": [], "gcp_bucket_bindings": [b]}

conditional(expr) := on_bucket(object.union(fx.gcp_binding("roles/storage.objectAdmin", [sa_member]), {"condition": {"title": "t", "expression": expr}}))

deny_policy(principal) := {"gcp_deny": {
	"projects/acme-prod": [{"name": "policies/cloudresourcemanager.googleapis.com%2Fprojects%2Facme-prod/denypolicies/no-delete", "rules": [{"deniedPrincipals": [principal], "exceptionPrincipals": [], "deniedPermissions": ["storage.googleapis.com/objects.delete"], "exceptionPermissions": []}]}],
	"organizations/222": [],
}}

principal := {"method": "gcp-principal", "profile": {"method": "gcp-principal"}, "sa_annotations": {}}

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"least privilege passes": {"input": fx.space_gcp(fx.least_gcp), "want": {"deny": set(), "unknown": set()}},
	"no grant": {"input": fx.space_gcp({"gcp_project_bindings": []}), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"prefix the workload does not stay in": {"input": fx.space_gcp(object.union(conditional(`resource.name.startsWith("projects/_/buckets/spaces-backups/objects/only/")`), {"profile": {"storage": {"prefix": "cp/"}}})), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"prefix the workload stays in": {"input": fx.space_gcp(object.union(conditional(`resource.type == "storage.googleapis.com/Bucket" || resource.name.startsWith("projects/_/buckets/spaces-backups/objects/cp/")`), {"profile": {"storage": {"prefix": "cp/ns1/"}}})), "want": {"deny": set(), "unknown": set()}},
	"expired by request time": {"input": fx.space_gcp(conditional(`request.time < timestamp("2026-06-01T00:00:00Z")`)), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"through a group": {"input": fx.space_gcp(on_bucket(fx.gcp_binding("roles/storage.objectAdmin", ["group:backup@acme.example"]))), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"deny policy on delete": {"input": fx.space_gcp(deny_policy(sprintf("principal://iam.googleapis.com/projects/-/serviceAccounts/%s", [fx.gcp_email]))), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"typo in the member": {"input": fx.space_gcp(on_bucket(fx.gcp_binding("roles/storage.objectAdmin", [replace(sa_member, "iam.gserviceaccount", "iam.gservicaccount")]))), "want": {"deny": {fx.gcp_account_key}, "unknown": set()}},
	"principal identifier on the bucket": {"input": fx.space_gcp(object.union(principal, on_bucket(fx.gcp_binding("roles/storage.objectUser", [fx.gcp_principal])))), "want": {"deny": set(), "unknown": set()}},
	"principal identifier without a grant": {"input": fx.space_gcp(object.union(principal, {"gcp_project_bindings": []})), "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"bucket policy not read": {"input": fx.space_gcp({"gcp_project_bindings": [], "gcp_policies": {"projects/acme-prod": fx.gcp_policy([]), "organizations/222": fx.gcp_policy([])}}), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {fx.gcp_account_key}}},
}

test_prefix_witness if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(object.union(conditional(`resource.name.startsWith("projects/_/buckets/spaces-backups/objects/only/")`), {"profile": {"storage": {"prefix": "cp/"}}}))
	contains(f.msg, `storage.objects.get is granted by roles/storage.objectAdmin on buckets/spaces-backups only where its condition holds: it refuses object "cp/x", for one`)
	startswith(f.msg, sprintf("%s cannot create, delete, get, list on bucket spaces-backups under \"cp/\":", [fx.gcp_email]))
	not f.fix
}

test_time_judged_at_scan_time if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(conditional(`request.time > timestamp("2027-01-01T00:00:00Z")`))
	contains(f.msg, "(request.time judged at the scan time, 2026-11-29T12:00:00Z; the verdict changes at 2027-01-01T00:00:00Z)")
}

test_missing_fix_on_bucket if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_project_bindings": []})
	f.fix == {"action": "bind", "kind": "Bucket", "name": "spaces-backups", "role": "roles/storage.objectUser", "member": sa_member}
	f.key == "spaces-backups"
	contains(f.msg, "storage.objects.get is not granted on the bucket, its project or above")
}

test_denied_names_policy if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(deny_policy("principalSet://goog/public:all"))
	contains(f.msg, "cannot delete on bucket spaces-backups: storage.objects.delete is granted by roles/storage.objectAdmin on projects/acme-prod but denied by deny policy policies/cloudresourcemanager.googleapis.com%2Fprojects%2Facme-prod/denypolicies/no-delete")
	not f.fix
}

test_group_named if {
	[u] := [u | some u in control.unknown] with input as fx.space_gcp(on_bucket(fx.gcp_binding("roles/storage.objectAdmin", ["group:backup@acme.example"])))
	contains(u.msg, "roles/storage.objectAdmin on buckets/spaces-backups is granted to group backup@acme.example, whose members wiscan does not read")
}

test_principal_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp(object.union(principal, {"gcp_project_bindings": []}))
	f.fix.member == fx.gcp_principal
	startswith(f.msg, fx.gcp_principal)
}
