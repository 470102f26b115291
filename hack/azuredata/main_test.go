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

// The Storage section of the permissions page becomes the operations
// list: actions before the DataAction header, data actions after, each
// once; other providers' sections and prose are not read.
func TestOperations(t *testing.T) {
	page := "# Azure permissions for Storage\n\n## Microsoft.ClassicStorage\n> | Microsoft.ClassicStorage/x/read | y |\n\n## Microsoft.Storage\n\nText.\n\n" +
		"> | Action | Description |\n> | --- | --- |\n> | Microsoft.Storage/storageAccounts/read | Returns |\n> | Microsoft.Storage/storageAccounts/read | List |\n" +
		"> | **DataAction** | **Description** |\n> | Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read | x |\n\n## Microsoft.StorageCache\n> | Microsoft.StorageCache/caches/read | z |\n"
	var out bytes.Buffer
	if err := operations(strings.NewReader(page), &out, "the page", "2026-12-06"); err != nil {
		t.Fatal(err)
	}
	body := out.String()[strings.LastIndex(out.String(), "#"):]
	body = body[strings.Index(body, "\n")+1:]
	if body != "action Microsoft.Storage/storageAccounts/read\ndata Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read\n" || !strings.Contains(out.String(), "Source: the page, read 2026-12-06") {
		t.Errorf("output:\n%s", out.String())
	}
	if err := operations(strings.NewReader("# nothing"), &out, "s", "d"); err == nil {
		t.Error("a page without the section was accepted")
	}
}
