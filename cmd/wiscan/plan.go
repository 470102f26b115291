package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/input"
	"github.com/wiscan/wiscan/remediate"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/snapshot"
)

// planFlags choose what a plan reads and what it may hold.
type planFlags struct {
	out, snapshot, helmChart  string
	allowDeletion, trustMatch bool
	allowNarrowing            bool
	policies                  []string
	waivers, baseline         string
	// scanFlags are the names of the collect flags, which go with a scan
	// and not with a report.
	scanFlags []string
}

func (a *app) planCommand() *cobra.Command {
	var f planFlags
	var cf collectFlags
	cmd := &cobra.Command{
		Use:   "plan [REPORT.json]",
		Short: "Write the commands that fix a scan's findings, as a script to review",
		Long: `Plan one step per fix: the kubectl, helm, aws, az or gcloud command, every
argument quoted, or, where no command can be written, what to do by hand.
wiscan runs nothing: read the script, then run it yourself.

The plan is made from a scan: without REPORT.json, wiscan scans first (live,
or --evidence) and plans from what it read; with REPORT.json and --snapshot
(the snapshot the report was made from: wiscan collect, then wiscan eval) it
plans from both. With the state each step is exact: a trust policy's whole new
document and its diff, Kubernetes changes as JSON patches that test the value
they change first, Helm values for objects a Helm release owns. From a report
alone, steps that need the state are by hand.

Steps that delete are withheld without --allow-deletion, steps that narrow
access without --allow-narrowing; steps that drop
static credentials wait until every identity check passes or has a step
above them. Waived findings and unknowns get no step; the plan says why.`,
		Example: `  wiscan plan --evidence ./bundle -o script=plan.sh && less plan.sh && sh plan.sh
  wiscan collect -o snapshot.json && wiscan eval snapshot.json -o json=report.json
  wiscan plan report.json --snapshot snapshot.json -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, s, from, err := a.planInput(cmd, args, f, cf)
			if err != nil {
				return err
			}
			opts := remediate.Options{Snapshot: s, AllowDeletion: f.allowDeletion, AllowNarrowing: f.allowNarrowing, TrustPattern: f.trustMatch, HelmChart: f.helmChart}
			p, err := remediate.Make(r, opts)
			if err != nil {
				return usageErr("%s: %w", report.Clean(from), err)
			}
			return a.writePlan(p, f.out, from)
		},
	}
	before := map[string]bool{}
	cmd.Flags().VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	cf.register(cmd)
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.scanFlags = append(f.scanFlags, fl.Name)
		}
	})
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "script", "FORMAT[=FILE]: script (a shell script to review and run) or json (the steps, each command as its argument vector, with each patch and trust policy as data), to stdout or FILE; a bare FILE is script=FILE; --format is the same flag")
	fl.StringVar(&f.snapshot, "snapshot", "", "with REPORT.json: the snapshot it was made from (wiscan collect), for exact steps")
	fl.BoolVar(&f.allowDeletion, "allow-deletion", false, "plan the steps that delete (a Secret of static credentials); without it they are listed, their command withheld")
	fl.BoolVar(&f.allowNarrowing, "allow-narrowing", false, "plan the steps that remove a broader grant once the narrower one is in place, and that turn off a storage account's shared keys; without it they are listed, their command withheld")
	fl.BoolVar(&f.trustMatch, "trust-pattern", false, "where a trust policy with one subject per control plane would outgrow its quota, admit the control planes by a StringLike pattern confined to the profile's namespaces instead")
	fl.StringVar(&f.helmChart, "helm-chart", "", "the chart reference for helm upgrade, for objects a Helm release owns (without it those steps are by hand, with the values to set)")
	fl.StringArrayVar(&f.policies, "policy", nil, "without REPORT.json: directory of user Rego policies, repeatable")
	fl.StringVar(&f.waivers, "waivers", "", "without REPORT.json: a waivers file; waived findings get no step")
	fl.StringVar(&f.baseline, "baseline", "", "without REPORT.json: an earlier JSON report whose failures are accepted")
	return cmd
}

// planInput reads the report and snapshot a plan is made from: a report
// (with its snapshot, if named), or a scan made here.
func (a *app) planInput(cmd *cobra.Command, args []string, f planFlags, cf collectFlags) (report.Report, *snapshot.Snapshot, string, error) {
	ctx := cmd.Context()
	if len(args) == 1 {
		for _, name := range append(f.scanFlags, "policy", "waivers", "baseline") {
			if cmd.Flags().Changed(name) {
				return report.Report{}, nil, "", usageErr("--%s goes with a scan; a plan of REPORT.json reads the report (and --snapshot)", name)
			}
		}
		r, err := readReport(ctx, args[0])
		if ctx.Err() != nil {
			return report.Report{}, nil, "", incomplete(err)
		}
		if err != nil {
			return report.Report{}, nil, "", usageErr("%w", err)
		}
		if f.snapshot == "" {
			return r, nil, args[0], nil
		}
		s, err := readSnapshot(ctx, f.snapshot)
		if err != nil {
			return report.Report{}, nil, "", err
		}
		return r, s, args[0], nil
	}
	if f.snapshot != "" {
		return report.Report{}, nil, "", usageErr("--snapshot goes with REPORT.json (the report made from it)")
	}
	ef := evalFlags{policies: f.policies, waivers: f.waivers, baseline: f.baseline, evalTimeout: engine.DefaultEvalTimeout, evalMemory: limits.Eval >> 20}
	e, err := scan.NewEvaluator(ctx, a.config(cf, ef))
	if err != nil {
		return report.Report{}, nil, "", scanErr(err)
	}
	s, err := a.collect(ctx, cf)
	if err != nil {
		return report.Report{}, nil, "", err
	}
	r, err := e.Evaluate(ctx, s)
	if err != nil {
		return report.Report{}, nil, "", scanErr(err)
	}
	return r, s, "a scan of " + source(s.Source), nil
}

// source names what a scan read.
func source(s snapshot.Source) string {
	switch {
	case s.Evidence != "":
		return "evidence " + s.Evidence
	case s.Context != "":
		return "context " + s.Context
	case s.Server != "":
		return "server " + s.Server
	}
	return "the current context"
}

// writePlan writes the plan in the format -o names.
func (a *app) writePlan(p remediate.Plan, out, from string) error {
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
	if err := write(w, p, from); err != nil {
		w.abort()
		return incomplete(err)
	}
	if err := w.commit(); err != nil {
		return incomplete(err)
	}
	_, _ = fmt.Fprintf(a.stderr, "wiscan: %d %s for %s (%d failed without a step, %d waived, %d not planned)\n", len(p.Steps), report.Plural(len(p.Steps), "step"), report.Clean(from), p.Skipped, p.Waived, len(p.Unplanned)) // best effort: the plan is written
	return nil
}

// readSnapshot reads a snapshot file: within input.Snapshot's bound,
// refused when an object names a key twice, and redacted as if it had
// just been read, since a snapshot is a file that travels.
func readSnapshot(ctx context.Context, path string) (*snapshot.Snapshot, error) {
	b, err := input.ReadFile(ctx, path, input.Snapshot)
	if ctx.Err() != nil {
		return nil, incomplete(err)
	}
	if err != nil {
		return nil, usageErr("%w", err)
	}
	if err := input.CheckJSON(b); err != nil {
		return nil, usageErr("%s: %w", path, err)
	}
	s, err := snapshot.Load(bytes.NewReader(b))
	if err != nil {
		return nil, usageErr("%s: %w", path, err)
	}
	secrets.Scrub(s)
	return s, nil
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
