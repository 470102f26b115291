package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	container "cloud.google.com/go/container/apiv1"
	iamadmin "cloud.google.com/go/iam/admin/apiv1"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/client-go/dynamic"

	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/remediate"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/snapshot"
)

// applyFlags choose what wiscan apply makes and how long it waits.
type applyFlags struct {
	plan     planFlags
	only     []string
	controls []string
	yes      bool
	dryRun   bool
	wait     time.Duration
	interval time.Duration
}

func (a *app) applyCommand() *cobra.Command {
	var f applyFlags
	var cf collectFlags
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Scan, make the plan's steps that you choose, and scan again until they show",
		Long: `Scan the live cluster and clouds, plan (as wiscan plan does), show the steps
chosen (--only, --control, --namespace), ask on a terminal unless --yes, make
them, and scan again until the findings they fix are gone or --wait ends.

Every chosen step is checked before the first write (a server-side dry run,
its preconditions read again), then made, checked again just before: a value
that is no longer what the scan read stops the run. Kubernetes changes are
JSON patches whose test operations are their preconditions; an IAM trust policy
is read again and compared; Azure objects have names derived from what they
make; GCP policies are written back with their etag. The first step that fails
stops the run and says which steps were made; run again to continue from the
state they left. A state that needs nothing sends no write.

Steps that drop static credentials or narrow a grant wait until a scan after
the other steps shows the identity working. What deletes or narrows needs
--allow-deletion or --allow-narrowing, as in plan. Helm values and steps by
hand are listed, never made. apply writes; scan never does.`,
		Example: `  wiscan apply --context prod --cluster-name spaces --dry-run
  wiscan apply --only kubernetes --control WI-K8S-003 --yes
  wiscan apply --cluster-name spaces --yes --wait 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.apply(cmd, f, cf)
		},
	}
	cf.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&f.only, "only", nil, "make only the steps on these, comma-separated: "+strings.Join(remediate.Targets, ", "))
	fl.StringArrayVar(&f.controls, "control", nil, "make only the steps that fix findings of this control, repeatable")
	fl.BoolVar(&f.yes, "yes", false, "make the steps without asking (needed when stdin is not a terminal)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check every chosen step (server-side dry run, the preconditions read again) and write nothing")
	fl.DurationVar(&f.wait, "wait", 5*time.Minute, "how long to scan again for the fixed findings to go, rollouts and the clouds' eventual consistency included")
	fl.DurationVar(&f.interval, "interval", 10*time.Second, "time between the scans while waiting")
	fl.BoolVar(&f.plan.allowDeletion, "allow-deletion", false, "make the steps that delete (a Secret of static credentials, a service account key)")
	fl.BoolVar(&f.plan.allowNarrowing, "allow-narrowing", false, "make the steps that remove a broader grant once the narrower one is in place, and that turn off a storage account's shared keys")
	fl.BoolVar(&f.plan.trustMatch, "trust-pattern", false, "where a trust policy with one subject per control plane would outgrow its quota, admit the control planes by the profile's StringLike pattern instead")
	fl.StringArrayVar(&f.plan.policies, "policy", nil, "directory of user Rego policies, repeatable")
	fl.StringVar(&f.plan.waivers, "waivers", "", "a waivers file; waived findings get no step")
	return cmd
}

// apply runs wiscan apply.
func (a *app) apply(cmd *cobra.Command, f applyFlags, cf collectFlags) error {
	ctx := cmd.Context()
	if cf.evidence != "" {
		return usageErr("--evidence reads files; apply changes the live cluster and clouds the scan reads")
	}
	for _, o := range f.only {
		if !slices.Contains(remediate.Targets, o) {
			return usageErr("--only %q: want %s", o, strings.Join(remediate.Targets, ", "))
		}
	}
	if f.wait < 0 || f.interval <= 0 {
		return usageErr("--wait %s, --interval %s: want 0 or more, and more than 0", f.wait, f.interval)
	}
	ef := evalFlags{policies: f.plan.policies, waivers: f.plan.waivers, evalTimeout: engine.DefaultEvalTimeout, evalMemory: limits.Eval >> 20}
	e, err := scan.NewEvaluator(ctx, a.config(cf, ef))
	if err != nil {
		return scanErr(err)
	}
	scanOnce := func() (report.Report, *snapshot.Snapshot, error) {
		s, err := a.collect(ctx, cf)
		if err != nil {
			return report.Report{}, nil, err
		}
		r, err := e.Evaluate(ctx, s)
		if err != nil {
			return report.Report{}, nil, scanErr(err)
		}
		return r, s, nil
	}
	r, s, err := scanOnce()
	if err != nil {
		return err
	}
	sel := remediate.Selection{Only: f.only, Controls: f.controls, Namespaces: cf.namespaces}
	opts := remediate.Options{Snapshot: s, AllowDeletion: f.plan.allowDeletion, AllowNarrowing: f.plan.allowNarrowing, TrustPattern: f.plan.trustMatch}
	p, err := remediate.Make(r, opts)
	if err != nil {
		return usageErr("%w", err)
	}
	now, later, listed := split(p, sel)
	if err := a.showApply(p, now, later, listed); err != nil {
		return err
	}
	if len(now)+len(later) == 0 {
		_, _ = fmt.Fprintln(a.stderr, "wiscan: nothing to apply") // best effort: exit 0 says it too
		return nil
	}
	if !f.yes && !f.dryRun {
		if err := a.confirm(len(now) + len(later)); err != nil {
			return err
		}
	}
	appliers, err := a.appliers(ctx, cf, now, later)
	if err != nil {
		return err
	}
	made, err := a.runSteps(ctx, now, appliers, f.dryRun)
	if err != nil || f.dryRun {
		if f.dryRun && len(later) > 0 {
			_, _ = fmt.Fprintf(a.stderr, "wiscan: %d later %s not checked: they wait for a scan after the others\n", len(later), report.Plural(len(later), "step")) // best effort
		}
		return err
	}
	if len(later) > 0 {
		// What drops static credentials or narrows a grant waits for a
		// scan that shows the identity working, and is planned again from it.
		r, s, err = a.waitFor(ctx, f, scanOnce, keys(now))
		if err != nil {
			return err
		}
		opts.Snapshot = s
		p, err = remediate.Make(r, opts)
		if err != nil {
			return usageErr("%w", err)
		}
		_, again, _ := split(p, sel)
		more, err := a.runSteps(ctx, again, appliers, false)
		made = append(made, more...)
		if err != nil {
			return err
		}
	}
	r, _, err = a.waitFor(ctx, f, scanOnce, keys(made))
	if err != nil {
		return err
	}
	return a.verdict(r, made)
}

// split sorts a plan's chosen steps: those to make now, those that wait
// for the identity to work, and those only listed (by hand, withheld, a
// Helm release's).
func split(p remediate.Plan, sel remediate.Selection) (now, later, listed []remediate.Step) {
	for _, s := range p.Steps {
		switch {
		case !sel.Chosen(s):
		case !s.Runnable() || !slices.Contains(appliable, s.Target()):
			listed = append(listed, s)
		case laterAction(s.Action):
			later = append(later, s)
		default:
			now = append(now, s)
		}
	}
	return now, later, listed
}

// appliable are the targets apply makes steps on; the others' steps are
// listed, to run from the plan.
var appliable = []string{"kubernetes", "aws", "azure", "gcp"}

func laterAction(a report.FixAction) bool {
	return slices.Contains([]report.FixAction{report.UseIdentity, report.RemoveCredentials, report.Unassign, report.Unbind, report.DisableSharedKey, report.DeleteSecret, report.DeleteKey, report.Narrow}, a)
}

// showApply writes the chosen steps as the plan's script, and says which
// are only listed.
func (a *app) showApply(p remediate.Plan, now, later, listed []remediate.Step) error {
	shown := remediate.Plan{Steps: append(append(slices.Clone(now), later...), listed...), Skipped: p.Skipped, Waived: p.Waived, Unplanned: p.Unplanned}
	if err := remediate.WriteShell(a.stdout, shown, "wiscan apply"); err != nil {
		return incomplete(err)
	}
	_, _ = fmt.Fprintf(a.stderr, "wiscan: %d %s to make now, %d after a scan shows the identity working, %d only listed (by hand, withheld, or a Helm value)\n",
		len(now), report.Plural(len(now), "step"), len(later), len(listed)) // best effort: the script above says it too
	return nil
}

// confirm asks on a terminal; elsewhere --yes is needed.
func (a *app) confirm(n int) error {
	in, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) { //nolint:gosec // G115: a file descriptor fits an int
		return usageErr("stdin is not a terminal: pass --yes to make the %d %s without asking, or --dry-run to check them", n, report.Plural(n, "step"))
	}
	_, _ = fmt.Fprintf(a.stderr, "Make these %d %s? Type yes: ", n, report.Plural(n, "step")) // best effort: the answer decides
	line, _ := bufio.NewReader(in).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return incomplete(errors.New("not confirmed: nothing was changed"))
	}
	return nil
}

// appliers builds the clients of the targets the steps change.
func (a *app) appliers(ctx context.Context, cf collectFlags, steps ...[]remediate.Step) (map[string]remediate.Applier, error) {
	need := map[string]bool{}
	for _, list := range steps {
		for _, s := range list {
			need[s.Target()] = true
		}
	}
	out := map[string]remediate.Applier{}
	if need["kubernetes"] {
		cfg, err := kube.RESTConfig(cf.kubeconfig, cf.context)
		if err != nil {
			return nil, usageErr("%w", err)
		}
		dc, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return nil, usageErr("kubernetes client: %w", err)
		}
		out["kubernetes"] = remediate.Kube{Client: dc, Now: a.now}
	}
	if need["aws"] {
		var opts []func(*config.LoadOptions) error
		if cf.region != "" {
			opts = append(opts, config.WithRegion(cf.region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, usageErr("load AWS configuration: %w", err)
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		out["aws"] = remediate.AWS{IAM: iam.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg)}
	}
	if need["azure"] {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, usageErr("Azure credentials: %w", err)
		}
		out["azure"] = remediate.Azure{Credential: cred}
	}
	if need["gcp"] {
		g, err := gcpApplier(ctx)
		if err != nil {
			return nil, usageErr("GCP clients: %w", err)
		}
		out["gcp"] = g
	}
	return out, nil
}

// gcpApplier dials the GCP clients with the application default
// credentials.
func gcpApplier(ctx context.Context) (remediate.GCP, error) {
	var g remediate.GCP
	var err error
	if g.GKE, err = container.NewClusterManagerClient(ctx); err != nil {
		return g, err
	}
	if g.Admin, err = iamadmin.NewIamClient(ctx); err != nil {
		return g, err
	}
	if g.Projects, err = resourcemanager.NewProjectsClient(ctx); err != nil {
		return g, err
	}
	if g.Folders, err = resourcemanager.NewFoldersClient(ctx); err != nil {
		return g, err
	}
	if g.Orgs, err = resourcemanager.NewOrganizationsClient(ctx); err != nil {
		return g, err
	}
	g.Storage, err = storage.NewClient(ctx)
	return g, err
}

// runSteps makes steps and says what each did; a failure names the steps
// made before it.
func (a *app) runSteps(ctx context.Context, steps []remediate.Step, appliers map[string]remediate.Applier, dryRun bool) ([]remediate.Step, error) {
	out := remediate.Run(ctx, steps, appliers, dryRun, a.log, func(verb string, s remediate.Step, c remediate.Change) {
		_, _ = fmt.Fprintf(a.stderr, "wiscan: %s: %s %s\n", verb, s.Action, report.Clean(s.Object)) // best effort: the log has it too
		if c.Wrote {
			_, _ = fmt.Fprintf(a.stderr, "  before: %s\n  after:  %s\n", report.Clean(c.Before), report.Clean(c.After)) // best effort
		}
	})
	made := append(slices.Clone(out.Applied), out.Unchanged...)
	if out.Failed == nil {
		return made, nil
	}
	var names []string
	for _, s := range out.Applied {
		names = append(names, string(s.Action)+" "+s.Object)
	}
	applied := "none"
	if len(names) > 0 {
		applied = strings.Join(names, "; ")
	}
	err := fmt.Errorf("step %s %s failed: %w; made before it: %s; run wiscan apply again to continue from there", out.Failed.Action, out.Failed.Object, out.Err, applied)
	if errors.Is(out.Err, remediate.ErrChanged) || errors.Is(out.Err, remediate.ErrNotApplicable) {
		return made, &exitError{code: exitIncomplete, err: err}
	}
	return made, incomplete(err)
}

// keys are the findings steps fix, and for each workload a step restarts
// or whose service account it changes, its restart-needed finding
// (WI-K8S-005, keyed by the workload): it stays until the rollout's pods
// carry the new binding.
func keys(steps []remediate.Step) map[string]bool {
	out := map[string]bool{}
	for _, s := range steps {
		for _, k := range s.Findings {
			out[k] = true
		}
		if s.Action == report.Restart {
			out["WI-K8S-005|"+s.Object] = true
		}
	}
	return out
}

// fixedBy says whether a finding is one of fixed: by key, or a workload's
// restart-needed finding by control and resource.
func fixedBy(f report.Finding, fixed map[string]bool) bool {
	return fixed[f.Key] || (f.ControlID == "WI-K8S-005" && fixed["WI-K8S-005|"+f.Resource.String()])
}

// waitFor scans until none of the findings is failing any more, or until
// --wait ends; the last scan is returned either way.
func (a *app) waitFor(ctx context.Context, f applyFlags, scanOnce func() (report.Report, *snapshot.Snapshot, error), fixed map[string]bool) (report.Report, *snapshot.Snapshot, error) {
	// The wall clock, not the report's: waiting is real time.
	deadline := time.Now().Add(f.wait)
	for {
		r, s, err := scanOnce()
		if err != nil {
			return r, s, err
		}
		left := remaining(r, fixed)
		if len(left) == 0 || !time.Now().Before(deadline) {
			return r, s, nil
		}
		_, _ = fmt.Fprintf(a.stderr, "wiscan: %d fixed %s still failing; scanning again in %s\n", len(left), report.Plural(len(left), "finding"), f.interval) // best effort: progress
		select {
		case <-ctx.Done():
			return r, s, incomplete(ctx.Err())
		case <-time.After(f.interval):
		}
	}
}

// remaining are the findings of fixed that still fail.
func remaining(r report.Report, fixed map[string]bool) []report.Finding {
	var out []report.Finding
	for _, f := range r.Findings {
		if f.Status == report.Fail && fixedBy(f, fixed) {
			out = append(out, f)
		}
	}
	return out
}

// verdict says which findings the steps made are gone, and fails when one
// is still there.
func (a *app) verdict(r report.Report, made []remediate.Step) error {
	fixed := keys(made)
	left := remaining(r, fixed)
	_, _ = fmt.Fprintf(a.stderr, "wiscan: %d %s made; %d %s still failing of those they fix\n", len(made), report.Plural(len(made), "step"), len(left), report.Plural(len(left), "finding")) // best effort: the exit code says it too
	if len(left) == 0 {
		return nil
	}
	for _, f := range left {
		_, _ = fmt.Fprintf(a.stderr, "  still failing: %s %s: %s\n", f.ControlID, report.Clean(f.Resource.String()), report.Clean(f.Message)) // best effort
	}
	return &exitError{code: exitFindings, err: fmt.Errorf("%d fixed %s still failing after --wait", len(left), report.Plural(len(left), "finding"))}
}
