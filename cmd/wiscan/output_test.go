package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wiscan/wiscan/report"
)

// report writes a JSON report of the shipped bundle to path.
func writeReport(t *testing.T, path string) (int, string) {
	t.Helper()
	code, _, stderr := wiscan(t, "scan", "--evidence", bundle, "--fail-on", "none", "--format", "json="+path)
	return code, stderr
}

func validJSON(t *testing.T, b []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil || v["schemaVersion"] == nil {
		t.Fatalf("not a whole JSON report (%v): %.80q", err, b)
	}
}

// A regular file is replaced whole; a link is written through and stays a
// link; /dev/null stays a device.
func TestOutputTargets(t *testing.T) {
	dir := t.TempDir()
	t.Run("new and existing file", func(t *testing.T) {
		p := filepath.Join(dir, "r.json")
		for range 2 {
			if code, stderr := writeReport(t, p); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			b, _ := os.ReadFile(p) //nolint:gosec // G304: a file the test itself wrote or ships
			validJSON(t, b)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".r.json.*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
	t.Run("symlink", func(t *testing.T) {
		target := filepath.Join(dir, "target.json")
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink("target.json", link); err != nil {
			t.Fatal(err)
		}
		if code, stderr := writeReport(t, link); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatal("the link was replaced")
		}
		b, _ := os.ReadFile(target) //nolint:gosec // G304: a file the test itself wrote or ships
		validJSON(t, b)
	})
	t.Run("device", func(t *testing.T) {
		before, err := os.Stat("/dev/null")
		if err != nil {
			t.Fatal(err)
		}
		if code, stderr := writeReport(t, "/dev/null"); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		after, err := os.Stat("/dev/null")
		if err != nil || after.Mode() != before.Mode() || after.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("/dev/null is now %v", after.Mode())
		}
	})
	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte)
		go func() {
			f, err := os.Open(fifo) //nolint:gosec // G304: a file the test itself wrote or ships
			if err != nil {
				got <- nil
				return
			}
			defer func() { _ = f.Close() }()
			var b bytes.Buffer
			_, _ = b.ReadFrom(f)
			got <- b.Bytes()
		}()
		if code, stderr := writeReport(t, fifo); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		select {
		case b := <-got:
			validJSON(t, b)
		case <-time.After(10 * time.Second):
			t.Fatal("nothing read from the FIFO")
		}
		if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
			t.Error("the FIFO was replaced")
		}
	})
	t.Run("unwritable folder", func(t *testing.T) {
		// /proc takes no new files, not even from root.
		code, stderr := writeReport(t, "/proc/wiscan-report.json")
		if code != exitIncomplete || !strings.Contains(stderr, "/proc/wiscan-report.json") {
			t.Errorf("exit %d, want %d naming the file; stderr %s", code, exitIncomplete, stderr)
		}
	})
}

// On a full disk the write fails with exit 3 and the old report survives.
// It needs a small tmpfs, which only root can mount.
func TestOutputFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.CommandContext(t.Context(), "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil { //nolint:gosec // G204: runs the binary or script the test built or ships
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	defer func() { _ = exec.CommandContext(t.Context(), "umount", dir).Run() }() //nolint:gosec // G204: runs the binary or script the test built or ships
	p := filepath.Join(dir, "r.json")
	old := []byte(`{"old": true}`)
	if err := os.WriteFile(p, old, 0o600); err != nil {
		t.Fatal(err)
	}
	// Fill the rest of the disk.
	fill := bytes.Repeat([]byte("x"), 1024)
	f, _ := os.Create(filepath.Join(dir, "fill")) //nolint:gosec // G304: a file the test itself wrote or ships
	for {
		if _, err := f.Write(fill); err != nil {
			break
		}
	}
	_ = f.Close()
	code, stderr := writeReport(t, p)
	if code != exitIncomplete {
		t.Errorf("exit %d on a full disk, want %d; stderr %s", code, exitIncomplete, stderr)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, old) { //nolint:gosec // G304: a file the test itself wrote or ships
		t.Errorf("the old report was replaced by %.60q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".r.json.*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// Values outside a flag's range are usage errors, and --help states the
// ranges.
func TestFlagRanges(t *testing.T) {
	for _, args := range [][]string{
		{"scan", "--evidence", bundle, "--timeout", "-5s"},
		{"scan", "--evidence", bundle, "--timeout", "0s"},
		{"scan", "--evidence", bundle, "--eval-timeout", "0s"},
		{"scan", "--evidence", bundle, "--eval-memory", "-1"},
		{"scan", "--aws-trust-policy-quota", "-1", "--evidence", bundle},
		{"collect", "--evidence", bundle, "--timeout", "-1m"},
	} {
		if code, _, stderr := wiscan(t, args...); code != exitUsage || !strings.Contains(stderr, "want") {
			t.Errorf("%v: exit %d, want %d; stderr %s", args, code, exitUsage, stderr)
		}
	}
	_, help, _ := wiscan(t, "scan", "--help")
	for _, want := range []string{"--timeout duration", "greater than 0", "--eval-memory", "0 or more"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help does not say %q", want)
		}
	}
}

// A refused value is echoed back with what would be accepted (a password
// in a URL masked).
func TestRefusedValuesEchoed(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--policyreport-api", "bogus.io"}, []string{`"bogus.io"`, "wgpolicyk8s.io, openreports.io"}},
		{[]string{"--fail-on", "extreme"}, []string{`"extreme"`, "info, low, medium, high, critical, none"}},
		{[]string{"-o", "yaml"}, []string{`"yaml"`, "table, json, sarif"}},
		{[]string{"--pushgateway", "ftp://u:hunter2@gw:9091"}, []string{`"ftp://u:xxxxx@gw:9091"`, "http or https"}},
		{[]string{"--pushgateway", "http://gw:9091", "--pushgateway-label", "nolabel"}, []string{`"nolabel"`, "NAME=VALUE"}},
		{[]string{"--eval-memory", "0"}, []string{"--eval-memory 0", "greater than 0"}},
		{[]string{"--workers", "0"}, []string{"--workers 0", "1 or more"}},
		{[]string{"--load-memory", "0"}, []string{"--load-memory 0", "greater than 0"}},
		{[]string{"--eval-profile", "-1"}, []string{"--eval-profile -1", "0 or more"}},
		{[]string{"--namespace", "Team_A"}, []string{`"Team_A"`, "lower case alphanumeric"}},
		{[]string{"-n", "team-a"}, []string{"--namespace confines a live scan", "--evidence"}},
	} {
		code, _, stderr := wiscan(t, append([]string{"scan", "--evidence", bundle}, c.args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", c.args, code, exitUsage)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q does not say %q", c.args, stderr, w)
			}
		}
		if strings.Contains(stderr, "hunter2") {
			t.Errorf("%v: the password is echoed: %s", c.args, stderr)
		}
	}
}

// Control characters from input are shown escaped, never sent raw.
func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"mxp-controller":              "mxp-controller",
		"evil\x1b[2J\rname":           `evil\x1b[2J\rname`,
		"osc\x1b]0;title\x07":         `osc\x1b]0;title\a`,
		"bidi\u202ereversed":          `bidi\u202ereversed`,
		"spaces and · unicode are ok": "spaces and · unicode are ok",
	} {
		if got := report.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// --pushgateway pushes the scan's metrics with PUT under the job and the
// grouping labels, as well as writing the outputs; a refused push exits 3
// naming the gateway but not its password; flags that cannot work are
// usage errors before anything is read.
func TestPushgatewayFlags(t *testing.T) {
	type push struct{ method, path, body, user string }
	pushes := make(chan push, 4)
	var refuse atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		user, _, _ := r.BasicAuth()
		pushes <- push{r.Method, r.URL.Path, string(b), user}
		if refuse.Load() {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	code, out, stderr := wiscan(t, "scan", "--evidence", bundle, "-o", "json", "--pushgateway", srv.URL, "--pushgateway-label", "cluster=prod")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d: %s", code, exitFindings, stderr)
	}
	validJSON(t, []byte(out))
	p := <-pushes
	if p.method != http.MethodPut || p.path != "/metrics/job/wiscan/cluster/prod" || !strings.Contains(p.body, `wiscan_findings{cloud="aws",control="WI-K8S-010"`) {
		t.Errorf("push %s %s, body:\n%.400s", p.method, p.path, p.body)
	}

	refuse.Store(true)
	secret := "pw" + strconv.FormatInt(time.Now().UnixNano(), 36)
	withUser := strings.Replace(srv.URL, "http://", "http://ops:"+secret+"@", 1)
	code, _, stderr = wiscan(t, "scan", "--evidence", bundle, "-o", "json=/dev/null", "--pushgateway", withUser, "--pushgateway-job", "nightly")
	p = <-pushes
	if code != exitIncomplete || !strings.Contains(stderr, "503") || !strings.Contains(stderr, srv.URL) || strings.Contains(stderr, secret) {
		t.Errorf("a refused push: exit %d, stderr %s", code, stderr)
	}
	if p.path != "/metrics/job/nightly" || p.user != "ops" {
		t.Errorf("push to %s as %q", p.path, p.user)
	}

	for _, args := range [][]string{
		{"--pushgateway", "gateway:9091"},
		{"--pushgateway", srv.URL, "--pushgateway-label", "cluster"},
		{"--pushgateway", srv.URL, "--pushgateway-label", "job=x"},
		{"--pushgateway-label", "cluster=prod"},
		{"--pushgateway-job", "x"},
	} {
		code, _, stderr := wiscan(t, append([]string{"scan", "--evidence", bundle}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, "pushgateway") {
			t.Errorf("%q: exit %d, want %d naming the flag: %s", args, code, exitUsage, stderr)
		}
	}
	if len(pushes) > 0 {
		t.Errorf("%d pushes from refused flags", len(pushes))
	}
}

// --log-level debug times the scan's phases: reading, targets, the input,
// each group of controls, and the report.
func TestDebugPhases(t *testing.T) {
	code, _, stderr := wiscan(t, "scan", "--evidence", bundle, "--log-level", "debug", "--log-format", "json", "--workers", "2", "-o", "json=/dev/null")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	phases := map[string][]string{
		"collected":           {"collector", "took"},
		"targets resolved":    {"targets", "took"},
		"scrubbed and sorted": {"took"},
		"evaluated":           {"targets", "findings", "resolve", "input", "eval", "groups", "findingsRead", "report"},
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(stderr, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		msg, _ := rec["msg"].(string)
		keys, ok := phases[msg]
		if !ok {
			continue
		}
		seen[msg] = true
		for _, k := range keys {
			if _, ok := rec[k]; !ok {
				t.Errorf("%q without %s: %s", msg, k, line)
			}
		}
		if msg == "evaluated" && len(strings.Fields(rec["groups"].(string))) != 2 {
			t.Errorf("two workers, groups %q", rec["groups"])
		}
	}
	if len(seen) != len(phases) {
		t.Errorf("phases logged %v, want %v", seen, phases)
	}
}

// --eval-profile N prints, after the outputs, the N policy expressions
// that took longest, each with its file and line.
func TestEvalProfile(t *testing.T) {
	code, _, stderr := wiscan(t, "scan", "--evidence", bundle, "--eval-profile", "3", "-o", "json=/dev/null")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, rest, ok := strings.Cut(stderr, "wiscan: the evaluation's 3 costliest expressions, under OPA's profiler:\n")
	line := regexp.MustCompile(`^ *[0-9.]+[µm]?s +[0-9]+  rego/[a-z0-9_/]+\.rego:[0-9]+$`)
	lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
	if !ok || len(lines) != 3 {
		t.Fatalf("stderr %q", stderr)
	}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("profile line %q", l)
		}
	}
}
