package hostile

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scanBundle scans the shipped broken Space and returns its JSON report's
// path.
func scanBundle(t *testing.T) string {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	if code, out := run(t, "scan", "--evidence", "../../testdata/evidence/broken-space", "-o", "json="+report); code != 1 {
		t.Fatalf("scan exit %d: %s", code, out)
	}
	return report
}

// forge rewrites a report's findings with edit, which sees each finding
// with a fix as a generic JSON object.
func forge(t *testing.T, report string, edit func(i int, fix map[string]any, f map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(report) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, f := range r["findings"].([]any) {
		f := f.(map[string]any)
		if fix, ok := f["fix"].(map[string]any); ok && f["status"] == "fail" {
			edit(i, fix, f)
			i++
		}
	}
	b, _ = json.Marshal(r)
	out := filepath.Join(t.TempDir(), "forged.json")
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// A report is a file that travels: one whose names would become options
// of kubectl or aws (a --kubeconfig whose credential plugin runs a
// command, --all, --server) is refused whole, exit 2, naming each
// finding's key and field and never the value, and no script is written.
func TestPlanRefusesSteeringNames(t *testing.T) {
	evil := "--kubeconfig=" + filepath.Join(t.TempDir(), "evil-kubeconfig")
	forged := forge(t, scanBundle(t), func(i int, fix, f map[string]any) {
		switch i {
		case 0:
			fix["namespace"] = evil
		case 1:
			fix["name"] = "--all"
		case 2:
			f["key"] = f["key"].(string) + "\u202e"
			fix["name"] = "a b"
		}
	})
	plan := filepath.Join(t.TempDir(), "plan.sh")
	code, out := run(t, "plan", forged, "-o", plan)
	if code != 2 {
		t.Fatalf("plan exit %d, want 2: %s", code, out)
	}
	if _, err := os.Stat(plan); err == nil {
		t.Error("a script was written")
	}
	if strings.Contains(out, evil) || strings.Contains(out, "--all") || strings.Contains(out, "\u202e") {
		t.Errorf("the refusal quotes a value or a raw format character:\n%s", out)
	}
	for _, want := range []string{"fix.namespace: not ", "fix.name: not an ", `\u202e: fix.name: not `} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "finding WI-"); n != 3 {
		t.Errorf("%d findings named, want 3:\n%s", n, out)
	}
}

// A report in which an object names a key twice is refused, naming the
// line and the key: two readers would plan different changes.
func TestPlanRefusesDuplicateKeys(t *testing.T) {
	b, err := os.ReadFile(scanBundle(t)) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(b), `"schemaVersion":`, "\"findings\": [],\n  \"schemaVersion\":", 1)
	p := filepath.Join(t.TempDir(), "dup.json")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil { //nolint:gosec // G703: a path under the test's temporary folder
		t.Fatal(err)
	}
	code, out := run(t, "plan", p)
	if code != 2 || !strings.Contains(out, `names key "findings" twice`) || !regexp.MustCompile(`line \d+: `).MatchString(out) {
		t.Errorf("plan exit %d: %s", code, out)
	}
}

// options are the options a plan gives kubectl and aws, each joined to
// its value; words are the subcommands.
var (
	options = regexp.MustCompile(`^--(namespace|type|patch|overwrite|from|cluster-name|service-account|role-arn|role-name|policy-name|policy-document)(=|$)`)
	words   = []string{"patch", "annotate", "label", "rollout", "restart", "create", "job", "eks", "iam", "create-pod-identity-association", "put-role-policy"}
)

// runPlan runs a plan's script against stand-in kubectl and aws that
// record their argument vectors (the tool's name first, NUL-separated,
// one call a line) in the file it returns.
func runPlan(t *testing.T, dir, plan string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o750); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	stub := "#!/bin/sh\nprintf '%s\\0' \"$(basename \"$0\")\" \"$@\" >> '" + log + "'\nprintf '\\n' >> '" + log + "'\n"
	for _, tool := range []string{"kubectl", "aws"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(stub), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), "sh", plan) //nolint:gosec // G204: the plan the test made
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh plan.sh: %v\n%s", err, out)
	}
	return log
}

// The plan of a valid report runs against stand-in kubectl and aws that
// record their argument vectors: every word before "--" that begins with
// "-" is one of the plan's own options with its value joined to it, every
// other word there is a subcommand or a Job's name, and the report's names
// come only as option values or after "--", where no tool reads an
// option.
func TestPlanArgumentsCannotBeSteered(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.sh")
	if code, out := run(t, "plan", scanBundle(t), "-o", plan); code != 0 {
		t.Fatalf("plan exit %d: %s", code, out)
	}
	log := runPlan(t, dir, plan)
	calls, err := os.ReadFile(log) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(calls), "\x00\n"), "\x00\n")
	if len(lines) < 3 {
		t.Fatalf("%d calls; the bundle's report has more fixes", len(lines))
	}
	for _, l := range lines {
		argv := strings.Split(l, "\x00")
		before := argv[1:]
		if i := slices.Index(before, "--"); i >= 0 {
			before = before[:i]
		}
		for i, a := range before {
			switch {
			case strings.HasPrefix(a, "-"):
				if !options.MatchString(a) {
					t.Errorf("%s: %q is not one of the plan's options", argv[0], a)
				}
			case slices.Contains(words, a):
			case argv[0] == "kubectl" && i == 2 && before[0] == "create" && strings.HasSuffix(a, "-rebound"):
			default:
				t.Errorf("%s: %q stands before -- as a positional argument: %q", argv[0], a, argv)
			}
		}
	}
}

// Values read from the cluster reach a plan made from the state: the value
// a patch tests first is whatever the scan read. A backup configuration
// whose region holds quotes, command substitutions and backquotes around
// its white space gets a patch that carries them as text: the script runs
// against a stand-in kubectl, nothing it names is run, and kubectl
// receives the JSON patch with the exact value read and the value trimmed.
func TestStatePlanValuesStayText(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	bundle := filepath.Join(dir, "bundle")
	if out, err := exec.CommandContext(t.Context(), "cp", "-r", "../../testdata/evidence/broken-space", bundle).CombinedOutput(); err != nil { //nolint:gosec // G204: cp of the shipped bundle into the test's folder
		t.Fatalf("cp: %v %s", err, out)
	}
	region := " us-east-1'$(touch " + pwned + ")`touch " + pwned + "`\"\\ "
	cfg := filepath.Join(bundle, "sharedbackupconfig.yaml")
	b, err := os.ReadFile(cfg) //nolint:gosec // G304: the test's copy
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(region)
	b = []byte(strings.Replace(string(b), `region: " us-east-1"`, "region: "+string(quoted), 1))
	if err := os.WriteFile(cfg, b, 0o600); err != nil { //nolint:gosec // G703: the test's copy
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.sh")
	if code, out := run(t, "plan", "--evidence", bundle, "-o", plan); code != 0 {
		t.Fatalf("plan exit %d: %s", code, out)
	}
	log := runPlan(t, dir, plan)
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a value from the cluster ran as a command")
	}
	calls, err := os.ReadFile(log) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := json.Marshal([]map[string]string{
		{"op": "test", "path": "/spec/objectStorage/config/region", "value": region},
		{"op": "replace", "path": "/spec/objectStorage/config/region", "value": strings.TrimSpace(region)},
	})
	want := "kubectl\x00patch\x00--namespace=default\x00--type=json\x00--patch=" + string(ops) + "\x00--\x00sharedbackupconfigs.spaces.upbound.io\x00default\x00\n"
	if !strings.Contains(string(calls), want) {
		t.Errorf("kubectl did not receive the patch with the exact values:\n%q\nwant a call\n%q", calls, want)
	}
}
