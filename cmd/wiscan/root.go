package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/klog/v2"

	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/report"
)

// Exit codes.
const (
	exitOK         = 0
	exitFindings   = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// exitError carries the exit code an error should end the command with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func incomplete(err error) error { return &exitError{code: exitIncomplete, err: err} }

// findingsErr ends a scan whose findings reach --fail-on; the report says
// why, so nothing more is printed.
var findingsErr = &exitError{code: exitFindings, err: errors.New("findings at or above the fail-on severity")}

// unknownErr ends a scan that could not verify results at or above
// --fail-on for want of data.
var unknownErr = &exitError{code: exitIncomplete, err: errors.New("results at or above the fail-on severity are unknown for want of data; the report names what is missing (--fail-on-unknown=false accepts them)")}

// app holds what every command shares.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	logLevel       string
	logFormat      string
	now            func() time.Time
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdin, stdout, stderr, time.Now)
}

// runWith runs the command line with a given clock.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, now: now}
	root := a.rootCommand() //nolint:contextcheck // the commands take ctx from ExecuteContext below, through cmd.Context()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee != findingsErr {
			_, _ = fmt.Fprintf(stderr, "wiscan: %s\n", errorText(ee.err)) // best effort: the exit code carries the outcome
		}
		return ee.code
	}
	// Errors cobra raises itself (unknown command or flag) are usage errors.
	_, _ = fmt.Fprintf(stderr, "wiscan: %s\nRun 'wiscan --help' for usage.\n", report.Clean(err.Error())) // best effort: the exit code carries the outcome
	return exitUsage
}

// errorText renders an error on one line with control characters
// escaped, except a policy's compile errors: they come from the user's own
// files and keep their lines (each cleaned, indented under the first).
func errorText(err error) string {
	if !errors.Is(err, engine.ErrPolicy) {
		return report.Clean(err.Error())
	}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = report.Clean(strings.ReplaceAll(l, "\t", "  "))
	}
	return strings.Join(lines, "\n  ")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "wiscan",
		Short: "Check that Kubernetes workloads reach cloud storage through workload identity",
		Long: `wiscan collects the Kubernetes side (and, with the cloud collectors, the IAM
side) of a workload's identity setup, evaluates it with Rego policies against
the documented setup, and reports what is wrong.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage or configuration error, 3 the scan could not complete or could not
verify results at or above --fail-on (unknown for want of data, a profile
that matched no namespace).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.setupLog() },
		// --version prints what wiscan version does.
		Version: currentVersion(),
	}
	root.SetVersionTemplate("wiscan {{.Version}}\n")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%w", err) })
	// --format is the older name of -o/--output.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "format" {
			name = "output"
		}
		return pflag.NormalizedName(name)
	})
	root.AddCommand(a.scanCommand(), a.collectCommand(), a.evalCommand(), a.planCommand(), a.applyCommand(), a.controlsCommand(), a.versionCommand())
	return root
}

func (a *app) setupLog() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageErr("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usageErr("--log-format %q: want text or json", a.logFormat)
	}
	// client-go logs through klog; send it through the same handler.
	klog.SetSlogLogger(a.log)
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress returns a line-rewriting progress printer for stderr when it is
// a terminal, else nil.
func (a *app) progress() func(string) {
	if !isTerminal(a.stderr) {
		return nil
	}
	// Progress is best effort: a failed write must not stop the scan.
	return func(msg string) { _, _ = fmt.Fprintf(a.stderr, "\r\x1b[K%s", msg) }
}

// endProgress clears the progress line.
func (a *app) endProgress() {
	if isTerminal(a.stderr) {
		_, _ = fmt.Fprint(a.stderr, "\r\x1b[K") // best effort, as the progress line
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(a.stdout, "wiscan %s\n", currentVersion())
			return err
		},
	}
}
