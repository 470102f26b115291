package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// The report APIs the writer speaks: the PolicyReport API of
// kubernetes-sigs/wg-policy-prototypes, as Kyverno, Kubescape and Policy
// Reporter read it (the default), and its successor, OpenReports.
const (
	PolicyReportAPIVersion = "wgpolicyk8s.io/v1alpha2"
	OpenReportsAPIVersion  = "openreports.io/v1alpha1"
)

// PolicyReportAPIs are the values --policyreport-api accepts: the API groups.
var PolicyReportAPIs = []string{"wgpolicyk8s.io", "openreports.io"}

// PolicyReportAPI is one report API: its version and the kinds of its
// namespaced and cluster reports, with their resource names.
type PolicyReportAPI struct {
	Group, Version            string
	Kind, ClusterKind         string
	Resource, ClusterResource string
}

// LookupPolicyReportAPI returns the report API of a group ("" is the default,
// wgpolicyk8s.io).
func LookupPolicyReportAPI(group string) (PolicyReportAPI, bool) {
	switch group {
	case "", "wgpolicyk8s.io":
		return PolicyReportAPI{Group: "wgpolicyk8s.io", Version: "v1alpha2", Kind: "PolicyReport", ClusterKind: "ClusterPolicyReport", Resource: "policyreports", ClusterResource: "clusterpolicyreports"}, true
	case "openreports.io":
		return PolicyReportAPI{Group: "openreports.io", Version: "v1alpha1", Kind: "Report", ClusterKind: "ClusterReport", Resource: "reports", ClusterResource: "clusterreports"}, true
	}
	return PolicyReportAPI{}, false
}

// APIVersion is the API's group/version.
func (a PolicyReportAPI) APIVersion() string { return a.Group + "/" + a.Version }

// PolicyReports writes the report as PolicyReport objects, a YAML stream
// for kubectl apply: one PolicyReport named wiscan per target namespace,
// and one ClusterPolicyReport named wiscan for what concerns no namespace
// (with API openreports.io: a Report and a ClusterReport).
// A finding on a namespaced object goes to its namespace's report; one on
// a cloud object (a role, an identity, a bucket) to the report of each
// namespace its evidence names, the cloud object among its resources, else
// to the cluster's. Results map as: fail → fail, unknown → error (with
// what is missing), waived → skip (with the waiver); a control that
// applies passes in each target namespace none of its findings concerns,
// unless one concerns the cluster as a whole.
type PolicyReports struct {
	W io.Writer
	// API is the report API's group; "" is wgpolicyk8s.io.
	API string
}

type prObject struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   prMeta         `json:"metadata"`
	Source     string         `json:"source,omitempty"`
	Summary    map[string]int `json:"summary"`
	Results    []prResult     `json:"results"`
}

type prMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels"`
}

type prResult struct {
	Source     string            `json:"source"`
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule,omitempty"`
	Category   string            `json:"category,omitempty"`
	Severity   string            `json:"severity,omitempty"`
	Result     string            `json:"result"`
	Resources  []prResource      `json:"resources,omitempty"`
	Message    string            `json:"message,omitempty"`
	Timestamp  prTimestamp       `json:"timestamp"`
	Properties map[string]string `json:"properties,omitempty"`
}

type prResource struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

type prTimestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

// apiVersions are the API versions of the Kubernetes kinds findings name;
// a cloud kind has none.
var apiVersions = map[string]string{
	"Namespace": "v1", "ServiceAccount": "v1", "Pod": "v1", "Secret": "v1", "Node": "v1",
	"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
	"Job": "batch/v1", "CronJob": "batch/v1",
	"SharedBackupConfig": "spaces.upbound.io/v1alpha1", "SpaceBackupConfig": "spaces.upbound.io/v1alpha1", "ControlPlane": "spaces.upbound.io/v1alpha1",
}

// Write implements Writer.
func (p PolicyReports) Write(_ context.Context, r Report) error {
	api, ok := LookupPolicyReportAPI(p.API)
	if !ok {
		return fmt.Errorf("report API %q: want one of %s", p.API, strings.Join(PolicyReportAPIs, ", "))
	}
	// Nanosecond is below 1e9, within an int32.
	ts := prTimestamp{Seconds: r.GeneratedAt.Unix(), Nanos: int32(r.GeneratedAt.Nanosecond())} //nolint:gosec // G115: see above
	reports := map[string]*prObject{}
	get := func(ns string) *prObject {
		if o, ok := reports[ns]; ok {
			return o
		}
		o := &prObject{APIVersion: api.APIVersion(), Kind: api.Kind,
			Metadata: prMeta{Name: "wiscan", Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "wiscan"}},
			Summary:  map[string]int{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}, Results: []prResult{}}
		if ns == "" {
			o.Kind = api.ClusterKind
		}
		if api.Group == "openreports.io" {
			o.Source = "wiscan"
		}
		reports[ns] = o
		return o
	}
	var targets []string
	for _, pr := range r.Profiles {
		targets = append(targets, pr.Namespaces...)
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	// The cluster's report and every target namespace's are written, even
	// empty, so that applying them replaces what an earlier scan left.
	get("")
	for _, ns := range targets {
		get(ns)
	}
	controls := map[string]ControlResult{}
	for _, c := range r.Controls {
		controls[c.ID] = c
	}
	found := map[string]map[string]bool{} // control → namespaces its findings concern
	for _, f := range r.Findings {
		c := controls[f.ControlID]
		res := prResult{
			Source: "wiscan", Policy: f.ControlID, Rule: c.Title, Category: category(c),
			Severity: string(cmpSeverity(f)), Message: f.Message, Timestamp: ts,
			Resources:  []prResource{{APIVersion: apiVersions[f.Resource.Kind], Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}},
			Properties: map[string]string{"key": f.Key, "fingerprint": f.Fingerprint},
		}
		switch {
		case f.Waiver != nil:
			res.Result = "skip"
			res.Properties["waiver"] = f.Waiver.Reason
			res.Properties["waiverSource"] = f.Waiver.Source
			if f.Waiver.Expires != "" {
				res.Properties["waiverExpires"] = f.Waiver.Expires
			}
		case f.Status == Unknown:
			res.Result = "error"
		default:
			res.Result = "fail"
		}
		if f.Cloud != "" {
			res.Properties["cloud"] = f.Cloud
		}
		for _, ns := range concerns(f) {
			o := get(ns)
			o.Results = append(o.Results, res)
			o.Summary[res.Result]++
			if found[f.ControlID] == nil {
				found[f.ControlID] = map[string]bool{}
			}
			found[f.ControlID][ns] = true
		}
	}
	// A control passes in every target namespace none of its findings
	// concerns, unless one concerns the cluster as a whole (and so every
	// namespace) or the control does not apply.
	for _, c := range r.Controls {
		if c.Status == NotApplicable || found[c.ID][""] {
			continue
		}
		for _, ns := range targets {
			if found[c.ID][ns] {
				continue
			}
			o := get(ns)
			o.Results = append(o.Results, prResult{Source: "wiscan", Policy: c.ID, Rule: c.Title, Category: category(c), Severity: string(c.Severity), Result: "pass", Timestamp: ts})
			o.Summary["pass"]++
		}
	}
	keys := make([]string, 0, len(reports))
	for ns := range reports {
		keys = append(keys, ns)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, ns := range keys {
		y, err := yaml.Marshal(reports[ns])
		if err != nil {
			return fmt.Errorf("write policy reports: %w", err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	_, err := io.WriteString(p.W, b.String())
	return err
}

func cmpSeverity(f Finding) Severity {
	if f.Status == Unknown && f.WouldBe != "" {
		return f.WouldBe
	}
	return f.Severity
}

// category is the part of the setup a control checks, from its package.
func category(c ControlResult) string {
	parts := strings.Split(c.Package, ".")
	if len(parts) > 1 {
		return "workload-identity/" + parts[1]
	}
	return "workload-identity"
}

// concerns are the namespaces whose report a finding goes to: its
// resource's, else the namespaces its evidence names, else none (the
// cluster's report).
func concerns(f Finding) []string {
	if f.Resource.Namespace != "" {
		return []string{f.Resource.Namespace}
	}
	ev, _ := f.Evidence.(map[string]any)
	var out []string
	switch v := ev["namespaces"].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, v...)
	}
	if s, ok := ev["namespace"].(string); ok && s != "" {
		out = append(out, s)
	}
	if len(out) == 0 {
		return []string{""}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
