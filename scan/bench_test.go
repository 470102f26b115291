package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wiscan/wiscan/internal/benchmark"
)

// writeBundle writes an evidence bundle of n control planes, as kubectl
// exports them: a namespace, an annotated service account (one in ten
// with a misspelt key), a Deployment, its pod, and a Secret (one in fifty
// with a static key, AWS's documented example) in each; the AWS side and
// the backup configuration are the shipped broken Space's.
func writeBundle(tb testing.TB, dir string, n int) {
	tb.Helper()
	role := "arn:aws:iam::123456789012:role/backup-restore-role"
	list := func(items []any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	}
	var nss, sas, deps, pods, secrets []any
	for i := range n {
		ns := fmt.Sprintf("mxp-%08x-0000-4000-8000-%012x-system", i, i)
		meta := func(name string) map[string]any {
			return map[string]any{"name": name, "namespace": ns, "creationTimestamp": "2026-11-20T08:00:00Z"}
		}
		key := "eks.amazonaws.com/role-arn"
		if i%10 == 0 {
			key = "eks.amazon.aws/role-arn"
		}
		nss = append(nss, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
		sa := meta("mxp-controller")
		sa["annotations"] = map[string]any{key: role}
		sas = append(sas, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": sa})
		spec := map[string]any{
			"serviceAccountName": "mxp-controller",
			"containers": []any{map[string]any{"name": "mxp-controller", "image": "xpkg.upbound.io/upbound/mxp-controller:v1.14.0",
				"env":          []any{map[string]any{"name": "AWS_ROLE_ARN", "value": role}, map[string]any{"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}},
				"volumeMounts": []any{map[string]any{"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "readOnly": true}}}},
			"volumes": []any{map[string]any{"name": "aws-iam-token", "projected": map[string]any{"sources": []any{map[string]any{
				"serviceAccountToken": map[string]any{"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}}}}},
		}
		labels := map[string]any{"app": "mxp-controller"}
		dm := meta("mxp-controller")
		dm["labels"] = labels
		deps = append(deps, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dm,
			"spec": map[string]any{"selector": map[string]any{"matchLabels": labels}, "template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": spec}}})
		pm := meta("mxp-controller-7d9f8b6c5d-x2x4z")
		pm["labels"] = labels
		pm["ownerReferences"] = []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "mxp-controller-7d9f8b6c5d", "uid": "6f1c2d3e", "controller": true}}
		pods = append(pods, map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": pm, "spec": spec, "status": map[string]any{"phase": "Running"}})
		data := map[string]any{"tls.crt": "bm90IGEga2V5"}
		if i%50 == 0 {
			data = map[string]any{"aws_access_key_id": "QUtJQUlPU0ZPRE5ON0VYQU1QTEU="} // AKIAIOSFODNN7EXAMPLE, AWS's documented example
		}
		secrets = append(secrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta("backup"), "type": "Opaque", "data": data})
	}
	for name, items := range map[string][]any{"namespaces.json": nss, "serviceaccounts.json": sas, "deployments.json": deps, "pods.json": pods, "secrets.json": secrets} {
		b, err := json.Marshal(list(items))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	for _, shared := range []string{"aws", "sharedbackupconfig.yaml"} {
		if out, err := exec.CommandContext(context.Background(), "cp", "-r", filepath.Join(bundle, shared), dir).CombinedOutput(); err != nil { //nolint:gosec // G204: cp of the shipped bundle into the benchmark's folder
			tb.Fatalf("cp: %v %s", err, out)
		}
	}
}

// BenchmarkEvidenceScan measures the whole evidence scan, reading through
// the report, at 100, 1,000 and 10,000 control planes, with the phases
// apart (load: reading and decoding the bundle, targets, redaction; eval:
// the evaluation and the report) and the peak heap; WISCAN_BENCH_SIZES
// (such as 50000) replaces the sizes.
func BenchmarkEvidenceScan(b *testing.B) {
	for _, n := range benchmark.Sizes(b, 100, 1000, 10000) {
		dir := b.TempDir()
		writeBundle(b, dir, n)
		c := config()
		c.Evidence = dir
		e, err := NewEvaluator(context.Background(), c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			var load, eval time.Duration
			var peak float64
			for b.Loop() {
				runtime.GC()
				stop := benchmark.PeakHeap()
				start := time.Now()
				s, err := Collect(context.Background(), c)
				if err != nil {
					b.Fatal(err)
				}
				load += time.Since(start)
				start = time.Now()
				r, err := e.Evaluate(context.Background(), s)
				if err != nil {
					b.Fatal(err)
				}
				eval += time.Since(start)
				peak = max(peak, stop())
				if len(s.Targets) != n || len(r.Findings) < n/10 {
					b.Fatalf("%d targets and %d findings for %d control planes", len(s.Targets), len(r.Findings), n)
				}
			}
			b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "load-ms/op")
			b.ReportMetric(float64(eval.Milliseconds())/float64(b.N), "eval-ms/op")
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}
