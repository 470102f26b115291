// Package readme runs the README's shell blocks as a new user pastes
// them: each wiscan command that can run here runs (on the shipped
// bundles, with a report and snapshot made first), each other wiscan
// command has its flags parsed, each helm install is rendered as helm
// template would with its --set values, each script and make target it
// names exists. A line the shell would misread (an unquoted <placeholder>
// is a redirection, an unquoted backslash is dropped) fails.
package readme

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/strvals"

	"github.com/wiscan/wiscan/test/chart"
)

const root = "../.."

// blocks are the README's sh blocks, each a list of commands: continued
// lines joined, comments dropped.
func blocks(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var cur []string
	in := false
	pending := ""
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case !in && strings.HasPrefix(l, "```sh"):
			in, cur = true, nil
			continue
		case in && strings.HasPrefix(l, "```"):
			in = false
			out = append(out, cur)
			continue
		case !in:
			continue
		}
		if s, ok := strings.CutSuffix(l, "\\"); ok {
			pending += s + " "
			continue
		}
		cur = append(cur, pending+l)
		pending = ""
	}
	return out
}

// words splits a command as a POSIX shell does: quotes, backslashes and
// $NAME / ${NAME} expansion from env; an unquoted <, >, |, ; or & is an
// operator, which it returns as its own word.
func words(line string, env map[string]string) ([]string, error) {
	var out []string
	var cur strings.Builder
	started := false
	flush := func() {
		if started {
			out = append(out, cur.String())
			cur.Reset()
			started = false
		}
	}
	expand := func(i int) (int, error) {
		name := ""
		j := i + 1
		if j < len(line) && line[j] == '(' {
			k := strings.LastIndexByte(line, ')')
			if k < j {
				return 0, errors.New("an unclosed $(")
			}
			cur.WriteString("OUTPUT")
			started = true
			return k, nil
		}
		if j < len(line) && line[j] == '{' {
			k := strings.IndexByte(line[j:], '}')
			if k < 0 {
				return 0, errors.New("an unclosed ${")
			}
			name = line[j+1 : j+k]
			j += k + 1
		} else {
			for j < len(line) && (line[j] == '_' || line[j] >= 'A' && line[j] <= 'Z' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= '0' && line[j] <= '9') {
				j++
			}
			name = line[i+1 : j]
		}
		v, ok := env[name]
		if !ok {
			// A shell variable of the block's own (a loop's), or a
			// command substitution: its name stands for it.
			v = "VALUE-OF-" + name
		}
		cur.WriteString(v)
		started = true
		return j - 1, nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !started:
			return out, nil
		case c == '\'':
			k := strings.IndexByte(line[i+1:], '\'')
			if k < 0 {
				return nil, errors.New("an unclosed single quote")
			}
			cur.WriteString(line[i+1 : i+1+k])
			started, i = true, i+1+k
		case c == '"':
			started = true
			for i++; ; i++ {
				if i >= len(line) {
					return nil, errors.New("an unclosed double quote")
				}
				d := line[i]
				if d == '"' {
					break
				}
				if d == '\\' && i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0 {
					i++
					cur.WriteByte(line[i])
					continue
				}
				if d == '$' {
					var err error
					if i, err = expand(i); err != nil {
						return nil, err
					}
					continue
				}
				cur.WriteByte(d)
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			started = true
		case c == '$':
			var err error
			if i, err = expand(i); err != nil {
				return nil, err
			}
		case c == '<' && i+1 < len(line) && line[i+1] >= 'a' && line[i+1] <= 'z' && strings.ContainsRune(strings.Fields(line[i:])[0], '>'):
			return nil, fmt.Errorf("%q: an unquoted <placeholder> is a redirection to the shell", strings.Fields(line[i:])[0])
		case strings.IndexByte("<>|;&", c) >= 0:
			flush()
			op := string(c)
			if i+1 < len(line) && line[i+1] == c {
				op += string(c)
				i++
			}
			out = append(out, op)
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	flush()
	return out, nil
}

// env is what the README's variables stand for here.
var env = map[string]string{"SUB": "0b1f6471-1bf0-4dda-aec3-111122223333", "ACCOUNT_ID": "123456789012", "CLUSTER": "spaces", "GITHUB_STEP_SUMMARY": "summary.md"}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wiscan")
	if out, err := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "../../cmd/wiscan").CombinedOutput(); err != nil { //nolint:gosec // G204: the project's own command
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// Every wiscan, helm, script and make command in the README's sh blocks
// works as pasted.
func TestREADMECommands(t *testing.T) {
	bin := build(t)
	work := t.TempDir()
	// ./bundle is the shipped broken Space; report.json and snapshot.json
	// are what the README's first commands write.
	if out, err := exec.CommandContext(context.Background(), "cp", "-r", filepath.Join(root, "testdata/evidence/broken-space"), filepath.Join(work, "bundle")).CombinedOutput(); err != nil { //nolint:gosec // G204: cp of the shipped bundle into the test's folder
		t.Fatalf("cp: %v %s", err, out)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.CommandContext(context.Background(), bin, args...) //nolint:gosec // G204: the binary the test built, with the README's arguments
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(work, "no-kubeconfig"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	for _, args := range [][]string{{"scan", "--evidence", "bundle", "-o", "json=report.json", "--fail-on", "none"}, {"collect", "--evidence", "bundle", "-o", "json=snapshot.json"}} {
		if code, out := run(args...); code != 0 {
			t.Fatalf("setup %v: %d %s", args, code, out)
		}
	}
	ran := map[string]int{}
	for _, block := range blocks(t) {
		for _, line := range block {
			ws, err := words(line, env)
			if err != nil {
				t.Errorf("%q: %v", line, err)
				continue
			}
			for _, cmd := range commands(ws) {
				if len(cmd) == 0 {
					continue
				}
				switch {
				case cmd[0] == "wiscan":
					ran["wiscan"]++
					wiscanLine(t, line, cmd[1:], run)
				case cmd[0] == "helm" && len(cmd) > 1 && cmd[1] == "install":
					ran["helm"]++
					helmInstall(t, line, cmd[2:])
				case strings.HasPrefix(cmd[0], "scripts/"):
					ran["script"]++
					if out, err := exec.CommandContext(context.Background(), "bash", "-n", filepath.Join(root, cmd[0])).CombinedOutput(); err != nil { //nolint:gosec // G204: a shipped script, checked only
						t.Errorf("%q: %s: %v %s", line, cmd[0], err, out)
					}
				case cmd[0] == "make" && len(cmd) > 1:
					ran["make"]++
					mk, _ := os.ReadFile(filepath.Join(root, "Makefile"))
					if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cmd[1]) + `:`).Match(mk) {
						t.Errorf("%q: no make target %s", line, cmd[1])
					}
				}
			}
		}
	}
	t.Logf("README commands checked: %v", ran)
	for _, kind := range []string{"wiscan", "helm", "script", "make"} {
		if ran[kind] == 0 {
			t.Errorf("no %s command found in the README", kind)
		}
	}
}

// commands splits a line's words at &&, ; and | into commands; a
// redirection that is not to a file (an unquoted <placeholder>) fails.
func commands(ws []string) [][]string {
	var out [][]string
	var cur []string
	for i := 0; i < len(ws); i++ {
		switch ws[i] {
		case "&&", "||", ";", "|", "&":
			out = append(out, cur)
			cur = nil
		case ">", ">>", "<":
			i++ // the redirection's target
		default:
			cur = append(cur, ws[i])
		}
	}
	return append(out, cur)
}

// wiscanLine runs what can run here (the shipped bundle, a report, a
// snapshot, the catalog, the version) and parses the flags of the rest
// (a live scan or collect, and apply, which needs a live cluster).
func wiscanLine(t *testing.T, line string, args []string, run func(...string) (int, string)) {
	t.Helper()
	live := len(args) > 0 && (args[0] == "scan" || args[0] == "collect" || args[0] == "apply") && !contains(args, "--evidence")
	if live {
		args = append(args, "--help")
	}
	code, out := run(args...)
	if code != 0 && code != 1 {
		t.Errorf("%q: wiscan %s: exit %d:\n%s", line, strings.Join(args, " "), code, out)
	}
}

func contains(ws []string, w string) bool {
	for _, x := range ws {
		if x == w || strings.HasPrefix(x, w+"=") {
			return true
		}
	}
	return false
}

// helmInstall renders the chart as helm install would, with the line's
// --set values, and checks them against the chart's schema.
func helmInstall(t *testing.T, line string, args []string) {
	t.Helper()
	values := map[string]any{}
	for i := 0; i < len(args); i++ {
		if args[i] == "--set" && i+1 < len(args) {
			if err := strvals.ParseInto(args[i+1], values); err != nil {
				t.Errorf("%q: --set %s: %v", line, args[i+1], err)
			}
			i++
		}
	}
	if _, err := chart.Render("wiscan", "wiscan-system", values); err != nil {
		t.Errorf("%q: helm would refuse it: %v", line, err)
	}
}

// The shell reads the README's lines as the test does: an unquoted
// <placeholder> is a redirection, an unquoted backslash is dropped.
func TestWords(t *testing.T) {
	if _, err := words(`arn:aws:iam::<account>:role/r`, env); err == nil || !strings.Contains(err.Error(), "redirection") {
		t.Errorf("an unquoted placeholder: %v", err)
	}
	for _, c := range []struct {
		line string
		want []string
	}{
		{`a < in.txt > out.txt 2>&1`, []string{"a", "<", "in.txt", ">", "out.txt", "2", ">", "&", "1"}},
		{`"arn:<x>"`, []string{"arn:<x>"}},
		{`--set x.eks\.amazonaws\.com=v`, []string{"--set", "x.eks.amazonaws.com=v"}},
		{`--set "x.eks\.amazonaws\.com=arn:${ACCOUNT_ID}"`, []string{"--set", `x.eks\.amazonaws\.com=arn:123456789012`}},
		{`'a b' c # comment`, []string{"a b", "c"}},
		{`x && y`, []string{"x", "&&", "y"}},
	} {
		got, err := words(c.line, env)
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: %q %v, want %q", c.line, got, err, c.want)
		}
	}
}
