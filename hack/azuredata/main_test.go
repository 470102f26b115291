package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Built-in roles are kept, sorted by ID, one a line, with nulls as empty
// lists; custom roles and the fields the analysis does not read are not.
func TestRun(t *testing.T) {
	in := `[{"name": "b", "roleName": "B", "roleType": "BuiltInRole", "description": "x", "permissions": [{"actions": ["*"], "notActions": null, "dataActions": [], "notDataActions": []}]},
	{"name": "c", "roleName": "Mine", "roleType": "CustomRole", "permissions": []},
	{"name": "a", "roleName": "A", "roleType": "BuiltInRole", "permissions": []}]`
	var out bytes.Buffer
	if err := run(strings.NewReader(in), &out, "src", "2026-12-06"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], `{"name":"a"`) || !strings.HasPrefix(lines[2], `{"name":"b"`) || strings.Contains(out.String(), "description") {
		t.Fatalf("output:\n%s", out.String())
	}
	var doc struct {
		Source, Date string
		Roles        []role
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Source != "src" || doc.Roles[1].Permissions[0].NotActions == nil {
		t.Fatalf("%v %+v", err, doc)
	}
	if err := run(strings.NewReader(in), &out, "", ""); err == nil {
		t.Error("no source and date accepted")
	}
}
