package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Results map as the PolicyReport API reads them: a failure is fail in its
// namespace's report, an unknown error, a waived finding skip with its
// waiver; a cloud finding without a namespace goes to the cluster's
// report; a control that passed passes in every target namespace.
func TestPolicyReportsMapping(t *testing.T) {
	r := hostileReport()
	r.Profiles = []ProfileSummary{{Name: "spaces-backup", Targets: 1, Namespaces: []string{"mxp-1-system"}}}
	r.Controls = append(r.Controls, ControlResult{Control: Control{ID: "WI-K8S-001", Title: "SA", Severity: High, Package: "wiscan.k8s.service_account"}, Status: Pass})
	var b bytes.Buffer
	if err := (PolicyReports{W: &b}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(b.String(), "---\n")
	got := map[string]map[string]string{}
	for _, d := range docs {
		var o prObject
		if err := yaml.UnmarshalStrict([]byte(d), &o); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if o.APIVersion != PolicyReportAPIVersion || o.Metadata.Name != "wiscan" {
			t.Errorf("object %+v", o.Metadata)
		}
		key := o.Kind + " " + o.Metadata.Namespace
		got[key] = map[string]string{}
		n := 0
		for _, res := range o.Results {
			got[key][res.Policy] = res.Result
			n++
			if res.Result == "skip" && res.Properties["waiver"] != "agreed with the house" {
				t.Errorf("skip without its waiver: %+v", res)
			}
		}
		if o.Summary["pass"]+o.Summary["fail"]+o.Summary["error"]+o.Summary["skip"] != n {
			t.Errorf("%s: summary %v for %d results", key, o.Summary, n)
		}
	}
	want := map[string]map[string]string{
		"ClusterPolicyReport ":      {"WI-AWS-003": "error", "ACME-001": "skip"},
		"PolicyReport default":      {"WI-K8S-013": "fail"},
		"PolicyReport mxp-1-system": {"WI-K8S-002": "fail", "WI-K8S-001": "pass"},
	}
	for k, w := range want {
		for policy, result := range w {
			if got[k][policy] != result {
				t.Errorf("%s %s: %q, want %q (all: %v)", k, policy, got[k][policy], result, got)
			}
		}
	}
}
