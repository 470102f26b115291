package kube

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/wiscan/wiscan/snapshot"
)

type (
	corev1Namespace = corev1.Namespace
	corev1Node      = corev1.Node
)

// kind is one namespaced kind the collector lists: how to list it and how to
// store an item when its namespace is a target.
type kind struct {
	name  string
	list  func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error)
	store func(s *snapshot.Snapshot, o runtime.Object, targets map[string]bool) bool
	// wanted says whether the scan needs the kind; nil means always.
	wanted func(s *snapshot.Snapshot) bool
}

// named reports whether the scan reads workloads of kind: the kinds
// other than Deployment are read only when a profile names them, so that
// a scan of Deployments needs no permission on them.
func named(kind string) func(s *snapshot.Snapshot) bool {
	return func(s *snapshot.Snapshot) bool { return WorkloadKindsRead(s)[kind] }
}

// WorkloadKindsRead are the workload kinds a scan reads: Deployments, and
// the kinds the profiles name, with Jobs for a CronJob (its pods' owner
// chain runs through them).
func WorkloadKindsRead(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{"Deployment": true}
	for _, p := range s.Profiles {
		out[p.Workload.Kind] = true
		if p.Workload.Kind == "CronJob" {
			out["Job"] = true
		}
	}
	return out
}

// workloadKind lists and stores one workload kind other than Deployment.
func workloadKind[T runtime.Object](name string, list func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error),
	normalise func(T) snapshot.Workload, wanted func(s *snapshot.Snapshot) bool) kind {
	return kind{
		name: name, list: list, wanted: wanted,
		store: func(s *snapshot.Snapshot, o runtime.Object, t map[string]bool) bool {
			w := normalise(o.(T))
			if t != nil && !t[w.Namespace] {
				return false
			}
			snapshot.Put(s.Kubernetes.Workloads(name), w.Namespace, w.Name, w)
			return true
		},
	}
}

var namespacedKinds = []kind{
	{
		name: "ServiceAccount",
		list: func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().ServiceAccounts(ns).List(ctx, o)
		},
		store: func(s *snapshot.Snapshot, o runtime.Object, t map[string]bool) bool {
			sa := o.(*corev1.ServiceAccount)
			if t != nil && !t[sa.Namespace] {
				return false
			}
			snapshot.Put(s.Kubernetes.ServiceAccounts, sa.Namespace, sa.Name, ServiceAccount(sa, nil))
			return true
		},
	},
	{
		name: "Deployment",
		list: func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
			return cs.AppsV1().Deployments(ns).List(ctx, o)
		},
		store: func(s *snapshot.Snapshot, o runtime.Object, t map[string]bool) bool {
			d := o.(*appsv1.Deployment)
			if t != nil && !t[d.Namespace] {
				return false
			}
			snapshot.Put(s.Kubernetes.Deployments, d.Namespace, d.Name, Deployment(d, nil))
			return true
		},
	},
	{
		name: "Pod",
		list: func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Pods(ns).List(ctx, o)
		},
		store: func(s *snapshot.Snapshot, o runtime.Object, t map[string]bool) bool {
			p := o.(*corev1.Pod)
			if t != nil && !t[p.Namespace] {
				return false
			}
			snapshot.Put(s.Kubernetes.Pods, p.Namespace, p.Name, Pod(p, nil))
			return true
		},
	},
	{
		name:   "Secret",
		wanted: func(s *snapshot.Snapshot) bool { return !s.Source.SkipSecrets },
		list: func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Secrets(ns).List(ctx, o)
		},
		store: func(s *snapshot.Snapshot, o runtime.Object, t map[string]bool) bool {
			sec := o.(*corev1.Secret)
			if t != nil && !t[sec.Namespace] {
				return false
			}
			snapshot.Put(s.Kubernetes.Secrets, sec.Namespace, sec.Name, Secret(sec, nil))
			return true
		},
	},
	workloadKind("StatefulSet", func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().StatefulSets(ns).List(ctx, o)
	}, func(d *appsv1.StatefulSet) snapshot.Workload { return StatefulSet(d, nil) }, named("StatefulSet")),
	workloadKind("DaemonSet", func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.AppsV1().DaemonSets(ns).List(ctx, o)
	}, func(d *appsv1.DaemonSet) snapshot.Workload { return DaemonSet(d, nil) }, named("DaemonSet")),
	workloadKind("Job", func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.BatchV1().Jobs(ns).List(ctx, o)
	}, func(j *batchv1.Job) snapshot.Workload { return Job(j, nil) }, named("Job")),
	workloadKind("CronJob", func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error) {
		return cs.BatchV1().CronJobs(ns).List(ctx, o)
	}, func(c *batchv1.CronJob) snapshot.Workload { return CronJob(c, nil) }, named("CronJob")),
}
