package gcp

import (
	"strings"
	"testing"
	"time"
)

var scanTime = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func objects(prefix string) Request {
	return Request{Bucket: "backups", Prefix: prefix, Now: scanTime}
}

func listing(prefix string) Request {
	return Request{Bucket: "backups", Prefix: prefix, List: true, Now: scanTime}
}

// Each case states what the condition does to the workload's requests,
// and, where it refuses some, the object it refuses.
func TestDecide(t *testing.T) {
	const objs = "projects/_/buckets/backups/objects/"
	cases := []struct {
		name, expr string
		req        Request
		status     string
		witness    string
		why        string
	}{
		{"prefix covering the workload's", `resource.name.startsWith("` + objs + `cp/")`, objects("cp/ns1/"), "all", "", ""},
		{"prefix narrower than the workload's", `resource.name.startsWith("` + objs + `cp/ns1/")`, objects("cp/"), "refuses", "cp/x", ""},
		{"prefix of another bucket", `resource.name.startsWith("projects/_/buckets/other/")`, objects(""), "refuses", "x", ""},
		{"whole bucket", `resource.name.startsWith("projects/_/buckets/backups")`, objects(""), "all", "", ""},
		{"suffix excludes some names", `resource.name.endsWith(".tar.gz")`, objects("cp/"), "refuses", "cp/x", ""},
		{"suffix excluded: names ending in it are refused", `!resource.name.endsWith(".lock")`, objects(""), "refuses", "x.lock", ""},
		{"bucket or object type, objects", `resource.type == "storage.googleapis.com/Object" || resource.type == "storage.googleapis.com/Bucket"`, objects(""), "all", "", ""},
		{"bucket type only, objects", `resource.type == "storage.googleapis.com/Bucket"`, objects(""), "refuses", "x", ""},
		{"bucket type only, listing", `resource.type == "storage.googleapis.com/Bucket"`, listing(""), "all", "", ""},
		{"service", `resource.service == "storage.googleapis.com"`, objects(""), "all", "", ""},
		{"listing confined to the workload's prefix", `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("cp/")`, listing("cp/ns1/"), "all", "", ""},
		{"listing confined to another prefix", `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("other/")`, listing("cp/"), "refuses", "", ""},
		{"name test on a listing: the bucket's name", `resource.name == "projects/_/buckets/backups"`, listing(""), "all", "", ""},
		{"the usual pair: listing or objects under a prefix", `resource.type == "storage.googleapis.com/Bucket" || resource.name.startsWith("` + objs + `cp/")`, objects("cp/"), "all", "", ""},
		{"tag", `resource.matchTag("123/env", "prod")`, objects(""), "unknown", "", "resource.matchTag"},
		{"tag, irrelevant: prefix refuses whatever the tag", `resource.matchTag("123/env", "prod") && resource.name.startsWith("` + objs + `a/")`, objects(""), "refuses", "x", ""},
		{"tag, irrelevant: type admits whatever the tag", `resource.matchTag("123/env", "prod") || resource.service == "storage.googleapis.com"`, objects(""), "all", "", ""},
		{"other API attribute", `api.getAttribute("iam.googleapis.com/modifiedGrantsByRole", []).hasValue`, objects(""), "unknown", "", ""},
		{"equality with one object", `resource.name == "` + objs + `cp/a"`, objects("cp/"), "refuses", "cp/x", ""},
		{"inequality with one object", `resource.name != "` + objs + `cp/a"`, objects("cp/"), "refuses", "cp/a", ""},
		{"contains", `resource.name.contains("/objects/cp/")`, objects("cp/"), "all", "", ""},
		{"extract is not decided", `resource.name.extract("/objects/{name}").startsWith("cp/")`, objects(""), "unknown", "", "resource.name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCondition(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			v := c.Decide(tc.req)
			if v.Status != tc.status {
				t.Fatalf("status %q, want %q (%+v)", v.Status, tc.status, v)
			}
			if tc.status == "refuses" && tc.witness != "" {
				if !strings.HasPrefix(v.Witness, tc.req.Prefix) {
					t.Fatalf("witness %q is not under the prefix %q", v.Witness, tc.req.Prefix)
				}
				// The witness must be refused by the condition itself.
				name := "projects/_/buckets/backups/objects/" + v.Witness
				if holds(t, tc.expr, name) {
					t.Fatalf("witness %q is admitted by %s", v.Witness, tc.expr)
				}
				if tc.witness != v.Witness && !strings.HasPrefix(v.Witness, tc.witness[:len(tc.witness)-1]) {
					t.Fatalf("witness %q, want like %q", v.Witness, tc.witness)
				}
			}
			if tc.why != "" && !strings.Contains(v.Why, tc.why) {
				t.Fatalf("why %q, want it to name %q", v.Why, tc.why)
			}
		})
	}
}

// holds evaluates a name-only condition on one object name with cel-go.
func holds(t *testing.T, expr, name string) bool {
	t.Helper()
	e, err := env()
	if err != nil {
		t.Fatal(err)
	}
	a, iss := e.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	p, err := e.Program(a)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Eval(map[string]any{
		"resource": map[string]any{"name": name, "type": "storage.googleapis.com/Object", "service": "storage.googleapis.com"},
		"request":  map[string]any{"time": scanTime}, "api": map[string]any{},
	})
	if err != nil {
		// A tag function has no implementation: such a case is decided
		// without evaluating it.
		return false
	}
	return out.Value().(bool)
}

// request.time is judged at the scan time, and the verdict says when it
// changes.
func TestDecideTime(t *testing.T) {
	c, err := ParseCondition(`request.time < timestamp("2027-01-01T00:00:00Z")`)
	if err != nil {
		t.Fatal(err)
	}
	v := c.Decide(objects(""))
	if v.Status != "all" || !v.AtScanTime || v.ChangesAt != "2027-01-01T00:00:00Z" {
		t.Fatalf("before expiry: %+v", v)
	}
	c, _ = ParseCondition(`request.time < timestamp("2026-01-01T00:00:00Z")`)
	v = c.Decide(objects("cp/"))
	if v.Status != "refuses" || !v.AtScanTime || v.ChangesAt != "" || !strings.HasPrefix(v.Witness, "cp/") {
		t.Fatalf("expired: %+v", v)
	}
	c, _ = ParseCondition(`request.time.getHours("Europe/Berlin") >= 9 && request.time.getHours("Europe/Berlin") < 17`)
	if v = c.Decide(objects("")); v.Status != "all" || !v.AtScanTime {
		t.Fatalf("office hours at 13:00 in Berlin: %+v", v)
	}
}

// Every attribute and function IAM offers is declared: a valid condition
// is never malformed; an invalid one is, with the compiler's reason.
func TestParseCondition(t *testing.T) {
	for _, ok := range []string{
		`resource.matchTagId("tagKeys/123", "tagValues/456")`,
		`resource.hasTagKey("123/env") && !resource.hasTagKeyId("tagKeys/9")`,
		`request.time.getDayOfWeek("America/New_York") > 0`,
		`resource.name.extract("projects/_/buckets/{bucket}/") == "backups"`,
		`api.getAttribute("storage.googleapis.com/objectListPrefix", "") == ""`,
		`inIpRange(origin.ip, "10.0.0.0/8")`,
	} {
		if _, err := ParseCondition(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{`resource.name.startsWith(`, `resource.name + 1`, `"a"`} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// Edges of the decision: an inequality with a name outside the needed
// objects always holds; a condition with more tests than wiscan combines
// is unknown, saying so, one test fewer is decided.
func TestDecideEdges(t *testing.T) {
	c, err := ParseCondition(`resource.name != "projects/_/buckets/other/objects/x"`)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Decide(objects("cp/")); v.Status != "all" {
		t.Errorf("inequality with another bucket's object: %+v", v)
	}
	tests := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, `resource.name.endsWith("`+strings.Repeat("z", i+1)+`")`)
		}
		return strings.Join(parts, " || ")
	}
	c, _ = ParseCondition(tests(maxFree + 1))
	if v := c.Decide(objects("")); v.Status != "unknown" || !strings.Contains(v.Why, "more than 16 tests") {
		t.Errorf("%d tests: %+v", maxFree+1, v)
	}
	c, _ = ParseCondition(tests(maxFree))
	if v := c.Decide(objects("")); v.Status != "refuses" {
		t.Errorf("%d tests: %+v", maxFree, v)
	}
}
