package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/test/azureapi"
)

// azureBundle is a Space of three control planes on AKS, exported with
// kubectl and az (testdata/evidence/azure-space.md says what is broken).
const azureBundle = "../../testdata/evidence/azure-space"

// The Azure Space gives exactly the findings its README lists, each on its
// object: the second control plane's credential replaced through the
// documented name and its missing pod label, the grant at resource-group
// scope, and the storage account's shared-key access.
func TestScanAzureEvidenceGolden(t *testing.T) {
	spaceGolden(t, azureBundle, "azure-space", azureapi.SpaceFindings(), func(name string) string { return name[strings.LastIndex(name, "/")+1:] })
}

// spaceGolden scans a shipped Space's bundle: the table and the JSON
// report match their golden files, and the failures (as "status control
// kind namespace name", the name as short shows it) are exactly want.
func spaceGolden(t *testing.T, bundle, name string, want []string, short func(string) string) {
	t.Helper()
	code, table, stderr := wiscan(t, "scan", "--evidence", bundle)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFindings, stderr)
	}
	golden(t, name+".table.txt", table)
	out := filepath.Join(t.TempDir(), "report.json")
	if code, _, stderr = wiscan(t, "scan", "--evidence", bundle, "-o", "json="+out, "--fail-on", "none"); code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr)
	}
	b, err := os.ReadFile(out) //nolint:gosec // G304: a file the test itself wrote
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name+".report.json", string(b))
	var r struct {
		Findings []struct {
			ControlID string `json:"controlId"`
			Status    string `json:"status"`
			Resource  struct {
				Kind, Namespace, Name string
			} `json:"resource"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Status+" "+f.ControlID+" "+f.Resource.Kind+" "+f.Resource.Namespace+" "+short(f.Resource.Name))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
