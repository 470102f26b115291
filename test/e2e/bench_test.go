package e2e

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/wiscan/wiscan/internal/benchmark"
	"github.com/wiscan/wiscan/scan"
)

// BenchmarkLiveScan measures wiscan's live collection against the real
// kube-apiserver, beside the bare paged LISTs of the same kinds in the same
// run, for Spaces of 100 and 1,000 control planes (WISCAN_BENCH_SIZES, a
// comma-separated list, for others). Each control plane has a namespace,
// an annotated service account, a Deployment, its pod and a Secret. The
// ratio (wiscan's time over the LISTs') is the collector's own cost; the
// peak heap is the collection's. It
// is not part of the tests: go test -run '^$' -bench BenchmarkLiveScan
// ./test/e2e (with the harness's KUBEBUILDER_ASSETS).
func BenchmarkLiveScan(b *testing.B) {
	sizes := benchmark.Sizes(b, 100, 1000)
	env := startSpace(b)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	kc := env.Kubeconfig(b, b.TempDir())
	have := 0
	for _, n := range sizes {
		populate(b, cs, have, n)
		have = max(have, n)
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			var lists, collect time.Duration
			var peak float64
			for b.Loop() {
				start := time.Now()
				bareLists(b, cs)
				lists += time.Since(start)
				goruntime.GC()
				stop := benchmark.PeakHeap()
				start = time.Now()
				s, err := scan.Collect(context.Background(), scan.Config{Kube: scan.Kube{Kubeconfig: kc, Timeout: time.Minute}, AWS: scan.AWS{Skip: true}, Azure: scan.Azure{Skip: true}, GCP: scan.GCP{Skip: true}})
				if err != nil {
					b.Fatal(err)
				}
				collect += time.Since(start)
				peak = max(peak, stop())
				if len(s.Targets) != have {
					b.Fatalf("%d targets, want %d", len(s.Targets), have)
				}
			}
			b.ReportMetric(float64(lists.Milliseconds())/float64(b.N), "lists-ms/op")
			b.ReportMetric(float64(collect.Milliseconds())/float64(b.N), "collect-ms/op")
			b.ReportMetric(float64(collect)/float64(lists), "ratio")
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}

// bareLists lists, page by page as the collector does, the kinds it reads
// for the default profile, keeping nothing.
func bareLists(b *testing.B, cs kubernetes.Interface) {
	b.Helper()
	for _, list := range []pager.ListPageFunc{
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Namespaces().List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().ServiceAccounts("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AppsV1().Deployments("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Pods("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Secrets("").List(ctx, o)
		},
	} {
		p := pager.New(list)
		p.PageSize = 500
		if err := p.EachListItem(context.Background(), metav1.ListOptions{}, func(runtime.Object) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// populate creates the control planes from..to-1, eight at a time.
func populate(b *testing.B, cs kubernetes.Interface, from, to int) {
	b.Helper()
	ctx := context.Background()
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	for range 8 {
		wg.Go(func() {
			for i := range work {
				ns := cpNamespace(i)
				key := "eks.amazonaws.com/role-arn"
				if i%10 == 0 {
					key = "eks.amazon.aws/role-arn"
				}
				_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
				if err == nil {
					_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "mxp-controller", Namespace: ns, Annotations: map[string]string{key: roleARN}}}, metav1.CreateOptions{})
				}
				if err == nil {
					err = createWorkload(ctx, cs, ns)
				}
				if err == nil {
					data := map[string]string{"tls.crt": "not a key"}
					if i%50 == 0 {
						data = map[string]string{"aws_access_key_id": exampleKeyID}
					}
					_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "backup", Namespace: ns}, StringData: data}, metav1.CreateOptions{})
				}
				if err != nil {
					fail(err)
				}
			}
		})
	}
	for i := from; i < to; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// createWorkload creates the Deployment and its pod, as buildSpace does.
func createWorkload(ctx context.Context, cs kubernetes.Interface, ns string) error {
	labels := map[string]string{"app": "mxp-controller"}
	spec := podSpec("mxp-controller", irsaEnv)
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deploymentOf(ns, labels, spec), metav1.CreateOptions{}); err != nil {
		return err
	}
	isController := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "mxp-controller-7d9f8b6c5d-x2x4z", Namespace: ns, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "mxp-controller-7d9f8b6c5d", UID: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Controller: &isController}}},
		Spec: spec,
	}
	_, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	return err
}
