package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/harness"
)

func collect(t *testing.T, cfg *rest.Config, opts kube.Options) *snapshot.Snapshot {
	t.Helper()
	ps, err := profiles.Resolve(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Now())
	s.Profiles = ps
	if err := kube.NewForConfig(cfg, opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	s.Sort()
	return s
}

type result struct {
	control, namespace string
	status             report.Status
}

// evaluate counts the results of the controls whose ID starts with one of
// prefixes (all of them when none is given).
func evaluate(t *testing.T, s *snapshot.Snapshot, prefixes ...string) map[result]int {
	t.Helper()
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := eng.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[result]int{}
	for _, f := range fs {
		if len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f.ControlID, p) }) {
			out[result{f.ControlID, f.Resource.Namespace, f.Status}]++
		}
	}
	return out
}

func TestSpace(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)
	ns1, ns2, ns3 := cpNamespace(1), cpNamespace(2), cpNamespace(3)

	t.Run("admin sees every control plane", func(t *testing.T) {
		s := collect(t, env.Config, kube.Options{})
		if len(s.Errors) != 0 {
			t.Fatalf("gaps: %+v", s.Errors)
		}
		if got := s.Profiles[0].Targets; len(got) != 4 {
			t.Fatalf("targets %v, want the 4 control plane namespaces", got)
		}
		if !s.Kubernetes.Spaces.Kinds["SharedBackupConfig"] || s.Kubernetes.Spaces.Kinds["SpaceBackupConfig"] {
			t.Errorf("Spaces kinds %v: want SharedBackupConfig served, SpaceBackupConfig not", s.Kubernetes.Spaces.Kinds)
		}
		sec := s.Kubernetes.Secrets[ns3]["backup-creds"]
		if len(sec.Credentials) != 2 || sec.Credentials[0].Fingerprint != "AKIA…MPLE" {
			t.Errorf("backup-creds classified as %+v", sec.Credentials)
		}
		var buf bytes.Buffer
		if err := snapshot.Save(&buf, s); err != nil {
			t.Fatal(err)
		}
		if err := snapshot.Validate(buf.Bytes()); err != nil {
			t.Errorf("live snapshot breaks its schema: %v", err)
		}
		for _, v := range []string{exampleKeyID, exampleSecret} {
			if strings.Contains(buf.String(), v) {
				t.Error("the snapshot holds a Secret value")
			}
		}
		want := map[result]int{
			{"WI-K8S-003", ns1, report.Fail}:      1, // the eks.amazon.aws typo
			{"WI-K8S-002", ns1, report.Unknown}:   1, // no IRSA annotation: Pod Identity unknown without AWS data
			{"WI-K8S-001", ns2, report.Fail}:      2, // no mxp-controller, workload under default
			{"WI-K8S-010", ns3, report.Fail}:      1, // static key pair in a Secret
			{"WI-K8S-011", ns3, report.Fail}:      1, // read through env
			{"WI-K8S-012", "team-a", report.Fail}: 1,
		}
		// The AWS side is not collected here: its controls are checked
		// end to end in aws_test.go.
		assertResults(t, evaluate(t, s, "WI-K8S-", "WI-SCAN-"), want)
	})

	t.Run("restricted user: per-namespace lists, gaps unknown", func(t *testing.T) {
		c.restrictedUser(env, "auditor", cpNamespace(0), ns1)
		s := collect(t, env.User(t, "auditor"), kube.Options{})
		gaps := map[string]string{}
		for _, e := range s.Errors {
			gaps[e.Kind+"/"+e.Namespace] = e.Reason
		}
		for _, k := range []string{"ServiceAccount/" + ns2, "Secret/" + ns3, "Pod/" + ns2, "Deployment/" + ns3, "SharedBackupConfig/"} {
			if gaps[k] != "forbidden" {
				t.Errorf("gap %s: %q, want forbidden (gaps %v)", k, gaps[k], gaps)
			}
		}
		if _, ok := gaps["ServiceAccount/"+ns1]; ok {
			t.Error("a gap for an allowed namespace")
		}
		got := evaluate(t, s)
		if got[result{"WI-K8S-003", ns1, report.Fail}] != 1 {
			t.Error("the typo in an allowed namespace was not found")
		}
		// Unreadable data is unknown, never passed and never failed.
		for _, k := range []result{{"WI-K8S-010", ns3, report.Unknown}, {"WI-K8S-001", ns2, report.Unknown}, {"WI-K8S-012", "", report.Unknown}} {
			if got[k] == 0 {
				t.Errorf("want %v", k)
			}
		}
		for _, k := range []result{{"WI-K8S-010", ns3, report.Fail}, {"WI-K8S-001", ns2, report.Fail}} {
			if got[k] != 0 {
				t.Errorf("%v failed on data the user cannot read", k)
			}
		}
		if got[result{"WI-SCAN-001", ns2, report.Fail}] == 0 {
			t.Error("no WI-SCAN-001 for the forbidden namespace")
		}
	})

	t.Run("cli scan of the live cluster", func(t *testing.T) {
		r := scanCLI(t, env, nil, "--skip-cloud")
		if r.Source.Mode != "live" || r.Summary.Findings[report.Critical] != 3 {
			t.Errorf("report source %+v, critical findings %d, want live and 3", r.Source, r.Summary.Findings[report.Critical])
		}
	})
}

// scanCLI runs wiscan scan on the cluster with extra environment and
// arguments, and returns its JSON report; the scan must exit 1.
func scanCLI(t *testing.T, env *harness.Env, environ []string, args ...string) report.Report {
	t.Helper()
	bin := buildCLI(t)
	kc := env.Kubeconfig(t, t.TempDir())
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"scan", "--kubeconfig", kc, "--format", "json"}, args...)...) //nolint:gosec // G204: runs the binary or script the test built or ships
	cmd.Env = append(os.Environ(), environ...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr: %s", err, stderr.String())
	}
	var r report.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// cli is the wiscan binary the package's tests run, built once.
var cli struct {
	once sync.Once
	dir  string
	err  error
}

// buildCLI builds wiscan once for the package's tests; TestMain removes it.
func buildCLI(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "wiscan-e2e-"); cli.err != nil {
			return
		}
		cmd := exec.CommandContext(context.Background(), "go", "build", "-o", filepath.Join(cli.dir, "wiscan"), "github.com/wiscan/wiscan/cmd/wiscan") //nolint:gosec // G204: go build of this module into a temporary folder
		cmd.Stderr = os.Stderr
		cli.err = cmd.Run()
	})
	if cli.err != nil {
		t.Fatalf("build wiscan: %v", cli.err)
	}
	return filepath.Join(cli.dir, "wiscan")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		_ = os.RemoveAll(cli.dir) // a temporary folder
	}
	os.Exit(code)
}

func assertResults(t *testing.T, got, want map[result]int) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s %s in %s: %d, want %d", k.control, k.status, k.namespace, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s %s in %s (%d)", k.control, k.status, k.namespace, n)
		}
	}
}

// The number of API calls does not grow with the number of control planes:
// each kind is listed once across the cluster. A small page size shows that
// pagination still collects every object.
func TestListCallsDoNotGrowWithNamespaces(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	add := func(from, to int) {
		for i := from; i < to; i++ {
			c.namespace(cpNamespace(i), nil)
			c.serviceAccount(cpNamespace(i), "mxp-controller", map[string]string{"eks.amazonaws.com/role-arn": roleARN})
		}
	}
	add(0, 3)
	small := collect(t, env.Config, kube.Options{})
	add(3, 60)
	large := collect(t, env.Config, kube.Options{})
	if len(large.Kubernetes.ServiceAccounts) != 60 {
		t.Fatalf("collected service accounts in %d namespaces, want 60", len(large.Kubernetes.ServiceAccounts))
	}
	if a, b := small.Stats[0].APICalls, large.Stats[0].APICalls; a != b {
		t.Errorf("API calls: %d with 3 control planes, %d with 60; want equal", a, b)
	}
	paged := collect(t, env.Config, kube.Options{PageSize: 7})
	if len(paged.Kubernetes.ServiceAccounts) != 60 {
		t.Errorf("with page size 7: service accounts in %d namespaces, want 60", len(paged.Kubernetes.ServiceAccounts))
	}
	if paged.Stats[0].APICalls <= large.Stats[0].APICalls {
		t.Errorf("page size 7 made %d calls, no more than one page per list (%d)", paged.Stats[0].APICalls, large.Stats[0].APICalls)
	}
	t.Logf("API calls: %d for 3 and for 60 control planes; %d with page size 7", small.Stats[0].APICalls, paged.Stats[0].APICalls)
}
