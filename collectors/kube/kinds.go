package kube

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/wiscan/wiscan/snapshot"
)

type corev1Namespace = corev1.Namespace

// kind is one namespaced kind the collector lists: how to list it and how to
// store an item when its namespace is a target.
type kind struct {
	name  string
	list  func(ctx context.Context, cs *kubernetes.Clientset, ns string, o metav1.ListOptions) (runtime.Object, error)
	store func(s *snapshot.Snapshot, o runtime.Object, targets map[string]bool) bool
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
		name: "Secret",
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
}
