package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wiscan/wiscan/remediate"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

// applyCLI runs wiscan apply on the cluster and returns its exit code and
// output.
func applyCLI(t *testing.T, bin, kubeconfig string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"apply", "--kubeconfig", kubeconfig, "--skip-cloud"}, args...)...) //nolint:gosec // G204: the binary the test built
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// rollouts stands in for the controllers the test server lacks: when a
// Deployment's pod template is stamped by a restart, its pod is replaced
// by one that carries what the EKS webhook injects for the service
// account's role, after a delay, so that apply has to wait for it.
func rollouts(t *testing.T, c *cluster, namespaces ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		seen := map[string]string{}
		for ctx.Err() == nil {
			for _, ns := range namespaces {
				d, err := c.cs.AppsV1().Deployments(ns).Get(ctx, "mxp-controller", metav1.GetOptions{})
				if err != nil {
					continue
				}
				stamp := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
				if stamp == "" || seen[ns] == stamp {
					continue
				}
				seen[ns] = stamp
				time.Sleep(2 * time.Second)
				sa, err := c.cs.CoreV1().ServiceAccounts(ns).Get(ctx, "mxp-controller", metav1.GetOptions{})
				if err != nil {
					continue
				}
				var env []corev1.EnvVar
				if arn := sa.Annotations["eks.amazonaws.com/role-arn"]; arn != "" {
					env = irsaEnv
				}
				_ = c.cs.CoreV1().Pods(ns).Delete(ctx, "mxp-controller-7d9f8b6c5d-x2x4z", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
				for ctx.Err() == nil {
					if _, err := c.cs.CoreV1().Pods(ns).Get(ctx, "mxp-controller-7d9f8b6c5d-x2x4z", metav1.GetOptions{}); err != nil {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
				c.pod(ns, append(d.Spec.Template.Spec.Containers[0].Env, env...)) //nolint:contextcheck // the pod is created as the fixture creates it
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// On the real API server: a dry run changes nothing; apply moves the
// misspelt annotation, restarts the workload and waits until its new pod
// carries the role; applying again finds nothing to do and writes
// nothing; the steps that drop static credentials stay listed while the
// AWS side is unknown.
func TestApplyFixesTheSpace(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)
	ctx := context.Background()
	bin := buildCLI(t)
	kc := env.Kubeconfig(t, t.TempDir())
	ns1 := cpNamespace(1)

	code, script, stderr := applyCLI(t, bin, kc, "--dry-run")
	if code != 0 || !strings.Contains(stderr, "wiscan: dry run passed: rename-key ServiceAccount/"+ns1+"/mxp-controller") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stderr, script)
	}
	sa, err := c.cs.CoreV1().ServiceAccounts(ns1).Get(ctx, "mxp-controller", metav1.GetOptions{})
	c.must(err)
	if sa.Annotations["eks.amazon.aws/role-arn"] != roleARN {
		t.Fatalf("the dry run changed the service account: %v", sa.Annotations)
	}
	if !strings.Contains(script, "# Step") || !strings.Contains(stderr, "only listed") {
		t.Errorf("the steps are not shown:\n%s\n%s", script, stderr)
	}

	// Without a terminal apply asks for --yes.
	if code, _, stderr := applyCLI(t, bin, kc); code != 2 || !strings.Contains(stderr, "pass --yes") {
		t.Errorf("without --yes: exit %d: %s", code, stderr)
	}

	rollouts(t, c, ns1)
	code, _, stderr = applyCLI(t, bin, kc, "--yes", "--wait", "90s", "--interval", "1s")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"wiscan: applied: rename-key ServiceAccount/" + ns1 + "/mxp-controller\n  before: [\"/metadata/annotations/eks.amazonaws.com~1role-arn absent\"]\n  after:  [\"/metadata/annotations/eks.amazonaws.com~1role-arn=\\\"" + roleARN + "\\\"\"]",
		"wiscan: applied: restart Deployment/" + ns1 + "/mxp-controller",
		"still failing; scanning again in 1s",
		"0 findings still failing of those they fix",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("apply does not say %q:\n%s", want, stderr)
		}
	}
	sa, err = c.cs.CoreV1().ServiceAccounts(ns1).Get(ctx, "mxp-controller", metav1.GetOptions{})
	c.must(err)
	if sa.Annotations["eks.amazonaws.com/role-arn"] != roleARN || sa.Annotations["eks.amazon.aws/role-arn"] != "" {
		t.Errorf("annotations after apply: %v", sa.Annotations)
	}
	for _, f := range scanCLI(t, env, nil, "--skip-cloud").Findings {
		if slices.Contains([]string{"WI-K8S-002", "WI-K8S-003", "WI-K8S-005"}, f.ControlID) && f.Resource.Namespace == ns1 {
			t.Errorf("still found after apply: %s %s", f.ControlID, f.Message)
		}
	}

	// Applying again: nothing to do, nothing written.
	before := versions(t, c)
	code, _, stderr = applyCLI(t, bin, kc, "--yes")
	if code != 0 || !strings.Contains(stderr, "wiscan: nothing to apply") {
		t.Errorf("second apply: exit %d\n%s", code, stderr)
	}
	if after := versions(t, c); after != before {
		t.Errorf("the second apply wrote:\n%s\n%s", before, after)
	}
}

// versions are the resourceVersions of every object a step could change.
func versions(t *testing.T, c *cluster) string {
	t.Helper()
	var b strings.Builder
	for i := range 4 {
		ns := cpNamespace(i)
		sas, err := c.cs.CoreV1().ServiceAccounts(ns).List(context.Background(), metav1.ListOptions{})
		c.must(err)
		for _, s := range sas.Items {
			b.WriteString(ns + "/" + s.Name + "@" + s.ResourceVersion + " ")
		}
		ds, err := c.cs.AppsV1().Deployments(ns).List(context.Background(), metav1.ListOptions{})
		c.must(err)
		for _, d := range ds.Items {
			b.WriteString(ns + "/" + d.Name + "@" + d.ResourceVersion + " ")
		}
	}
	return b.String()
}

// A change made between the scan and the writes is found before any write:
// every step is checked first, so the move planned for one service account
// is not made when the annotation planned for another has changed.
func TestApplyDetectsAChangeBeforeAnyWrite(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)
	ctx := context.Background()
	ns0, ns1 := cpNamespace(0), cpNamespace(1)
	sa, err := c.cs.CoreV1().ServiceAccounts(ns0).Get(ctx, "mxp-controller", metav1.GetOptions{})
	c.must(err)
	sa.Annotations["eks.amazonaws.com/role-arn"] = " " + roleARN
	_, err = c.cs.CoreV1().ServiceAccounts(ns0).Update(ctx, sa, metav1.UpdateOptions{})
	c.must(err)

	bin := buildCLI(t)
	dir := t.TempDir()
	kc := env.Kubeconfig(t, dir)
	snap, rep := filepath.Join(dir, "s.json"), filepath.Join(dir, "r.json")
	for _, args := range [][]string{{"collect", "--kubeconfig", kc, "--skip-cloud", "-o", snap}, {"eval", snap, "-o", "json=" + rep, "--fail-on", "none", "--fail-on-unknown=false"}} {
		if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil { //nolint:gosec // G204: the binary the test built
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	p := planFiles(t, rep, snap)
	var steps []remediate.Step
	for _, s := range p.Steps {
		if s.Runnable() && s.Target() == "kubernetes" && s.Action != report.Restart {
			steps = append(steps, s)
		}
	}
	// The step whose object changes comes last, so that only the check of
	// every step before any write keeps the first from being made.
	slices.SortFunc(steps, func(a, b remediate.Step) int { return strings.Compare(b.Object, a.Object) })
	if len(steps) != 2 || steps[0].Object != "ServiceAccount/"+ns1+"/mxp-controller" || steps[1].Object != "ServiceAccount/"+ns0+"/mxp-controller" {
		t.Fatalf("steps %+v", steps)
	}
	// The last step's object changes after the scan.
	sa, err = c.cs.CoreV1().ServiceAccounts(ns0).Get(ctx, "mxp-controller", metav1.GetOptions{})
	c.must(err)
	sa.Annotations["eks.amazonaws.com/role-arn"] = roleARN + "-renamed"
	_, err = c.cs.CoreV1().ServiceAccounts(ns0).Update(ctx, sa, metav1.UpdateOptions{})
	c.must(err)
	before := versions(t, c)

	out := remediate.Run(ctx, steps, map[string]remediate.Applier{"kubernetes": remediate.Kube{Client: c.dyn}}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Object != "ServiceAccount/"+ns0+"/mxp-controller" || !errors.Is(out.Err, remediate.ErrChanged) || len(out.Applied) != 0 {
		t.Fatalf("outcome %+v", out)
	}
	if after := versions(t, c); after != before {
		t.Errorf("a step was written although another's object changed:\n%s\n%s", before, after)
	}
}

// planFiles plans from a report and its snapshot.
func planFiles(t *testing.T, reportFile, snapshotFile string) remediate.Plan {
	t.Helper()
	b, err := os.ReadFile(reportFile) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(snapshotFile) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Load(f)
	_ = f.Close() // read only
	if err != nil {
		t.Fatal(err)
	}
	p, err := remediate.Make(r, remediate.Options{Snapshot: s})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A Space on IRSA whose role admits one of its two control planes: apply,
// reading the real API server and the AWS wire server through the real
// SDK, writes the trust policy with the second subject added (and nothing
// else), scans again and finds it admitted; applying again writes nothing.
func TestApplyAWSSpace(t *testing.T) {
	env, srv, all, awsEnv := irsaSpace(t, 2, 1)
	bin := buildCLI(t)
	kc := env.Kubeconfig(t, t.TempDir())
	apply := func() (int, string) {
		cmd := exec.CommandContext(t.Context(), bin, "apply", "--kubeconfig", kc, "--cluster-name", "spaces", "--yes", "--wait", "30s", "--interval", "1s") //nolint:gosec // G204: the binary the test built
		cmd.Env = append(os.Environ(), awsEnv...)
		out, err := cmd.CombinedOutput()
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := apply()
	if code != 0 || !strings.Contains(out, "wiscan: applied: trust-subject IAMRole/"+roleARN) || !strings.Contains(out, "0 findings still failing of those they fix") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	w := srv.Writes()
	if len(w) != 1 || w[0].Op != "UpdateAssumeRolePolicy" {
		t.Fatalf("writes %+v", w)
	}
	want := trustFor(srv, all...)
	var got, exp any
	if json.Unmarshal([]byte(w[0].Document), &got) != nil || json.Unmarshal([]byte(want), &exp) != nil || !reflect.DeepEqual(got, exp) {
		t.Errorf("trust policy written\n%s\nwant\n%s", w[0].Document, want)
	}
	if code, out := apply(); code != 0 || !strings.Contains(out, "wiscan: nothing to apply") || len(srv.Writes()) != 1 {
		t.Errorf("second apply: exit %d, %d writes\n%s", code, len(srv.Writes()), out)
	}
}

// A CronJob's restart starts a Job from its template now, owned by it, as
// kubectl create job --from=cronjob/ does; a second run finds the Job and
// creates none.
func TestApplyRestartsACronJob(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	ctx := context.Background()
	ns := cpNamespace(0)
	c.namespace(ns, nil)
	cron := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "mxp-controller", Namespace: ns},
		Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: func() corev1.PodSpec {
				s := podSpec("mxp-controller", nil)
				s.RestartPolicy = corev1.RestartPolicyNever
				return s
			}(),
		}}}},
	}
	_, err := c.cs.BatchV1().CronJobs(ns).Create(ctx, cron, metav1.CreateOptions{})
	c.must(err)
	p := remediate.Plan{}
	p.Steps = append(p.Steps, remediate.Step{Action: report.Restart, Object: "CronJob/" + ns + "/mxp-controller", Args: []string{"kubectl"},
		Fix: report.Fix{Action: report.Restart, Kind: "CronJob", Namespace: ns, Name: "mxp-controller"}})
	k := map[string]remediate.Applier{"kubernetes": remediate.Kube{Client: c.dyn}}
	out := remediate.Run(ctx, p.Steps, k, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil || len(out.Applied) != 1 {
		t.Fatalf("outcome %+v", out)
	}
	job, err := c.cs.BatchV1().Jobs(ns).Get(ctx, "mxp-controller-rebound", metav1.GetOptions{})
	c.must(err)
	if len(job.OwnerReferences) != 1 || job.OwnerReferences[0].Kind != "CronJob" || job.Annotations["cronjob.kubernetes.io/instantiate"] != "manual" || job.Spec.Template.Spec.ServiceAccountName != "mxp-controller" {
		t.Errorf("job %+v", job.ObjectMeta)
	}
	if again := remediate.Run(ctx, p.Steps, k, false, slog.New(slog.DiscardHandler), nil); again.Err != nil || len(again.Unchanged) != 1 {
		t.Errorf("second run %+v", again)
	}
}

// On a terminal apply asks: an answer other than yes changes nothing and
// says so; yes makes the steps.
func TestApplyAsksOnATerminal(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)
	bin := buildCLI(t)
	kc := env.Kubeconfig(t, t.TempDir())
	ns1 := cpNamespace(1)
	answer := func(reply string) (int, string) {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = ptmx.Close() }()
		cmd := exec.CommandContext(t.Context(), bin, "apply", "--kubeconfig", kc, "--skip-cloud", "--wait", "0s") //nolint:gosec // G204: the binary the test built
		var out bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		_ = tty.Close()
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		for !strings.Contains(seen.String(), "Type yes: ") {
			n, err := ptmx.Read(buf)
			if err != nil {
				t.Fatalf("no question on the terminal: %v\n%s", err, seen.String())
			}
			seen.Write(buf[:n])
		}
		if _, err := ptmx.Write([]byte(reply + "\n")); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(&seen, ptmx) // until the terminal closes
		}()
		err = cmd.Wait()
		_ = ptmx.Close()
		<-done
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return code, seen.String()
	}
	code, screen := answer("no")
	if code != 3 || !strings.Contains(screen, "Make these 2 steps? Type yes: ") || !strings.Contains(screen, "not confirmed: nothing was changed") {
		t.Errorf("answered no: exit %d\n%s", code, screen)
	}
	sa, err := c.cs.CoreV1().ServiceAccounts(ns1).Get(context.Background(), "mxp-controller", metav1.GetOptions{})
	c.must(err)
	if sa.Annotations["eks.amazon.aws/role-arn"] == "" {
		t.Fatal("a refused apply changed the service account")
	}
	if code, screen := answer("yes"); !strings.Contains(screen, "wiscan: applied: rename-key ServiceAccount/"+ns1+"/mxp-controller") {
		t.Errorf("answered yes: exit %d\n%s", code, screen)
	}
}
