package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Every format in the table renders a report with its finding in it, is
// found by its name in any case, and is named in the help; an unknown
// name is not found.
func TestFormatsTable(t *testing.T) {
	r := Report{
		Tool:     Tool{Name: "wiscan", Version: "v1"},
		Findings: []Finding{{ControlID: "WI-X-001", Status: Fail, Severity: High, Message: "no binding", Resource: Resource{Kind: "ServiceAccount", Namespace: "ns", Name: "sa"}}},
		Summary:  Summary{Controls: map[Status]int{Fail: 1}, Findings: map[Severity]int{High: 1}},
	}
	seen := map[string]bool{}
	for _, f := range Formats() {
		if seen[f.Name] || f.Help == "" || f.New == nil {
			t.Errorf("format %q: a unique name, help and a writer are required", f.Name)
		}
		seen[f.Name] = true
		var b bytes.Buffer
		if err := f.New(&b, Options{FailOn: High}).Write(context.Background(), r); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		// Metrics count findings by control; they carry no message.
		withMessage := f.Name != "prometheus"
		if !strings.Contains(b.String(), "WI-X-001") || (withMessage && !strings.Contains(b.String(), "no binding")) {
			t.Errorf("%s does not render the finding:\n%s", f.Name, b.String())
		}
		if got, ok := LookupFormat(" " + strings.ToUpper(f.Name)); !ok || got.Name != f.Name {
			t.Errorf("LookupFormat(%q) = %q, %v", strings.ToUpper(f.Name), got.Name, ok)
		}
		if !strings.Contains(FormatHelp(), f.Name+" (") {
			t.Errorf("help %q does not name %s", FormatHelp(), f.Name)
		}
	}
	if _, ok := LookupFormat("yaml"); ok {
		t.Error("yaml found")
	}
	var b bytes.Buffer
	if err := (JSON{W: &b}).Write(context.Background(), r); err != nil || !json.Valid(b.Bytes()) {
		t.Errorf("json writer: %v, valid %v", err, json.Valid(b.Bytes()))
	}
}
