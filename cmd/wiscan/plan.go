package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wiscan/wiscan/input"
	"github.com/wiscan/wiscan/remediate"
	"github.com/wiscan/wiscan/report"
)

func (a *app) planCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "plan REPORT.json",
		Short: "Write the commands that fix a report's findings, as a script to review",
		Long: `Read a JSON report (wiscan scan -o json=FILE) and write a shell script with
one step per fix: the kubectl or aws command, every argument quoted, or, where
no command can be written from the report, what to do by hand. wiscan runs
nothing: read the script, then run it yourself. Waived findings, unknowns and
failures without a fix get no step.`,
		Example: `  wiscan scan -o json=report.json
  wiscan plan report.json -o script=plan.sh && less plan.sh && sh plan.sh
  wiscan plan report.json -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := readReport(cmd.Context(), args[0])
			if cmd.Context().Err() != nil {
				return incomplete(err)
			}
			if err != nil {
				return usageErr("%w", err)
			}
			p, err := remediate.New(r)
			if err != nil {
				return usageErr("%s: %w", report.Clean(args[0]), err)
			}
			write, path := remediate.WriteShell, out
			switch name, file, _ := strings.Cut(out, "="); name {
			case "json":
				write, path = remediate.WriteJSON, cmp.Or(file, "-")
			case "script":
				path = cmp.Or(file, "-")
			}
			w, err := a.create(path)
			if err != nil {
				return incomplete(err)
			}
			if err := write(w, p, args[0]); err != nil {
				w.abort()
				return incomplete(err)
			}
			if err := w.commit(); err != nil {
				return incomplete(err)
			}
			_, _ = fmt.Fprintf(a.stderr, "wiscan: %d %s for %s (%d failed without a fix, %d waived)\n", len(p.Steps), report.Plural(len(p.Steps), "step"), report.Clean(args[0]), p.Skipped, p.Waived) // best effort: the plan is written
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "script", "FORMAT[=FILE]: script (a shell script to review and run) or json (the steps, each command as its argument vector), to stdout or FILE; a bare FILE is script=FILE; --format is the same flag")
	return cmd
}

// readReport reads a wiscan JSON report: within input.Report's bound,
// until ctx ends, and refused when an object names a key twice.
func readReport(ctx context.Context, path string) (report.Report, error) {
	b, err := input.ReadFile(ctx, path, input.Report)
	if err != nil {
		return report.Report{}, err
	}
	if err := input.CheckJSON(b); err != nil {
		return report.Report{}, fmt.Errorf("%s: %w", path, err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return report.Report{}, fmt.Errorf("%s: not a JSON report: %w", path, err)
	}
	if r.SchemaVersion != report.SchemaVersion {
		if strings.HasPrefix(r.SchemaVersion, "wiscan.io/report/") {
			return report.Report{}, fmt.Errorf("%s: report format %s; this wiscan reads %s: scan again", path, r.SchemaVersion, report.SchemaVersion)
		}
		return report.Report{}, fmt.Errorf("%s: not a wiscan JSON report (wiscan scan -o json=FILE)", path)
	}
	return r, nil
}
