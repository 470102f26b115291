package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wiscan/wiscan/snapshot"
)

// sarifTools is where make tools installs the SARIF validator from npm:
// Microsoft's SARIF multitool, which also ships SARIF 2.1.0's JSON schema.
var sarifTools = filepath.Join("..", "test", "tools", "npm", "node_modules", "@microsoft", "sarif-multitool-linux")

func sarifToolPath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(sarifTools, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the SARIF validator is not installed (make tools, or npm ci in test/tools/npm): %v", err)
	}
	return p
}

// sarifReport is a report with every shape a SARIF log must carry: a
// failure from evidence and one from a live cluster, an unknown, a finding
// of a user policy the report lists no control for, and names that need
// escaping in a URI.
func sarifReport(mode string) Report {
	src := snapshot.Source{Mode: mode, Context: "arn:aws:eks:us-east-1:123456789012:cluster/spaces", Evidence: "bundle dir"}
	controls := []Control{
		{ID: "WI-K8S-002", Title: "Service account has a binding", Description: "d", Severity: High, Remediation: "Annotate it.", Package: "wiscan.k8s.identity_binding", RelatedResources: []string{"not a url", "https://docs.example.com/wi"}},
		{ID: "WI-AWS-003", Title: "Trust", Severity: Critical, Package: "wiscan.aws.irsa_trust_provider"},
		{ID: "WI-K8S-013", Title: "Settings", Severity: Medium, Package: "wiscan.k8s.backup_storage_settings"},
	}
	sa := Resource{Kind: "ServiceAccount", Namespace: "mxp-1-system", Name: "mxp controller#?", File: "sa dir/sa.yaml", Line: 7}
	if mode == "live" {
		sa.File, sa.Line = "", 0
	}
	role := Resource{Kind: "IAMRole", Name: "arn:aws:iam::123456789012:role/backup"}
	fs := []Finding{
		{ControlID: "WI-K8S-002", Status: Fail, Severity: High, Message: "no binding", Resource: sa, Profile: "spaces-backup", Cloud: "aws",
			Fix: &Fix{Action: Annotate, Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name, Key: "eks.amazonaws.com/role-arn"}},
		{ControlID: "WI-AWS-003", Status: Unknown, WouldBe: Critical, Message: "role not read", Resource: role, Cloud: "aws"},
		{ControlID: "WI-K8S-013", Status: Fail, Severity: Medium, Message: "white space", Resource: Resource{Kind: "SharedBackupConfig", Namespace: "default", Name: "default", File: "config.yaml", Line: 1}, Evidence: map[string]any{"field": "config.region"}},
		{ControlID: "ACME-001", Status: Fail, Severity: Low, Title: "House rule", Message: "house rule", Resource: Resource{Kind: "Namespace", Name: "mxp-1-system"},
			Waiver: &Waiver{Reason: "agreed with the house", Expires: "2027-01-01", Source: "waivers.yaml:4"}},
	}
	for i := range fs {
		fs[i].Key = FindingKey(fs[i].ControlID, fs[i].Resource, "")
		fs[i].Fingerprint = Fingerprint(fs[i].Key)
	}
	s := snapshot.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	s.Source = src
	s.Profiles = []snapshot.Profile{{Name: "spaces-backup", Targets: []string{"mxp-1-system"}}}
	r := New(Tool{Name: "wiscan", Version: "v1.2.3"}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), s, controls, fs, nil)
	r.Notes = []string{"profile spaces-billing matched no namespaces"}
	return r
}

func writeSARIF(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (SARIF{W: &b}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The log satisfies SARIF 2.1.0's schema, as shipped with Microsoft's
// validator, in both modes.
func TestSARIFSchema(t *testing.T) {
	f, err := os.Open(sarifToolPath(t, "sarif-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"evidence", "live"} {
		out := writeSARIF(t, sarifReport(mode))
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the log breaks the SARIF schema: %v", mode, err)
		}
	}
	// The schema is strict enough to catch what the writer must not do.
	bad := bytes.Replace(writeSARIF(t, sarifReport("live")), []byte(`"level": "warning"`), []byte(`"level": "medium"`), 1)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if sch.Validate(v) == nil {
		t.Error("a level SARIF does not define passed the schema")
	}
}

// What each finding becomes: its rule, kind, level, location and
// fingerprint.
func TestSARIFResults(t *testing.T) {
	for _, mode := range []string{"evidence", "live"} {
		var log sarifLog
		if err := json.Unmarshal(writeSARIF(t, sarifReport(mode)), &log); err != nil {
			t.Fatal(err)
		}
		run := log.Runs[0]
		if run.Tool.Driver.SemanticVersion != "1.2.3" {
			t.Errorf("semantic version %q", run.Tool.Driver.SemanticVersion)
		}
		if len(run.Tool.Driver.Rules) != 4 || run.Tool.Driver.Rules[3].ID != "ACME-001" || run.Tool.Driver.Rules[3].ShortDescription.Text != "House rule" {
			t.Fatalf("rules: want the three controls and the user policy's, got %+v", run.Tool.Driver.Rules)
		}
		if r := run.Tool.Driver.Rules[0]; r.Name != "IdentityBinding" || r.HelpURI != "https://docs.example.com/wi" || r.Properties.SecuritySeverity != "8.0" || r.DefaultConfiguration.Level != "error" {
			t.Errorf("rule WI-K8S-002: %+v", r)
		}
		if len(run.Results) != 4 {
			t.Fatalf("%d results, want one per finding", len(run.Results))
		}
		byRule := map[string]sarifResult{}
		for _, res := range run.Results {
			if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
				t.Errorf("%s: ruleIndex %d points at %s", res.RuleID, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID)
			}
			if res.PartialFingerprints[sarifFingerprint] != Fingerprint(res.Properties["key"].(string)) {
				t.Errorf("%s: fingerprint %v", res.RuleID, res.PartialFingerprints)
			}
			byRule[res.RuleID] = res
		}
		want := map[string][2]string{"WI-K8S-002": {"fail", "error"}, "WI-AWS-003": {"open", "none"}, "WI-K8S-013": {"fail", "warning"}, "ACME-001": {"fail", "note"}}
		for id, kl := range want {
			if res := byRule[id]; res.Kind != kl[0] || res.Level != kl[1] {
				t.Errorf("%s: kind %s level %s, want %s %s", id, res.Kind, res.Level, kl[0], kl[1])
			}
		}
		sa := byRule["WI-K8S-002"].Locations[0]
		wantURI, wantLine := "bundle%20dir/sa%20dir/sa.yaml", 7
		if mode == "live" {
			wantURI, wantLine = "live/arn:aws:eks:us-east-1:123456789012:cluster%2Fspaces/ServiceAccount/mxp-1-system/mxp%20controller%23%3F", 1
		}
		line := 0
		if sa.PhysicalLocation.Region != nil {
			line = sa.PhysicalLocation.Region.StartLine
		}
		if sa.PhysicalLocation.ArtifactLocation.URI != wantURI || line != wantLine || sa.PhysicalLocation.ArtifactLocation.URIBaseID != sarifSrcRoot {
			t.Errorf("%s: service account at %+v line %d, want %s line %d", mode, sa.PhysicalLocation.ArtifactLocation, line, wantURI, wantLine)
		}
		if sa.LogicalLocations[0].FullyQualifiedName != "ServiceAccount/mxp-1-system/mxp controller#?" {
			t.Errorf("logical location %+v", sa.LogicalLocations)
		}
		// The role has no file of its own in either mode.
		role := byRule["WI-AWS-003"].Locations[0].PhysicalLocation.ArtifactLocation.URI
		wantRole := map[string]string{
			"live":     "live/arn:aws:eks:us-east-1:123456789012:cluster%2Fspaces/IAMRole/_/arn:aws:iam::123456789012:role%2Fbackup",
			"evidence": "evidence/bundle%20dir/IAMRole/_/arn:aws:iam::123456789012:role%2Fbackup",
		}[mode]
		if role != wantRole {
			t.Errorf("%s: role at %s, want %s", mode, role, wantRole)
		}
		// A waived finding is an external suppression with its reason.
		if sup := byRule["ACME-001"].Suppressions; len(sup) != 1 || sup[0].Kind != "external" || sup[0].Justification != "agreed with the house (until 2027-01-01, waivers.yaml:4)" {
			t.Errorf("suppressions %+v", sup)
		}
		if len(byRule["WI-K8S-002"].Suppressions) != 0 {
			t.Error("an unwaived finding is suppressed")
		}
		if got := byRule["WI-AWS-003"].Properties["wouldBe"]; got != "critical" {
			t.Errorf("unknown keeps wouldBe critical, got %v", got)
		}
		if n := run.Invocations[0].Notifications; len(n) != 1 || !strings.Contains(n[0].Message.Text, "spaces-billing") {
			t.Errorf("notes: %+v", n)
		}
	}
}

// An absolute evidence folder gives file URIs.
func TestSARIFAbsoluteEvidence(t *testing.T) {
	got := evidenceLocation(snapshot.Source{Mode: "evidence", Evidence: "/srv/evidence"}, Resource{File: "a b.yaml", Line: 3})
	if got.ArtifactLocation.URI != "file:///srv/evidence/a%20b.yaml" || got.ArtifactLocation.URIBaseID != "" || got.Region.StartLine != 3 {
		t.Errorf("got %+v", got)
	}
}

// Microsoft's validator, with its SARIF rules and the rules of GitHub's
// code scanning ingestion, finds no error and no warning in either mode.
func TestSARIFValidator(t *testing.T) {
	tool := sarifToolPath(t, "Sarif.Multitool")
	dir := t.TempDir()
	for _, mode := range []string{"evidence", "live", "golden"} {
		in := filepath.Join(dir, mode+".sarif")
		if mode == "golden" {
			// The shipped bundle's log, as the CLI writes it.
			in = filepath.Join("..", "testdata", "golden", "broken-space.sarif")
		} else if err := os.WriteFile(in, writeSARIF(t, sarifReport(mode)), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, mode+".validation.sarif")
		cmd := exec.CommandContext(context.Background(), tool, "validate", in, "--rule-kind", "Sarif;Gh", "--level", "Error;Warning", "-o", out, "--log", "ForceOverwrite") //nolint:gosec // G204: the validator the tests install
		cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: validator: %v\n%s", mode, err, msg)
		}
		b, err := os.ReadFile(out) //nolint:gosec // G304: the test's own temporary file
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Runs []struct {
				Results []struct {
					RuleID  string `json:"ruleId"`
					Level   string `json:"level"`
					Message struct {
						Arguments []string `json:"arguments"`
					} `json:"message"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Runs[0].Results {
			if mode == "golden" && r.RuleID == "SARIF2005" && slices.Contains(r.Message.Arguments, "dev") {
				// A development build has no version number to give.
				continue
			}
			t.Errorf("%s: %s %s: %q", mode, r.Level, r.RuleID, r.Message.Arguments)
		}
	}
	// The validator is not silent: a result without a location, which
	// code scanning refuses, is an error.
	var log map[string]any
	if err := json.Unmarshal(writeSARIF(t, sarifReport("live")), &log); err != nil {
		t.Fatal(err)
	}
	delete(log["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any), "locations")
	b, _ := json.MarshalIndent(log, "", "  ")
	in := filepath.Join(dir, "bad.sarif")
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	msg, _ := exec.CommandContext(context.Background(), tool, "validate", in, "--rule-kind", "Sarif;Gh", "--level", "Error", "-o", filepath.Join(dir, "bad.out"), "--log", "ForceOverwrite").CombinedOutput() //nolint:gosec // G204: as above
	if !strings.Contains(string(msg), "GH1015") {
		t.Errorf("the validator let a result without locations pass:\n%s", msg)
	}
}
