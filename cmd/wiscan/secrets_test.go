package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No output of any command, at any log level, holds a Secret value of the
// bundle, in clear or base64. The bundle uses AWS's documented example key
// pair.
func TestSecretValuesNeverLeave(t *testing.T) {
	values := []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "not a real key"}
	var forms []string
	for _, v := range values {
		forms = append(forms, v, base64.StdEncoding.EncodeToString([]byte(v)))
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.json")
	var outputs []string
	for _, args := range [][]string{
		{"scan", "--evidence", bundle, "--log-level", "debug", "--format", "table", "--format", "json=" + filepath.Join(dir, "r.json")},
		{"scan", "--evidence", bundle, "--log-level", "debug", "--log-format", "json", "--format", "json"},
		{"collect", "--evidence", bundle, "--log-level", "debug", "-o", snap},
	} {
		_, out, errOut := wiscan(t, args...)
		outputs = append(outputs, out, errOut)
	}
	for _, f := range []string{snap, filepath.Join(dir, "r.json")} {
		b, err := os.ReadFile(f) //nolint:gosec // G304: a file the test itself wrote or ships
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	for i, out := range outputs {
		for _, v := range forms {
			if strings.Contains(out, v) {
				t.Errorf("output %d holds a secret value (%d chars)", i, len(v))
			}
		}
	}
	// The findings still identify the key, redacted.
	if !strings.Contains(outputs[0], "AKIA…MPLE") {
		t.Error("the table lacks the redacted fingerprint AKIA…MPLE")
	}
}
