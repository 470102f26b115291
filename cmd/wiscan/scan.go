package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/snapshot"
)

// collectFlags choose the source and the profiles.
type collectFlags struct {
	evidence     string
	kubeconfig   string
	context      string
	timeout      time.Duration
	profiles     []string
	profileFiles []string
	cloud        string
	skipCloud    bool
	skipSecrets  bool
	namespaces   []string
	loadMemory   int64
	region       string
	clusterName  string
	trustQuota   int
	azure        azureFlags
	gcp          gcpFlags
}

// gcpFlags name what the GCP collector reads.
type gcpFlags struct {
	project, location, cluster string
	buckets                    []string
}

func (f gcpFlags) set() bool {
	return f.project != "" || f.location != "" || f.cluster != "" || len(f.buckets) > 0
}

// azureFlags name what the Azure collector reads.
type azureFlags struct {
	subscriptions   []string
	resourceGroup   string
	cluster         string
	storageAccounts []string
}

func (f azureFlags) set() bool {
	return len(f.subscriptions) > 0 || f.resourceGroup != "" || f.cluster != "" || len(f.storageAccounts) > 0
}

func (f *collectFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.evidence, "evidence", "", "read exported files from this directory (or file) instead of the live cluster")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout for each API call (greater than 0)")
	fl.StringArrayVar(&f.profiles, "profile", nil, fmt.Sprintf("built-in profile, repeatable (%s; default %s)", strings.Join(profiles.Builtin(), ", "), profiles.Default))
	fl.StringArrayVar(&f.profileFiles, "profile-file", nil, "user profile file (YAML), repeatable")
	fl.StringVar(&f.cloud, "cloud", "", fmt.Sprintf("cloud in use for every profile: %s (default: the profile's, else inferred)", strings.Join(clouds.Names(), ", ")))
	fl.BoolVar(&f.skipCloud, "skip-cloud", false, "do not read the cloud's IAM state (its controls are then unknown)")
	fl.BoolVar(&f.skipSecrets, "skip-secrets", false, "read no Secret, live or from evidence: the controls on Secrets' content do not apply, and say why (for a scanner without get/list on secrets)")
	fl.StringArrayVarP(&f.namespaces, "namespace", "n", nil, "confine a live scan to this namespace, repeatable, with namespaced reads only (for a scanner bound by RoleBindings in these namespaces, the chart's rbac.namespaces): name the control plane namespaces and their groups' namespaces; cluster-scoped kinds (nodes, SpaceBackupConfig) are not read, and the controls that need them say so")
	fl.StringVar(&f.region, "region", "", "AWS region (default: the SDK's, else the region in an EKS context's ARN)")
	fl.StringVar(&f.clusterName, "cluster-name", "", "EKS cluster name (default: from a kubeconfig context named after the cluster's ARN)")
	fl.StringArrayVar(&f.azure.subscriptions, "azure-subscription", nil, "Azure subscription in scope, repeatable: the AKS cluster's first; a client ID is proven absent only in these (default: AZURE_SUBSCRIPTION_ID)")
	fl.StringVar(&f.azure.resourceGroup, "azure-resource-group", "", "resource group of the AKS cluster")
	fl.StringVar(&f.azure.cluster, "azure-cluster", "", "AKS cluster name")
	fl.StringArrayVar(&f.azure.storageAccounts, "azure-storage-account", nil, "backup storage account, repeatable (default: those the backup configurations name)")
	fl.StringVar(&f.gcp.project, "gcp-project", "", "GCP project of the GKE cluster (default: from a gke_<project>_<location>_<cluster> kubeconfig context, else the project of the Google service accounts in use)")
	fl.StringVar(&f.gcp.location, "gcp-location", "", "GKE cluster location, a region or zone (default: from a gke_ kubeconfig context)")
	fl.StringVar(&f.gcp.cluster, "gcp-cluster", "", "GKE cluster name (default: from a gke_ kubeconfig context)")
	fl.StringArrayVar(&f.gcp.buckets, "gcp-bucket", nil, "backup bucket, repeatable (default: those the profiles and backup configurations name)")
	fl.Int64Var(&f.loadMemory, "load-memory", limits.Load>>20, "limit in MiB of the heap while the cluster, the evidence and the clouds are read (greater than 0; by default 40% of the container's memory limit, else 4096); past it the scan ends with exit 3 saying what was read")
	fl.IntVar(&f.trustQuota, "aws-trust-policy-quota", 0, "the account's role trust policy length quota, if raised from IAM's default of 2048 (0 or more; 0 means the default)")
}

// check rejects values outside the flags' ranges.
func (f *collectFlags) check() error {
	if f.timeout <= 0 {
		return usageErr("--timeout %s: want a duration greater than 0", f.timeout)
	}
	if f.loadMemory <= 0 {
		return usageErr("--load-memory %d: want a number of MiB greater than 0", f.loadMemory)
	}
	if f.trustQuota < 0 {
		return usageErr("--aws-trust-policy-quota %d: want 0 or more", f.trustQuota)
	}
	seen := map[string]bool{}
	var names []string
	for _, ns := range f.namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return usageErr("--namespace %q: want a namespace name (%s)", report.Clean(ns), strings.Join(errs, "; "))
		}
		if !seen[ns] {
			seen[ns] = true
			names = append(names, ns)
		}
	}
	f.namespaces = names
	if len(f.namespaces) > 0 && f.evidence != "" {
		return usageErr("--namespace confines a live scan's reads; with --evidence, export only those namespaces, or name them in a profile")
	}
	return nil
}

// evalFlags choose the policies and the outputs.
type evalFlags struct {
	policies      []string
	formats       []string
	failOn        string
	failOnUnknown bool
	allowEmpty    bool
	evalTimeout   time.Duration
	evalMemory    int64
	workers       int
	evalProfile   int
	applyReports  bool
	reportAPI     string
	waivers       string
	baseline      string
	pushgateway   string
	pushJob       string
	pushLabels    []string
	flags         *pflag.FlagSet
}

// gate is what decides the exit code.
type gate struct {
	failOn        report.Severity
	failOnUnknown bool
	allowEmpty    bool
	// reportAPI is the PolicyReports' API group.
	reportAPI string
	// profile, above 0, prints the evaluation's costliest expressions.
	profile int
	// apply, when set, applies the PolicyReports with the kubeconfig and
	// context it names.
	apply *kubeTarget
}

// kubeTarget is where PolicyReports are applied: the cluster, and in
// namespaced mode the namespaces the scan is confined to.
type kubeTarget struct {
	kubeconfig, context string
	namespaces          []string
}

func (f *evalFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.flags = fl
	fl.StringArrayVar(&f.policies, "policy", nil, "directory of user Rego policies, repeatable")
	fl.StringArrayVarP(&f.formats, "output", "o", []string{"table"}, "output as FORMAT or FORMAT=FILE, repeatable: "+report.FormatHelp()+"; --format is the same flag")
	fl.StringVar(&f.failOn, "fail-on", string(report.High), "exit 1 when a finding is at or above this severity (info, low, medium, high, critical, none)")
	fl.BoolVar(&f.failOnUnknown, "fail-on-unknown", true, "exit 3 when a result at or above --fail-on is unknown for want of data (--fail-on-unknown=false reports it and exits 0)")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "let a profile match no namespace (by default that ends the scan with exit 3 naming the profile)")
	fl.DurationVar(&f.evalTimeout, "eval-timeout", engine.DefaultEvalTimeout, "time limit of the policy evaluation (greater than 0); past it the scan ends with exit 3 naming the policy")
	fl.StringVar(&f.waivers, "waivers", "", "a waivers file (YAML): findings it names by key or fingerprint, with a reason and an end within a year, stay in the report and leave the exit code alone")
	fl.StringVar(&f.baseline, "baseline", "", "an earlier JSON report: its failures are accepted, so only new findings fail the scan")
	fl.StringVar(&f.pushgateway, "pushgateway", "", "push the scan's metrics to this Prometheus Pushgateway URL (http or https; user:password@ is sent as basic authentication), replacing the job's earlier push")
	fl.StringVar(&f.pushJob, "pushgateway-job", "wiscan", "the job the metrics are pushed under")
	fl.StringArrayVar(&f.pushLabels, "pushgateway-label", nil, "a grouping label NAME=VALUE of the pushed metrics (such as cluster=prod), repeatable")
	fl.IntVar(&f.evalProfile, "eval-profile", 0, "after the outputs, evaluate once more under OPA's profiler and print to stderr the N policy expressions that took longest (file:line, time, evaluations), to find what a policy costs (0, the default: no profile)")
	fl.IntVar(&f.workers, "workers", 0, "how many groups of controls are evaluated side by side (1 or more; default: the CPUs the process may use, GOMAXPROCS); the report is the same whatever the number")
	fl.Int64Var(&f.evalMemory, "eval-memory", limits.Eval>>20, "limit in MiB of the heap during the policy evaluation (greater than 0; by default 75% of the container's memory limit, else 4096); past it the scan ends with exit 3 naming the policy")
	fl.BoolVar(&f.applyReports, "apply-policyreports", false, "apply the results to the cluster as PolicyReports (server-side apply, field manager wiscan; needs the CRD and write access to the reports): the one write wiscan makes, and only when asked")
	fl.StringVar(&f.reportAPI, "policyreport-api", "wgpolicyk8s.io", "the API group of the PolicyReports written and applied: "+strings.Join(report.PolicyReportAPIs, " or ")+" (OpenReports' Report and ClusterReport)")
}

func (a *app) scanCommand() *cobra.Command {
	var cf collectFlags
	var ef evalFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Collect and evaluate in one step",
		Long: `Collect the cluster state (live, or from --evidence files), evaluate every
control and write the report.`,
		Example: `  wiscan scan --evidence testdata/evidence/broken-space
  wiscan scan --context prod --format table --format json=report.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			outs, g, e, err := a.prepare(cmd.Context(), a.config(cf, ef), ef)
			if err != nil {
				return err
			}
			if g.apply != nil {
				g.apply.kubeconfig, g.apply.context, g.apply.namespaces = cf.kubeconfig, cf.context, cf.namespaces
			}
			s, err := a.collect(cmd.Context(), cf)
			if err != nil {
				return err
			}
			return a.evaluate(cmd.Context(), e, s, outs, g)
		},
	}
	cf.register(cmd)
	ef.register(cmd)
	return cmd
}

func (f *evalFlags) parse() ([]output, gate, error) {
	if f.evalTimeout <= 0 {
		return nil, gate{}, usageErr("--eval-timeout %s: want a duration greater than 0", f.evalTimeout)
	}
	if f.workers < 0 || (f.workers == 0 && f.flags != nil && f.flags.Changed("workers")) {
		return nil, gate{}, usageErr("--workers %d: want 1 or more", f.workers)
	}
	if f.evalProfile < 0 {
		return nil, gate{}, usageErr("--eval-profile %d: want 0 or more", f.evalProfile)
	}
	if f.evalMemory <= 0 {
		return nil, gate{}, usageErr("--eval-memory %d: want a number of MiB greater than 0", f.evalMemory)
	}
	failOn, err := report.ParseSeverity(f.failOn)
	if err != nil {
		return nil, gate{}, usageErr("--fail-on: %w", err)
	}
	if failOn == report.None && f.failOnUnknown && f.flags != nil && f.flags.Changed("fail-on-unknown") {
		return nil, gate{}, usageErr("--fail-on none and --fail-on-unknown contradict each other: nothing is at or above none")
	}
	outs, err := parseFormats(f.formats)
	if err != nil {
		return nil, gate{}, err
	}
	push, err := f.pushOutput()
	if err != nil {
		return nil, gate{}, err
	}
	if push != nil {
		outs = append(outs, *push)
	}
	if _, ok := report.LookupPolicyReportAPI(f.reportAPI); !ok || f.reportAPI == "" {
		return nil, gate{}, usageErr("--policyreport-api %q: want one of %s", f.reportAPI, strings.Join(report.PolicyReportAPIs, ", "))
	}
	g := gate{failOn: failOn, failOnUnknown: f.failOnUnknown, allowEmpty: f.allowEmpty, reportAPI: f.reportAPI, profile: f.evalProfile}
	if f.applyReports {
		g.apply = &kubeTarget{}
	}
	return outs, g, nil
}

// pushOutput reads the Pushgateway flags: nil without --pushgateway.
func (f *evalFlags) pushOutput() (*output, error) {
	if f.pushgateway == "" {
		if len(f.pushLabels) > 0 || (f.flags != nil && f.flags.Changed("pushgateway-job")) {
			return nil, usageErr("--pushgateway-job and --pushgateway-label need --pushgateway")
		}
		return nil, nil
	}
	pg := &report.Pushgateway{URL: f.pushgateway, Job: f.pushJob, Grouping: map[string]string{}}
	for _, l := range f.pushLabels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, usageErr("--pushgateway-label %q: want NAME=VALUE", l)
		}
		pg.Grouping[k] = v
	}
	if err := pg.Check(); err != nil {
		return nil, usageErr("--pushgateway: %w", err)
	}
	return &output{push: pg}, nil
}

// config maps the flags to a scan configuration.
func (a *app) config(cf collectFlags, ef evalFlags) scan.Config {
	return scan.Config{
		Profiles: cf.profiles, ProfileFiles: cf.profileFiles, Cloud: cf.cloud, Evidence: cf.evidence, LoadMemory: cf.loadMemory << 20,
		Kube: scan.Kube{Kubeconfig: cf.kubeconfig, Context: cf.context, Timeout: cf.timeout, SkipSecrets: cf.skipSecrets, Namespaces: cf.namespaces},
		AWS:  scan.AWS{Skip: cf.skipCloud, Region: cf.region, ClusterName: cf.clusterName, TrustPolicyQuota: cf.trustQuota},
		Azure: scan.Azure{Skip: cf.skipCloud, Subscriptions: azureSubscriptions(cf.azure.subscriptions), ResourceGroup: cf.azure.resourceGroup,
			Cluster: cf.azure.cluster, StorageAccounts: cf.azure.storageAccounts, Asked: cf.azure.set()},
		GCP: scan.GCP{Skip: cf.skipCloud, Project: cf.gcp.project, Location: cf.gcp.location, Cluster: cf.gcp.cluster,
			Buckets: cf.gcp.buckets, Asked: cf.gcp.set()},
		Policies: scan.Policies{Dirs: ef.policies, EvalTimeout: ef.evalTimeout, MaxMemory: ef.evalMemory << 20, Workers: ef.workers},
		Accept:   scan.Accept{Waivers: ef.waivers, Baseline: ef.baseline},
		Version:  currentVersion(), Log: a.log, Progress: a.progress(), ProgressDone: a.endProgress, Now: a.now,
	}
}

// scanErr maps the pipeline's errors to exit codes: a refused
// configuration is a usage error, anything else an incomplete scan.
func scanErr(err error) error {
	if errors.Is(err, scan.ErrConfig) {
		return usageErr("%w", err)
	}
	return incomplete(err)
}

// prepare checks the evaluation flags and compiles the policies, before any
// collection starts.
func (a *app) prepare(ctx context.Context, c scan.Config, f evalFlags) ([]output, gate, *scan.Evaluator, error) {
	outs, g, err := f.parse()
	if err != nil {
		return nil, gate{}, nil, err
	}
	e, err := scan.NewEvaluator(ctx, c)
	if err != nil {
		return nil, gate{}, nil, scanErr(err)
	}
	return outs, g, e, nil
}

// collect builds a snapshot from the live cluster or the evidence.
func (a *app) collect(ctx context.Context, f collectFlags) (*snapshot.Snapshot, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if f.evidence != "" && (f.kubeconfig != "" || f.context != "" || f.region != "" || f.clusterName != "" || f.azure.set() || f.gcp.set()) {
		return nil, usageErr("--evidence reads files; it does not take --kubeconfig, --context, --region, --cluster-name, --azure-* or --gcp-* flags")
	}
	if _, ok := clouds.Get(f.cloud); f.cloud != "" && !ok {
		return nil, usageErr("--cloud %q: want one of %s", f.cloud, strings.Join(clouds.Names(), ", "))
	}
	s, err := scan.Collect(ctx, a.config(f, evalFlags{}))
	if err != nil {
		return nil, scanErr(err)
	}
	return s, nil
}

// evaluate runs the policies, writes every output and decides the exit:
// 1 for findings at or above --fail-on, 3 for unknowns there (with
// --fail-on-unknown) or a profile that matched nothing (without
// --allow-empty), else 0.
func (a *app) evaluate(ctx context.Context, e *scan.Evaluator, s *snapshot.Snapshot, outs []output, g gate) error {
	r, err := e.Evaluate(ctx, s)
	if err != nil {
		return scanErr(err)
	}
	// The PolicyReports go first, so that the metrics pushed after them
	// count a failed delivery; the failure is said after every output.
	var undelivered error
	if g.apply != nil {
		cfg, err := kube.RESTConfig(g.apply.kubeconfig, g.apply.context)
		if err == nil {
			err = applyPolicyReports(ctx, cfg, r, g.reportAPI, g.apply.namespaces)
		}
		if err != nil {
			undelivered = err
			r.Undelivered = append(r.Undelivered, "policyreport")
		}
	}
	if err := a.write(ctx, r, outs, g); err != nil {
		return incomplete(err)
	}
	if g.profile > 0 {
		if err := a.profile(ctx, e, s, g.profile); err != nil {
			return incomplete(err)
		}
	}
	if undelivered != nil {
		_, _ = fmt.Fprintf(a.stderr, "wiscan: PolicyReports not applied: %s\n", report.Clean(undelivered.Error())) // best effort: the exit code says it too
		if r.ExitCode(g.failOn, g.failOnUnknown) != report.ExitFindings {
			return incomplete(fmt.Errorf("PolicyReports not applied: %w", undelivered))
		}
	}
	var empty []string
	for _, p := range r.Profiles {
		if p.Targets == 0 {
			empty = append(empty, p.Name)
		}
	}
	code := r.ExitCode(g.failOn, g.failOnUnknown)
	if len(empty) > 0 && !g.allowEmpty {
		err := fmt.Errorf("profile %s matched no namespace: nothing was checked for it (check its namespace pattern, names or selector; --allow-empty accepts it)", strings.Join(empty, ", "))
		if code != report.ExitFindings {
			return incomplete(err)
		}
		// Findings come first; the empty profile is still said.
		_, _ = fmt.Fprintf(a.stderr, "wiscan: %s\n", report.Clean(err.Error())) // best effort: exit 1 says the rest
	}
	switch code {
	case report.ExitFindings:
		return findingsErr
	case report.ExitIncomplete:
		return unknownErr
	}
	return nil
}

func (a *app) collectCommand() *cobra.Command {
	var cf collectFlags
	var out string
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a snapshot without evaluating it",
		Long:  "Collect the cluster state into a snapshot file that 'wiscan eval' reads later. Secret values are never written.",
		Example: `  wiscan collect -o snapshot.json
  wiscan collect --evidence ./bundle -o snapshot.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := snapshotPath(out)
			if err != nil {
				return err
			}
			s, err := a.collect(cmd.Context(), cf)
			if err != nil {
				return err
			}
			w, err := a.create(path)
			if err != nil {
				return incomplete(err)
			}
			if err := snapshot.Save(w, s); err != nil {
				w.abort()
				return incomplete(err)
			}
			if err := w.commit(); err != nil {
				return incomplete(err)
			}
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "-", "where the snapshot goes: FILE, json or json=FILE (- or json for stdout); --format is the same flag")
	return cmd
}

// snapshotPath reads collect's -o: a file, or the one format a snapshot
// has, json, as every command spells its outputs.
func snapshotPath(out string) (string, error) {
	name, path, hasPath := strings.Cut(out, "=")
	switch {
	case out == "json":
		return "-", nil
	case hasPath && strings.EqualFold(name, "json"):
		return path, nil
	case hasPath:
		return "", usageErr("--output %q: a snapshot is json (json=FILE), or give a file", out)
	}
	return out, nil
}

func (a *app) evalCommand() *cobra.Command {
	var ef evalFlags
	cmd := &cobra.Command{
		Use:     "eval SNAPSHOT",
		Short:   "Evaluate a snapshot written by 'wiscan collect'",
		Example: `  wiscan eval snapshot.json --format json=report.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, g, e, err := a.prepare(cmd.Context(), a.config(collectFlags{}, ef), ef)
			if err != nil {
				return err
			}
			s, err := readSnapshot(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.evaluate(cmd.Context(), e, s, outs, g)
		},
	}
	ef.register(cmd)
	return cmd
}

// azureSubscriptions are the flags', else AZURE_SUBSCRIPTION_ID.
func azureSubscriptions(flags []string) []string {
	if len(flags) > 0 {
		return flags
	}
	if s := strings.TrimSpace(os.Getenv("AZURE_SUBSCRIPTION_ID")); s != "" {
		return []string{s}
	}
	return nil
}

// profile prints the evaluation's n costliest policy expressions.
func (a *app) profile(ctx context.Context, e *scan.Evaluator, s *snapshot.Snapshot, n int) error {
	costs, err := e.Profile(ctx, s, n)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wiscan: the evaluation's %d costliest expressions, under OPA's profiler:\n", len(costs))
	for _, c := range costs {
		fmt.Fprintf(&b, "%10s %9d  %s\n", c.Time.Round(time.Microsecond), c.Evals, report.Clean(c.Location))
	}
	_, err = io.WriteString(a.stderr, b.String())
	return err
}
