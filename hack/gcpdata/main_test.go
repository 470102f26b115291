package main

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
)

// Predefined roles are kept with their storage permissions only, sorted;
// a role without any is listed alone; deleted and custom roles are not.
func TestRun(t *testing.T) {
	dir := fstest.MapFS{
		"b.json":    {Data: []byte(`{"name": "roles/b", "includedPermissions": ["storage.objects.list", "iam.roles.get", "storage.objects.get"]}`)},
		"a.json":    {Data: []byte(`{"name": "roles/a", "includedPermissions": ["compute.instances.get"]}`)},
		"gone.json": {Data: []byte(`{"name": "roles/gone", "deleted": true, "includedPermissions": ["storage.objects.get"]}`)},
		"mine.json": {Data: []byte(`{"name": "projects/p/roles/mine", "includedPermissions": ["storage.objects.get"]}`)},
		"README.md": {Data: []byte(`not a role`)},
	}
	var out bytes.Buffer
	if err := run(dir, &out, "src", "2026-12-06"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "# Source: src\n# Date: 2026-12-06\nroles/a\nroles/b storage.objects.get storage.objects.list\n") || strings.Contains(got, "gone") || strings.Contains(got, "mine") {
		t.Fatalf("output:\n%s", got)
	}
	if err := run(fstest.MapFS{"x.json": {Data: []byte(`{`)}}, &out, "src", "d"); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Fatalf("malformed role: %v", err)
	}
	if err := run(dir, &out, "", "d"); err == nil {
		t.Fatal("no source accepted")
	}
}
