package report

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Results map as the PolicyReport API reads them: a failure is fail in its
// namespace's report, an unknown error, a waived finding skip with its
// waiver; a cloud finding without a namespace goes to the cluster's
// report; a control passes in each target namespace none of its findings
// concerns, and nowhere when one concerns the cluster or it does not
// apply.
func TestPolicyReportsMapping(t *testing.T) {
	r := hostileReport()
	r.Profiles = []ProfileSummary{{Name: "spaces-backup", Targets: 2, Namespaces: []string{"mxp-1-system", "mxp-2-system"}}}
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
			if got[key][res.Policy] != "" {
				got[key][res.Policy] += ","
			}
			got[key][res.Policy] += res.Result
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
		"ClusterPolicyReport ":      {"WI-AWS-003": "error", "ACME-001": "skip", "WI-K8S-001": "", "WI-AZ-001": ""},
		"PolicyReport default":      {"WI-K8S-013": "fail", "WI-K8S-001": ""},
		"PolicyReport mxp-1-system": {"WI-K8S-002": "fail", "WI-K8S-001": "pass", "WI-K8S-013": "pass", "WI-AWS-003": "", "ACME-001": "", "WI-AZ-001": ""},
		"PolicyReport mxp-2-system": {"WI-K8S-002": "pass", "WI-K8S-001": "pass", "WI-K8S-013": "pass", "WI-AWS-003": "", "ACME-001": "", "WI-AZ-001": ""},
	}
	if len(got) != len(want) {
		t.Errorf("reports %v, want %d", got, len(want))
	}
	for k, w := range want {
		for policy, result := range w {
			if got[k][policy] != result {
				t.Errorf("%s %s: %q, want %q (all: %v)", k, policy, got[k][policy], result, got)
			}
		}
	}
}

// With API openreports.io the objects are OpenReports' Report and
// ClusterReport, each naming wiscan as its source; an unknown API is
// refused with the ones accepted.
func TestPolicyReportsOpenReports(t *testing.T) {
	r := hostileReport()
	r.Profiles = []ProfileSummary{{Name: "spaces-backup", Targets: 1, Namespaces: []string{"mxp-1-system"}}}
	var b bytes.Buffer
	if err := (PolicyReports{W: &b, API: "openreports.io"}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, d := range strings.Split(b.String(), "---\n") {
		var o prObject
		if err := yaml.UnmarshalStrict([]byte(d), &o); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if o.APIVersion != OpenReportsAPIVersion || o.Source != "wiscan" {
			t.Errorf("%s %s: apiVersion %q, source %q", o.Kind, o.Metadata.Namespace, o.APIVersion, o.Source)
		}
		kinds[o.Metadata.Namespace] = o.Kind
	}
	if want := map[string]string{"": "ClusterReport", "default": "Report", "mxp-1-system": "Report"}; !maps.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	err := (PolicyReports{W: &b, API: "policy.example.com"}).Write(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), `"policy.example.com": want one of wgpolicyk8s.io, openreports.io`) {
		t.Errorf("unknown API: %v", err)
	}
}
