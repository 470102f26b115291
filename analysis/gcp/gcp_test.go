package gcp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

const (
	email = "backup-restore-sa@acme-prod.iam.gserviceaccount.com"
	pool  = "acme-prod.svc.id.goog"
)

var needs = []string{"storage.objects.get", "storage.objects.create", "storage.objects.delete", "storage.objects.list"}

// documented is the documented setup: Storage Object Admin on the whole
// project for the Google service account.
func documented() *snapshot.GCP {
	g := snapshot.NewGCP()
	g.Project, g.ProjectNumber = "acme-prod", "123456789012"
	g.Ancestry = []string{"folders/111", "organizations/222"}
	g.Policies["projects/acme-prod"] = snapshot.IAMPolicy{Version: 1, Bindings: []snapshot.IAMBinding{
		{Role: "roles/storage.objectAdmin", Members: []string{"serviceAccount:" + email}},
	}}
	g.Policies["buckets/backups"] = snapshot.IAMPolicy{Version: 1, Bindings: []snapshot.IAMBinding{}}
	g.Policies["folders/111"] = snapshot.IAMPolicy{}
	g.Policies["organizations/222"] = snapshot.IAMPolicy{}
	for _, l := range []string{"projects/acme-prod", "folders/111", "organizations/222"} {
		g.DenyPolicies[l] = []snapshot.DenyPolicy{}
	}
	return g
}

var gsa = Subject{Email: email}

var ksa = Subject{Pool: pool, ProjectNumber: "123456789012", Namespace: "ctp-1", Name: "mxp-controller", Cluster: "projects/acme-prod/locations/us-central1/clusters/spaces"}

const ksaPrincipal = "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-prod.svc.id.goog/subject/ns/ctp-1/sa/mxp-controller"

func analyse(t *testing.T, s Subject, g *snapshot.GCP, prefix string) Access {
	t.Helper()
	out := Analyze(map[string]Subject{"k": s}, Context{Bucket: "backups", Prefix: prefix, Needs: needs, Now: "2026-11-29T12:00:00Z", GCP: g})
	return out["k"]
}

func statuses(a Access) map[string]string {
	out := map[string]string{}
	for _, n := range a.Needs {
		out[n.Permission] = n.Status
	}
	return out
}

func all(status string) map[string]string {
	out := map[string]string{}
	for _, p := range needs {
		out[p] = status
	}
	return out
}

func bucket(g *snapshot.GCP, b ...snapshot.IAMBinding) *snapshot.GCP {
	g.Policies["buckets/backups"] = snapshot.IAMPolicy{Version: 3, Bindings: b}
	return g
}

func project(g *snapshot.GCP, b ...snapshot.IAMBinding) *snapshot.GCP {
	g.Policies["projects/acme-prod"] = snapshot.IAMPolicy{Version: 3, Bindings: b}
	return g
}

func TestDocumentedSetup(t *testing.T) {
	a := analyse(t, gsa, documented(), "")
	if got := statuses(a); !reflect.DeepEqual(got, all("granted")) {
		t.Fatalf("needs: %v", got)
	}
	if a.Needs[0].Grant == nil || a.Needs[0].Grant.Resource != "projects/acme-prod" || a.Needs[0].Grant.Role != "roles/storage.objectAdmin" {
		t.Fatalf("grant: %+v", a.Needs[0].Grant)
	}
	// The project-wide grant is broader than the bucket, with an object
	// permission as witness.
	if len(a.Excess) != 1 || a.Excess[0].Resource != "projects/acme-prod" || a.Excess[0].Kind != "scope" || a.Excess[0].Witness != "storage.objects.create" {
		t.Fatalf("excess: %+v", a.Excess)
	}
}

func TestAccess(t *testing.T) {
	objectAdmin := func(members ...string) snapshot.IAMBinding {
		return snapshot.IAMBinding{Role: "roles/storage.objectAdmin", Members: members}
	}
	withCond := func(b snapshot.IAMBinding, expr string) snapshot.IAMBinding {
		b.Condition = &snapshot.IAMCondition{Title: "t", Expression: expr}
		return b
	}
	deny := func(principal string, perms ...string) *snapshot.GCP {
		g := bucket(project(documented()), objectAdmin("serviceAccount:"+email))
		g.DenyPolicies["folders/111"] = []snapshot.DenyPolicy{{Name: "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F111/denypolicies/no-delete", Rules: []snapshot.DenyRule{{DeniedPrincipals: []string{principal}, DeniedPermissions: perms}}}}
		return g
	}
	cases := []struct {
		name   string
		s      Subject
		g      *snapshot.GCP
		prefix string
		want   map[string]string
		excess int
		check  func(t *testing.T, a Access)
	}{
		{"bucket grant only", gsa, bucket(project(documented()), objectAdmin("serviceAccount:"+email)), "", all("granted"), 0, nil},
		{"member is case-insensitive e-mail", gsa, bucket(project(documented()), objectAdmin("serviceAccount:"+strings.ToUpper(email))), "", all("granted"), 0, nil},
		{"typo in the member", gsa, bucket(project(documented()), objectAdmin("serviceAccount:backup-restore-sa@acme-prod.iam.gserviceacount.com")), "", all("missing"), 0, nil},
		{"storage admin on the bucket", gsa, bucket(project(documented()), snapshot.IAMBinding{Role: "roles/storage.admin", Members: []string{"serviceAccount:" + email}}), "", all("granted"), 1, func(t *testing.T, a Access) {
			if a.Excess[0].Kind != "role" || !strings.HasPrefix(a.Excess[0].Witness, "storage.") || strings.HasPrefix(a.Excess[0].Witness, "storage.objects.") {
				t.Fatalf("excess: %+v", a.Excess)
			}
		}},
		{"viewer only", gsa, bucket(project(documented()), snapshot.IAMBinding{Role: "roles/storage.objectViewer", Members: []string{"serviceAccount:" + email}}), "",
			map[string]string{"storage.objects.get": "granted", "storage.objects.list": "granted", "storage.objects.create": "missing", "storage.objects.delete": "missing"}, 0, nil},
		{"through a group", gsa, bucket(project(documented()), objectAdmin("group:backup-admins@acme.example")), "", all("unknown"), 0, func(t *testing.T, a Access) {
			if !strings.Contains(strings.Join(a.Needs[0].Why, ";"), "group backup-admins@acme.example") {
				t.Fatalf("why: %v", a.Needs[0].Why)
			}
			// Object Admin on the bucket is not broader than the bucket,
			// whoever holds it.
			if len(a.Undecided) != 0 {
				t.Fatalf("undecided: %+v", a.Undecided)
			}
		}},
		{"project grant through a group", gsa, bucket(project(documented(), objectAdmin("group:backup-admins@acme.example")), objectAdmin("serviceAccount:"+email)), "", all("granted"), 0, func(t *testing.T, a Access) {
			if len(a.Undecided) != 1 || a.Undecided[0].Resource != "projects/acme-prod" || !strings.Contains(a.Undecided[0].Why, "group backup-admins@acme.example") {
				t.Fatalf("undecided: %+v", a.Undecided)
			}
		}},
		{"to everyone", gsa, bucket(project(documented()), objectAdmin("allUsers")), "", all("granted"), 0, nil},
		{"unknown predefined role", gsa, bucket(project(documented()), snapshot.IAMBinding{Role: "roles/storage.futureRole", Members: []string{"serviceAccount:" + email}}), "", all("unknown"), 0, func(t *testing.T, a Access) {
			if !strings.Contains(a.Needs[0].Why[0], "roles/storage.futureRole is not in the shipped") {
				t.Fatalf("why: %v", a.Needs[0].Why)
			}
		}},
		{"custom role as read", gsa, func() *snapshot.GCP {
			g := bucket(project(documented()), snapshot.IAMBinding{Role: "projects/acme-prod/roles/backup", Members: []string{"serviceAccount:" + email}})
			g.Roles["projects/acme-prod/roles/backup"] = snapshot.CustomRole{Name: "projects/acme-prod/roles/backup", Permissions: []string{"storage.objects.get", "storage.objects.list"}}
			return g
		}(), "", map[string]string{"storage.objects.get": "granted", "storage.objects.list": "granted", "storage.objects.create": "missing", "storage.objects.delete": "missing"}, 0, nil},
		{"custom role not read", gsa, bucket(project(documented()), snapshot.IAMBinding{Role: "projects/acme-prod/roles/backup", Members: []string{"serviceAccount:" + email}}), "", all("unknown"), 0, nil},
		{"deny on delete", gsa, deny("principal://iam.googleapis.com/projects/-/serviceAccounts/"+email, "storage.googleapis.com/objects.delete"), "",
			map[string]string{"storage.objects.get": "granted", "storage.objects.list": "granted", "storage.objects.create": "granted", "storage.objects.delete": "denied"}, 0, func(t *testing.T, a Access) {
				if a.Needs[2].DeniedBy != "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F111/denypolicies/no-delete" {
					t.Fatalf("denied by: %+v", a.Needs[2])
				}
			}},
		{"deny by wildcard to everyone", gsa, deny("principalSet://goog/public:all", "storage.googleapis.com/objects.*"), "", all("denied"), 0, nil},
		{"deny to a group", gsa, deny("principalSet://goog/group/ops@acme.example", "storage.googleapis.com/objects.delete"), "",
			map[string]string{"storage.objects.get": "granted", "storage.objects.list": "granted", "storage.objects.create": "granted", "storage.objects.delete": "unknown"}, 0, nil},
		{"deny of another permission", gsa, deny("principalSet://goog/public:all", "storage.googleapis.com/buckets.delete"), "", all("granted"), 0, nil},
		{"deny policies unread", gsa, func() *snapshot.GCP {
			g := bucket(project(documented()), objectAdmin("serviceAccount:"+email))
			delete(g.DenyPolicies, "organizations/222")
			return g
		}(), "", all("unknown"), 0, nil},
		{"bucket grant limited to a prefix the workload leaves", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `resource.name.startsWith("projects/_/buckets/backups/objects/cp/ctp-1/")`)), "cp/",
			map[string]string{"storage.objects.get": "missing", "storage.objects.create": "missing", "storage.objects.delete": "missing", "storage.objects.list": "missing"}, 0, func(t *testing.T, a Access) {
				if a.Needs[0].Witness != "cp/x" || a.Needs[0].Grant == nil || !a.Needs[0].Grant.Conditional {
					t.Fatalf("need: %+v", a.Needs[0])
				}
			}},
		{"bucket grant limited to the workload's prefix, with listing", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `resource.type == "storage.googleapis.com/Bucket" || resource.name.startsWith("projects/_/buckets/backups/objects/cp/")`)), "cp/ctp-1/",
			all("granted"), 0, nil},
		{"expired grant", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `request.time < timestamp("2026-06-01T00:00:00Z")`)), "", all("missing"), 0, func(t *testing.T, a Access) {
			if !a.Needs[0].AtScanTime || a.Needs[0].Witness == "" {
				t.Fatalf("need: %+v", a.Needs[0])
			}
		}},
		{"grant until next year", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `request.time < timestamp("2027-06-01T00:00:00Z")`)), "", all("granted"), 0, func(t *testing.T, a Access) {
			if !a.Needs[0].AtScanTime || a.Needs[0].ChangesAt != "2027-06-01T00:00:00Z" {
				t.Fatalf("need: %+v", a.Needs[0])
			}
		}},
		{"condition on tags", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `resource.matchTag("222/env", "prod")`)), "", all("unknown"), 0, nil},
		{"condition that does not parse", gsa, bucket(project(documented()), withCond(objectAdmin("serviceAccount:"+email), `resource.name.startsWith(`)), "", all("unknown"), 0, func(t *testing.T, a Access) {
			if !strings.Contains(a.Needs[0].Why[0], "does not compile") || !strings.Contains(a.Needs[0].Why[0], "buckets/backups") {
				t.Fatalf("why: %v", a.Needs[0].Why)
			}
		}},
		{"convenience member: editors are bucket owners", gsa, func() *snapshot.GCP {
			g := bucket(project(documented(), snapshot.IAMBinding{Role: "roles/editor", Members: []string{"serviceAccount:" + email}}),
				snapshot.IAMBinding{Role: "roles/storage.legacyBucketOwner", Members: []string{"projectEditor:acme-prod"}})
			return g
		}(), "", map[string]string{"storage.objects.get": "missing", "storage.objects.list": "granted", "storage.objects.create": "granted", "storage.objects.delete": "granted"}, 2, nil},
		{"convenience member of another project", gsa, bucket(project(documented(), snapshot.IAMBinding{Role: "roles/editor", Members: []string{"serviceAccount:" + email}}),
			snapshot.IAMBinding{Role: "roles/storage.legacyBucketOwner", Members: []string{"projectEditor:other"}}), "", all("missing"), 1, nil},
		{"bucket policy unread, project grant decides", gsa, func() *snapshot.GCP {
			g := documented()
			delete(g.Policies, "buckets/backups")
			return g
		}(), "", all("granted"), 1, nil},
		{"bucket policy unread, no grant elsewhere", gsa, func() *snapshot.GCP {
			g := project(documented())
			delete(g.Policies, "buckets/backups")
			return g
		}(), "", all("unknown"), 0, nil},
		{"ancestry unread", gsa, func() *snapshot.GCP {
			g := project(documented())
			g.Ancestry = nil
			return g
		}(), "", all("unknown"), 0, nil},
		{"principal identifier on the bucket", ksa, bucket(project(documented()), objectAdmin(ksaPrincipal)), "", all("granted"), 0, nil},
		{"legacy spelling of the workload", ksa, bucket(project(documented()), objectAdmin("serviceAccount:"+pool+"[ctp-1/mxp-controller]")), "", all("granted"), 0, nil},
		{"namespace principal set", ksa, bucket(project(documented()), objectAdmin("principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"+pool+"/namespace/ctp-1")), "", all("granted"), 0, nil},
		{"another namespace", ksa, bucket(project(documented()), objectAdmin(strings.Replace(ksaPrincipal, "ctp-1", "ctp-2", 1))), "", all("missing"), 0, nil},
		{"another project's number", ksa, bucket(project(documented()), objectAdmin(strings.Replace(ksaPrincipal, "123456789012", "999", 1))), "", all("missing"), 0, nil},
		{"cluster principal set", ksa, bucket(project(documented()), objectAdmin("principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"+pool+"/kubernetes.cluster/https://container.googleapis.com/v1/projects/acme-prod/locations/us-central1/clusters/spaces")), "", all("granted"), 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := analyse(t, tc.s, tc.g, tc.prefix)
			if got := statuses(a); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("needs %v, want %v\n%+v", got, tc.want, a.Needs)
			}
			if len(a.Excess) != tc.excess {
				t.Fatalf("excess %+v, want %d", a.Excess, tc.excess)
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestImpersonation(t *testing.T) {
	wiu := func(members ...string) *snapshot.IAMPolicy {
		return &snapshot.IAMPolicy{Version: 1, Bindings: []snapshot.IAMBinding{{Role: WorkloadIdentityUser, Members: members}}}
	}
	legacy := "serviceAccount:" + pool + "[ctp-1/mxp-controller]"
	cases := []struct {
		name                  string
		policy                *snapshot.IAMPolicy
		projectWIU            []string
		exact, broad, unknown int
		near                  []string
		unread                []string
	}{
		{"documented legacy member", wiu(legacy), nil, 1, 0, 0, []string{}, []string{}},
		{"principal identifier", wiu(ksaPrincipal), nil, 1, 0, 0, []string{}, []string{}},
		{"namespace set", wiu("principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/" + pool + "/namespace/ctp-1"), nil, 0, 1, 0, []string{}, []string{}},
		{"whole pool", wiu("principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/" + pool + "/*"), nil, 0, 1, 0, []string{}, []string{}},
		{"everyone", wiu("allAuthenticatedUsers"), nil, 0, 1, 0, []string{}, []string{}},
		{"another namespace", wiu("serviceAccount:" + pool + "[ctp-2/mxp-controller]"), nil, 0, 0, 0, []string{"serviceAccount:" + pool + "[ctp-2/mxp-controller]"}, []string{}},
		{"another service account", wiu("serviceAccount:" + pool + "[ctp-1/other-controller]"), nil, 0, 0, 0, []string{}, []string{}},
		{"typo", wiu("serviceAccount:" + pool + "[ctp-1/mxp-controler]"), nil, 0, 0, 0, []string{"serviceAccount:" + pool + "[ctp-1/mxp-controler]"}, []string{}},
		{"group", wiu("group:ops@acme.example"), nil, 0, 0, 1, []string{}, []string{}},
		{"project level", wiu(), []string{legacy}, 0, 1, 0, []string{}, []string{}},
		{"policy not read", nil, nil, 0, 0, 0, []string{}, []string{"serviceAccounts/" + email}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := documented()
			g.ServiceAccounts[email] = snapshot.GoogleServiceAccount{Email: email, Found: true, Policy: tc.policy}
			if tc.projectWIU != nil {
				pol := g.Policies["projects/acme-prod"]
				pol.Bindings = append(pol.Bindings, snapshot.IAMBinding{Role: WorkloadIdentityUser, Members: tc.projectWIU})
				g.Policies["projects/acme-prod"] = pol
			}
			r := Impersonation(map[string]Subject{"ctp-1/mxp-controller": ksa}, ImpersonationContext{Account: strings.ToUpper(email), GCP: g})["ctp-1/mxp-controller"]
			if len(r.Exact) != tc.exact || len(r.Broad) != tc.broad || len(r.Unknown) != tc.unknown || !reflect.DeepEqual(r.Near, tc.near) || !reflect.DeepEqual(r.Unread, tc.unread) {
				t.Fatalf("%+v", r)
			}
			if tc.broad > 0 && r.Broad[0].Why == "" {
				t.Fatalf("a broad grant names its set: %+v", r.Broad)
			}
		})
	}
}

// The banded edit distance agrees with the full one within its bound.
func TestDistance(t *testing.T) {
	full := func(a, b string) int {
		d := make([][]int, len(a)+1)
		for i := range d {
			d[i] = make([]int, len(b)+1)
			d[i][0] = i
		}
		for j := range d[0] {
			d[0][j] = j
		}
		for i := 1; i <= len(a); i++ {
			for j := 1; j <= len(b); j++ {
				c := 1
				if a[i-1] == b[j-1] {
					c = 0
				}
				d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+c)
			}
		}
		return d[len(a)][len(b)]
	}
	words := []string{"", "a", "ab", "ba", "abc", "acb", "kitten", "sitting", "mxp-1-system", "mxp-1-sytem", "mxp-2-system", "system", "sytsem", "abcdef", "fedcba"}
	for _, a := range words {
		for _, b := range words {
			for bound := 0; bound <= 3; bound++ {
				want := min(full(a, b), bound+1)
				if got := distance(a, b, bound); got != want {
					t.Errorf("distance(%q, %q, %d) = %d, want %d", a, b, bound, got, want)
				}
			}
		}
	}
}

// Without a scan time, request.time is judged now: a grant that ended in
// 2001 is missing.
func TestNowWithoutScanTime(t *testing.T) {
	g := bucket(project(documented()), snapshot.IAMBinding{Role: "roles/storage.objectAdmin", Members: []string{"serviceAccount:" + email},
		Condition: &snapshot.IAMCondition{Expression: `request.time < timestamp("2001-01-01T00:00:00Z")`}})
	a := Analyze(map[string]Subject{"k": gsa}, Context{Bucket: "backups", Needs: needs, Now: "not a time", GCP: g})["k"]
	if got := statuses(a); !reflect.DeepEqual(got, all("missing")) {
		t.Errorf("needs %v", got)
	}
}
