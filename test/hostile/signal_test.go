package hostile

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interrupt starts wiscan, sends SIGINT once it is busy, and returns the
// exit code, how long it took to end after the signal, and its output.
func interrupt(t *testing.T, after time.Duration, args ...string) (int, time.Duration, string) {
	t.Helper()
	var out strings.Builder
	cmd := exec.CommandContext(t.Context(), bin, args...) //nolint:gosec // G204: runs the binary or script the test built or ships
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(after)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		took := time.Since(sent)
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return code, took, out.String()
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 20 s after SIGINT; output:\n%s", out.String())
	}
	return 0, 0, ""
}

// SIGINT during a list that the API server never answers ends the scan at
// once with exit 3 (the per-call timeout is 30 s).
func TestSignalDuringHangingList(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			_, _ = fmt.Fprint(w, `{"major": "1", "minor": "37", "gitVersion": "v1.37.2"}`)
			return
		}
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n", srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, took, out := interrupt(t, time.Second, "scan", "--kubeconfig", kubeconfig, "--skip-cloud")
	if code != 3 || took > time.Second || !strings.Contains(out, "interrupted") {
		t.Errorf("exit %d after %s, want 3 within a second saying so; output:\n%s", code, took, out)
	}
}

// SIGINT during a policy evaluation that would run for minutes ends it
// with exit 3.
func TestSignalDuringEvaluation(t *testing.T) {
	dir := t.TempDir()
	policy := `# METADATA
# title: Runaway
# description: A user policy whose comprehension takes minutes.
# custom:
#   id: WI-TEST-001
#   severity: low
#   remediation: None.
package user.runaway

deny contains {"msg": "never", "resource": {"kind": "X", "name": "x"}} if {
	some a in numbers.range(1, 1000000)
	some b in numbers.range(1, 1000000)
	a * b < 0
}
`
	if err := os.WriteFile(filepath.Join(dir, "runaway.rego"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	code, took, out := interrupt(t, 3*time.Second, "scan", "--evidence", "../../testdata/evidence/broken-space", "--policy", dir)
	if code != 3 || took > time.Second || !strings.Contains(out, "interrupted") {
		t.Errorf("exit %d after %s, want 3 within a second saying so; output:\n%s", code, took, out)
	}
}

// An evaluation past --eval-timeout ends with exit 3 naming the control.
func TestEvalTimeoutNamesThePolicy(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile("signal_test.go")
	src := string(b)
	start := strings.Index(src, "# METADATA\n# title: Runaway")
	end := strings.Index(src[start:], "}\n`") + start + 2
	if err := os.WriteFile(filepath.Join(dir, "runaway.rego"), []byte(src[start:end]), 0o600); err != nil { //nolint:gosec // G703: a path under the test's temporary folder
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.CommandContext(t.Context(), bin, "scan", "--evidence", "../../testdata/evidence/broken-space", "--policy", dir, "--eval-timeout", "2s") //nolint:gosec // G204: runs the binary or script the test built or ships
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	ok := errors.As(err, &ee)
	if !ok || ee.ExitCode() != 3 || !strings.Contains(out.String(), "WI-TEST-001") || !strings.Contains(out.String(), "time limit") {
		t.Errorf("exit %v, want 3 naming WI-TEST-001 and the time limit; output:\n%s", err, out.String())
	}
}
