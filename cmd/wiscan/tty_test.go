package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
)

// onTerminal runs wiscan with stdout on a pseudo-terminal of the given
// width and returns what the terminal received.
func onTerminal(t *testing.T, cols int, args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ptmx.Close() }()
	if err := pty.Setsize(tty, &pty.Winsize{Cols: uint16(cols), Rows: 50}); err != nil { //nolint:gosec // G115: the value is small by construction
		t.Fatal(err)
	}
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&got, ptmx)
		close(done)
	}()
	var stderr bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	code := runWith(context.Background(), args, strings.NewReader(""), tty, &stderr, now)
	_ = tty.Close() // the reader ends at the close; its error changes nothing
	<-done
	// The terminal turns each newline into CR LF.
	return code, strings.ReplaceAll(got.String(), "\r\n", "\n")
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// The table on a terminal fits its width, has a header and colours, and
// reads the same as the golden file for that width.
func TestTableOnTerminal(t *testing.T) {
	for _, cols := range []int{80, 120} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			t.Setenv("NO_COLOR", "")
			code, out := onTerminal(t, cols, "scan", "--evidence", bundle)
			if code != exitFindings {
				t.Errorf("exit %d, want %d", code, exitFindings)
			}
			if !strings.Contains(out, "\x1b[1m\x1b[31mCRITICAL\x1b[0m") {
				t.Error("no colour on a terminal")
			}
			plain := ansi.ReplaceAllString(out, "")
			for i, l := range strings.Split(plain, "\n") {
				if n := utf8.RuneCountInString(l); n > cols {
					t.Errorf("line %d is %d columns wide, the terminal %d: %q", i+1, n, cols, l)
				}
			}
			if !strings.Contains(plain, "SEVERITY  CONTROL     WHERE, WHAT AND FIX") {
				t.Error("no header")
			}
			// Nothing is cut: the restart command and the evidence file
			// name are whole once the wrapped lines are joined again.
			joined := regexp.MustCompile(`\n {22}`).ReplaceAllString(plain, " ")
			for _, whole := range []string{
				"fix: kubectl rollout restart deployment mxp-controller -n mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system",
				"IAMRole/arn:aws:iam::123456789012:role/backup-restore-role (aws/authorization-details.json:5)",
			} {
				if !strings.Contains(joined, whole) {
					t.Errorf("%q is cut:\n%s", whole, plain)
				}
			}
			if strings.Contains(plain, "…\n") {
				t.Errorf("a line is shortened:\n%s", plain)
			}
			golden(t, fmt.Sprintf("broken-space.table-%d.txt", cols), plain)
		})
	}
}

// NO_COLOR turns colours off even on a terminal.
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	_, out := onTerminal(t, 100, "scan", "--evidence", bundle)
	if strings.Contains(out, "\x1b[") {
		t.Error("colour with NO_COLOR set")
	}
}

// Unknown results that say the same thing are one block with a count.
func TestUnknownsFolded(t *testing.T) {
	t.Setenv("COLUMNS", "")
	_, out, _ := wiscan(t, "scan", "--evidence", k8sOnly)
	if n := strings.Count(out, "UNKNOWN "); n != 1 {
		t.Errorf("%d UNKNOWN lines, want the 10 AWS controls folded into 1:\n%s", n, out)
	}
	if !strings.Contains(out, "UNKNOWN   WI-AWS-001  and 9 more controls: WI-AWS-002") {
		t.Errorf("the folded block does not count the controls:\n%s", out)
	}
}
