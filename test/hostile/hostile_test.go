// Package hostile runs wiscan on hostile and careless input, one folder per
// case under cases/, and checks that no planted secret reaches any output
// and that every case ends with the exit code and words it states.
package hostile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/snapshot"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wiscan-hostile")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "wiscan")
	if out, err := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "../../cmd/wiscan").CombinedOutput(); err != nil { //nolint:gosec // G204: runs the binary or script the test built or ships
		panic(string(out))
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// canaries are built at test time: a high-entropy value shaped like a
// secret access key, a plain low-entropy one, an access key ID, and the
// base64 of the first two. None may appear in any output.
type canaries struct{ secret, plain, keyID string }

// The secret is drawn again until the credential classifier takes it for
// one: these cases test that every path out of the collector redacts what
// the classifier flags, while the classifier's recall over random keys is
// measured in collectors/secrets.
func newCanaries(t *testing.T) canaries {
	t.Helper()
	var b []byte
	var secret string
	for secret == "" || !secrets.HighEntropy(secret) {
		b = make([]byte, 30)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		// No slash or plus: the secret is also a file name and a URL part.
		secret = strings.NewReplacer("/", "x", "+", "y").Replace(base64.StdEncoding.EncodeToString(b))
	}
	id := strings.ToUpper(hex.EncodeToString(b[:8]))
	return canaries{secret: secret, plain: "wiscan-canary-" + hex.EncodeToString(b[8:16]), keyID: "AKIA" + id}
}

func (c canaries) replacer() *strings.Replacer {
	return strings.NewReplacer(
		"@CANARY_B64@", base64.StdEncoding.EncodeToString([]byte(c.secret)),
		"@PLAIN_B64@", base64.StdEncoding.EncodeToString([]byte(c.plain)),
		"@CANARY@", c.secret, "@PLAIN@", c.plain, "@KEYID@", c.keyID,
		// Terminal controls: clear the screen, go back to the line's start.
		"@ESC@", "\x1b[2J\r")
}

// forbidden are the byte strings that must never leave the collector.
func (c canaries) forbidden() []string {
	return []string{c.secret, c.plain, c.keyID,
		base64.StdEncoding.EncodeToString([]byte(c.secret)), base64.StdEncoding.EncodeToString([]byte(c.plain))}
}

type expect struct {
	exit  string
	want  []string
	utf16 string
	// base is a shipped evidence bundle the case's files are laid over.
	base string
	// unknown are "CONTROL NAMESPACE": results that must be unknown.
	unknown []string
}

func readCase(t *testing.T, dir string) expect {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "case.txt")) //nolint:gosec // G304: a file the test itself wrote or ships
	if err != nil {
		t.Fatal(err)
	}
	var e expect
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		switch k {
		case "exit":
			e.exit = v
		case "want":
			e.want = append(e.want, v)
		case "utf16":
			e.utf16 = v
		case "base":
			e.base = v
		case "unknown":
			e.unknown = append(e.unknown, v)
		default:
			t.Fatalf("case.txt: unknown key %q", k)
		}
	}
	return e
}

// materialise copies a case with the canaries in place of the markers, in
// file names too; the file named by utf16 is written as UTF-16 with a BOM.
func materialise(t *testing.T, src string, r *strings.Replacer, e expect) string {
	t.Helper()
	dst := t.TempDir()
	if e.base != "" {
		copyTree(t, filepath.Join("..", "..", "testdata", "evidence", e.base), dst, r, "")
	}
	copyTree(t, src, dst, r, e.utf16)
	return dst
}

// copyTree copies src into dst, the markers replaced in names and
// contents.
func copyTree(t *testing.T, src, dst string, r *strings.Replacer, utf16 string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "case.txt" {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p) //nolint:gosec // G304: a file the test itself wrote or ships
		if err != nil {
			return err
		}
		body := r.Replace(string(b))
		if rel == utf16 {
			body = toUTF16(body)
		}
		out := filepath.Join(dst, r.Replace(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(body), 0o600) //nolint:gosec // G703: a path under the test's temporary folder
	})
	if err != nil {
		t.Fatal(err)
	}
}

func toUTF16(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, args...) //nolint:gosec // G204: runs the binary or script the test built or ships
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

func TestHostileInput(t *testing.T) {
	entries, err := os.ReadDir("cases")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		t.Run(entry.Name(), func(t *testing.T) {
			src := filepath.Join("cases", entry.Name())
			e := readCase(t, src)
			c := newCanaries(t)
			dir := materialise(t, src, c.replacer(), e)
			out := t.TempDir()
			report, snap := filepath.Join(out, "report.json"), filepath.Join(out, "snapshot.json")
			var seen strings.Builder
			files := []string{"report.json", "report.sarif", "junit.xml", "summary.md", "metrics.prom"}
			for _, format := range []string{"text", "json"} {
				code, text := run(t, "scan", "--evidence", dir, "--skip-cloud", "--log-level", "debug", "--log-format", format,
					"--format", "table", "--format", "json="+report, "-o", "sarif="+filepath.Join(out, files[1]),
					"-o", "junit="+filepath.Join(out, files[2]), "-o", "markdown="+filepath.Join(out, files[3]),
					"-o", "prometheus="+filepath.Join(out, files[4]))
				seen.WriteString(text)
				if got := itoa(code); got != e.exit {
					t.Errorf("scan exit %s, want %s; output:\n%s", got, e.exit, text)
				}
				for _, f := range files {
					b, _ := os.ReadFile(filepath.Join(out, f)) //nolint:gosec // G304: a file the test itself wrote or ships
					seen.Write(b)
				}
			}
			checkUnknown(t, report, e.unknown)
			// The plan of the report: its script and what plan says.
			plan := filepath.Join(out, "plan.sh")
			code, text := run(t, "plan", report, "-o", plan)
			if code != 0 {
				t.Errorf("plan exit %d: %s", code, text)
			}
			seen.WriteString(text)
			b, _ := os.ReadFile(plan) //nolint:gosec // G304: a file the test itself wrote or ships
			seen.Write(b)
			code, text = run(t, "collect", "--evidence", dir, "--log-level", "debug", "-o", snap)
			if code != 0 {
				t.Errorf("collect exit %d: %s", code, text)
			}
			seen.WriteString(text)
			b, _ = os.ReadFile(snap) //nolint:gosec // G304: a file the test itself wrote or ships
			seen.Write(b)
			if err := snapshot.Validate(b); err != nil {
				t.Errorf("the snapshot breaks its schema: %v", err)
			}
			all := seen.String()
			for _, f := range c.forbidden() {
				if strings.Contains(all, f) {
					i := strings.Index(all, f)
					t.Errorf("a canary reached the output: …%s…", strings.ReplaceAll(all[max(0, i-80):i], f, "<canary>"))
				}
			}
			for _, w := range e.want {
				if !strings.Contains(all, w) {
					t.Errorf("the output does not say %q:\n%s", w, all)
				}
			}
			if strings.ContainsAny(all, "\x1b\r\a") {
				t.Error("a raw control character reached the output")
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkUnknown asserts that each "CONTROL NAMESPACE" of want is an unknown
// finding of the JSON report: a gap never turns into a pass.
func checkUnknown(t *testing.T, report string, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	b, err := os.ReadFile(report) //nolint:gosec // G304: a file the test itself wrote
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			ControlID string `json:"controlId"`
			Status    string `json:"status"`
			Resource  struct {
				Namespace string `json:"namespace"`
			} `json:"resource"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		control, ns, _ := strings.Cut(w, " ")
		found := false
		for _, f := range r.Findings {
			found = found || (f.ControlID == control && f.Status == "unknown" && f.Resource.Namespace == ns)
		}
		if !found {
			t.Errorf("%s is not unknown in %s", control, ns)
		}
	}
}
