package hostile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Inputs a user names on the command line are refused with exit 2 naming
// the file, the line and the key, or the bound and what it bounds, and
// never read past their bound: a device that never ends is no profile.
func TestUserFilesRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil { //nolint:gosec // G703: a path under the test's temporary folder
			t.Fatal(err)
		}
		return p
	}
	profile := write("profile.json", `{"apiVersion": "wiscan.io/v1alpha1", "kind": "Profile", "name": "p",
"serviceAccount": "sa", "serviceAccount": "other", "namespaces": {"pattern": "^x$"}, "workload": {"kind": "Deployment", "name": "d"}}`)
	baseline := write("baseline.json", "{\"schemaVersion\": \"wiscan.io/report/v1alpha5\",\n \"findings\": [],\n \"findings\": [{\"status\": \"fail\", \"fingerprint\": \"0011\"}]}")
	snap := filepath.Join(dir, "snapshot.json")
	if code, out := run(t, "collect", "--evidence", "../../testdata/evidence/broken-space", "-o", snap); code != 0 {
		t.Fatalf("collect exit %d: %s", code, out)
	}
	b, err := os.ReadFile(snap) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	dupSnap := write("dup-snapshot.json", strings.Replace(string(b), `"schemaVersion":`, "\"errors\": [],\n\"schemaVersion\":", 1))
	// A sparse file over the snapshot's bound: refused by its size.
	sparse := write("big-snapshot.json", "")
	if err := os.Truncate(sparse, 513<<20); err != nil {
		t.Fatal(err)
	}
	policies := filepath.Join(dir, "policies")
	if err := os.Mkdir(policies, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(policies, "big.rego"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(policies, "big.rego"), 5<<20); err != nil {
		t.Fatal(err)
	}
	evidence := "../../testdata/evidence/broken-space"
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"endless profile", []string{"scan", "--evidence", evidence, "--profile-file", "/dev/zero"},
			[]string{"/dev/zero", "larger than 1 MiB, the limit for a profile file"}},
		{"profile with a key twice", []string{"scan", "--evidence", evidence, "--profile-file", profile},
			[]string{profile, "serviceAccount"}},
		{"baseline with a key twice", []string{"scan", "--evidence", evidence, "--baseline", baseline},
			[]string{baseline, `line 3: the top-level object names key "findings" twice (first at line 2)`}},
		{"snapshot with a key twice", []string{"eval", dupSnap},
			[]string{dupSnap, `names key "errors" twice`}},
		{"snapshot over its bound", []string{"eval", sparse}, []string{sparse, "larger than 512 MiB, the limit for a snapshot"}},
		{"policy over its bound", []string{"scan", "--evidence", evidence, "--policy", policies}, []string{"big.rego", "larger than 4 MiB, the limit for a policy file"}},
		{"endless waivers", []string{"scan", "--evidence", evidence, "--waivers", "/dev/zero"}, []string{"larger than 64 MiB, the limit for a waivers file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := run(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2: %s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the refusal does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

// A FIFO given as a profile or waivers file that nobody writes blocks
// the read; the first SIGINT ends it with exit 3, saying so.
func TestSignalDuringFIFORead(t *testing.T) {
	for _, flag := range []string{"--profile-file", "--waivers"} {
		t.Run(flag, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, out := interrupt(t, 2*time.Second, "scan", "--evidence", "../../testdata/evidence/broken-space", flag, fifo)
			if code != 3 || !strings.Contains(out, "interrupted") {
				t.Errorf("exit %d, want 3 saying it was interrupted; output:\n%s", code, out)
			}
		})
	}
}
