package evidence

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wiscan/wiscan/internal/benchmark"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// writePods writes a kubectl-style YAML list of pods of about size bytes.
func writePods(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path) //nolint:gosec // G304: a file the test itself wrote or ships
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	w := bufio.NewWriter(f)
	_, _ = fmt.Fprint(w, "apiVersion: v1\nitems:\n")
	var n int64
	for i := 0; n < size; i++ {
		k, _ := fmt.Fprintf(w, `- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Pod"}'
    creationTimestamp: "2026-11-20T08:00:00Z"
    labels:
      app: mxp-controller
      pod-template-hash: 7d9f8b6c5d
    name: mxp-controller-7d9f8b6c5d-%07d
    namespace: mxp-%08d-0000-4000-8000-000000000000-system
    ownerReferences:
    - apiVersion: apps/v1
      controller: true
      kind: ReplicaSet
      name: mxp-controller-7d9f8b6c5d
      uid: 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
  spec:
    containers:
    - env:
      - name: AWS_ROLE_ARN
        value: arn:aws:iam::111122223333:role/backup-restore-role
      - name: AWS_WEB_IDENTITY_TOKEN_FILE
        value: /var/run/secrets/eks.amazonaws.com/serviceaccount/token
      image: xpkg.upbound.io/upbound/mxp-controller:v1.14.0
      name: mxp-controller
      volumeMounts:
      - mountPath: /var/run/secrets/eks.amazonaws.com/serviceaccount
        name: aws-iam-token
        readOnly: true
    serviceAccountName: mxp-controller
    volumes:
    - name: aws-iam-token
      projected:
        sources:
        - serviceAccountToken:
            audience: sts.amazonaws.com
            expirationSeconds: 86400
            path: token
  status:
    phase: Running
`, i, i%1000)
		n += int64(k)
	}
	_, _ = fmt.Fprint(w, "kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

func loadOnce(tb testing.TB, dir string) {
	s := snapshot.New(time.Now())
	p, _ := profiles.Get(profiles.Default)
	s.Profiles = []snapshot.Profile{p}
	if err := (&Collector{Dir: dir}).Collect(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLoad reads a YAML list of pods of 10, 50 and 200 MB and reports
// the peak heap, in MB and as a multiple of the file's size.
func BenchmarkLoad(b *testing.B) {
	for _, mb := range []int64{10, 50, 200} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "pods.yaml")
			writePods(b, path, mb<<20)
			info, _ := os.Stat(path)
			b.SetBytes(info.Size())
			b.ResetTimer()
			var peak float64
			for range b.N {
				runtime.GC()
				base := benchmark.Heap()
				stop := benchmark.PeakHeap()
				loadOnce(b, dir)
				peak = max(peak, stop()-base)
			}
			b.ReportMetric(peak, "peak-MB")
			b.ReportMetric(peak*(1<<20)/float64(info.Size()), "peak/size")
		})
	}
}
