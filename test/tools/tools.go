//go:build tools

// Package tools pins the upstream Kubernetes and etcd servers that the test
// harness builds and caches (see hack/harness.sh).
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
