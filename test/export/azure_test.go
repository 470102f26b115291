// Package export runs the evidence export scripts against stand-in CLIs
// that record every call and answer as the real ones print, and checks
// what the scripts write: the bundle a scan reads, and nothing a hostile
// name could steer.
package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/wiscan/wiscan/test/azureapi"
)

const bundle = "../../testdata/evidence/azure-space"

// kubeJSON writes a bundle's Kubernetes files into out as
// export-evidence.sh writes them (JSON, one file a kind), with annotate
// applied to the service accounts.
func kubeJSON(t *testing.T, bundle, out string, files []string, annotate func(string) string) {
	t.Helper()
	for _, src := range files {
		b, err := os.ReadFile(filepath.Join(bundle, src)) //nolint:gosec // G304: the shipped bundle
		if err != nil {
			t.Fatal(err)
		}
		var docs []any
		for _, part := range strings.Split(string(b), "\n---\n") {
			var v any
			if err := yaml.Unmarshal([]byte(part), &v); err != nil {
				t.Fatal(err)
			}
			docs = append(docs, v)
		}
		v := docs[0]
		if len(docs) > 1 {
			v = map[string]any{"apiVersion": "v1", "kind": "List", "items": docs}
		}
		j, _ := json.Marshal(v)
		if src == "serviceaccounts.yaml" && annotate != nil {
			j = []byte(annotate(string(j)))
		}
		dst := strings.TrimSuffix(src, ".yaml") + ".json"
		if src == "sharedbackupconfig.yaml" {
			dst = "sharedbackupconfigs.json"
		}
		if err := os.WriteFile(filepath.Join(out, dst), j, 0o600); err != nil { //nolint:gosec // G703: under the test's folder
			t.Fatal(err)
		}
	}
}

// stage writes a stand-in CLI named tool and an OUT_DIR holding the
// bundle's Kubernetes files as export-evidence.sh writes them (JSON).
func stage(t *testing.T, tool, standIn, bundle string, files []string, annotate func(string) string) (out, log, bin string) {
	t.Helper()
	dir := t.TempDir()
	bin, out, log = filepath.Join(dir, "bin"), filepath.Join(dir, "out"), filepath.Join(dir, "calls")
	for _, d := range []string{bin, out} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, tool), []byte(standIn), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
		t.Fatal(err)
	}
	kubeJSON(t, bundle, out, files, annotate)
	return out, log, bin
}

// export runs a shipped export script into out, with the stand-ins in
// bin first on the PATH and env for them; it returns the exit status and
// what the script printed on stderr.
func export(t *testing.T, script, out, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), "bash", append([]string{"../../scripts/" + script, out}, args...)...) //nolint:gosec // G204: the shipped script
	cmd.Env = append(append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH")), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// setup stages the Azure Space with the stand-in az.
func setup(t *testing.T, annotate func(string) string) (out, log, bin string) {
	t.Helper()
	return stage(t, "az", azureapi.StandInAz, bundle, []string{"serviceaccounts.yaml", "sharedbackupconfig.yaml", "namespaces.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml"}, annotate)
}

func runScript(t *testing.T, out, log, bin string, args ...string) (int, string) {
	t.Helper()
	abs, _ := filepath.Abs(bundle)
	return export(t, "export-azure-evidence.sh", out, bin, []string{"AZ_LOG=" + log, "AZ_BUNDLE=" + abs}, args...)
}

func calls(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log) //nolint:gosec // G304: the test's own log
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\x00\n"), "\x00\n") {
		out = append(out, strings.Split(l, "\x00"))
	}
	return out
}

// The script makes exactly the read-only calls the README lists, with
// the --query wrappers wiscan reads, and writes a bundle that a scan
// reads as the shipped one: the same findings.
func TestAzureExport(t *testing.T) {
	out, log, bin := setup(t, nil)
	if code, stderr := runScript(t, out, log, bin, "--resource-group", "spaces", "--cluster", "spaces"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var verbs []string
	for _, c := range calls(t, log) {
		verbs = append(verbs, strings.Join(c[:3], " "))
		for _, a := range c {
			if slices.Contains([]string{"create", "delete", "update", "put", "patch", "--method=put"}, a) {
				t.Errorf("a call that writes: %q", c)
			}
		}
		if c[0] == "rest" && !slices.Equal(c[1:3], []string{"--method", "get"}) {
			t.Errorf("az rest not a GET: %q", c)
		}
	}
	want := []string{"aks show --resource-group", "account show --query", "identity list --subscription", "identity federated-credential list",
		"role assignment list", "role definition list", "rest --method get", "storage account show"}
	if !slices.Equal(verbs, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(verbs, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range []string{"az/aks.json", "az/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json",
		"az/identities/backup-restore-identity/federated-credentials.json", "az/identities/backup-restore-identity/role-assignments.json",
		"az/identities/backup-restore-identity/deny-assignments.json", "az/role-definitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe.json",
		"az/storage-accounts/spacesbackups.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("not written: %s", f)
		}
	}
	if got, want := findings(t, out), findings(t, bundle); got != want {
		t.Errorf("the exported bundle's findings:\n%s\nthe shipped bundle's:\n%s", got, want)
	}
}

// A client ID that is no Azure ID never reaches a call, a query or a
// path: the script refuses it, says so and exits 1; the canary file its
// command substitution would create is never made.
func TestAzureExportRefusesHostileNames(t *testing.T) {
	canary := filepath.Join(t.TempDir(), "pwned")
	hostile := "x'$(touch " + canary + ")"
	out, log, bin := setup(t, func(j string) string {
		return strings.Replace(j, "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e", strings.ReplaceAll(hostile, "'", `\u0027`), 1)
	})
	code, stderr := runScript(t, out, log, bin, "--resource-group", "spaces", "--cluster", "spaces")
	if code != 1 || !strings.Contains(stderr, "refusing client ID: not an Azure name or ID") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a name ran a command")
	}
	for _, c := range calls(t, log) {
		if strings.Contains(strings.Join(c, " "), "touch") {
			t.Errorf("a hostile name reached az: %q", c)
		}
	}
	if code, _ := runScript(t, out, log, bin, "--cluster", "spaces"); code != 2 {
		t.Errorf("without --resource-group: exit %d, want 2", code)
	}
}

// findings scans a bundle and lists its findings, one a line.
func findings(t *testing.T, dir string) string {
	t.Helper()
	report := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.CommandContext(context.Background(), "go", "run", "../../cmd/wiscan", "scan", "--evidence", dir, "-o", "json="+report, "--fail-on", "none") //nolint:gosec // G204: the project's own command
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scan %s: %v\n%s", dir, err, b)
	}
	b, err := os.ReadFile(report) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			Key, Status string
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, f.Status+" "+f.Key)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// Debian's shellcheck finds nothing to warn about in the export scripts.
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is not installed (Debian's shellcheck; .ci/run installs it): %v", err)
	}
	scripts, _ := filepath.Glob("../../scripts/*.sh")
	if len(scripts) < 3 {
		t.Fatalf("scripts: %v", scripts)
	}
	if out, err := exec.CommandContext(context.Background(), sc, append([]string{"--severity=warning"}, scripts...)...).CombinedOutput(); err != nil { //nolint:gosec // G204: Debian's shellcheck on the shipped scripts
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// Debian's azure-cli parses every call the export script makes and every
// az step a plan writes: with no login, a call whose arguments parse ends
// asking for az login (exit 1), and one whose arguments do not is refused
// as a usage error (exit 2) before that. The recording stand-in checks
// what is called; the real CLI checks that it would be understood.
func TestRealAzParsesTheCalls(t *testing.T) {
	az, err := exec.LookPath("az")
	if err != nil {
		t.Fatalf("the Azure CLI is not installed (Debian's azure-cli; .ci/run installs it): %v", err)
	}
	out, log, bin := setup(t, nil)
	if code, stderr := runScript(t, out, log, bin, "--resource-group", "spaces", "--cluster", "spaces"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	calls := calls(t, log)
	// The plan's az steps for the shipped Space: a federated credential.
	plan := filepath.Join(t.TempDir(), "plan.sh")
	report := filepath.Join(t.TempDir(), "r.json")
	for _, args := range [][]string{{"scan", "--evidence", bundle, "-o", "json=" + report, "--fail-on", "none"}, {"plan", report, "-o", plan}} {
		if b, err := exec.CommandContext(context.Background(), "go", append([]string{"run", "../../cmd/wiscan"}, args...)...).CombinedOutput(); err != nil { //nolint:gosec // G204: the project's own command
			t.Fatalf("wiscan %s: %v\n%s", args[0], err, b)
		}
	}
	steps := 0
	b, _ := os.ReadFile(plan) //nolint:gosec // G304: the test's own plan
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "az ") {
			words, err := shellWords(l)
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, words[1:])
			steps++
		}
	}
	if steps == 0 {
		t.Fatalf("the plan has no az step:\n%s", b)
	}
	for _, c := range calls {
		cmd := exec.CommandContext(context.Background(), az, c...) //nolint:gosec // G204: Debian's az on the script's own arguments
		cmd.Env = append(os.Environ(), "AZURE_CONFIG_DIR="+t.TempDir(), "AZURE_CORE_COLLECT_TELEMETRY=false")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "az login") {
			t.Errorf("az %s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
}

// shellWords splits a plan's command line as sh does for the quoting a
// plan uses: words in single quotes (a quote written '\”) or bare.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, started := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case in && ch == '\'':
			in = false
		case in:
			cur.WriteByte(ch)
		case ch == '\'':
			in, started = true, true
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			started = true
		case ch == ' ':
			if started {
				words = append(words, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteByte(ch)
			started = true
		}
	}
	if in {
		return nil, errors.New("an unclosed quote")
	}
	if started {
		words = append(words, cur.String())
	}
	return words, nil
}
