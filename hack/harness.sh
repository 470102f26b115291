#!/usr/bin/env bash
# Builds the upstream kube-apiserver and etcd that the tests run through
# controller-runtime's envtest, and kubectl for the evidence export test,
# and caches them in a git-ignored folder keyed by version. Prints the
# folder, which is what KUBEBUILDER_ASSETS names.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/test/tools"
k8s=$(cd "$tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd=$(cd "$tools" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
dir="$root/.cache/harness/k8s-$k8s-etcd-$etcd"
minor=$(echo "$k8s" | cut -d. -f2)
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=$k8s -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ]; then
  if [ ! -x "$dir/kubectl" ]; then
    echo "building kubectl $k8s" >&2
    (cd "$tools" && go build -trimpath -ldflags "$ldflags" -o "$dir/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl)
    mv "$dir/kubectl.tmp" "$dir/kubectl"
  fi
  echo "$dir"
  exit 0
fi
mkdir -p "$dir.tmp"
echo "building etcd $etcd, kube-apiserver and kubectl $k8s (several minutes on a cold cache)" >&2
(cd "$tools" && go build -trimpath -o "$dir.tmp/etcd" ./etcd)
(cd "$tools" && go build -trimpath -ldflags "$ldflags" -o "$dir.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
(cd "$tools" && go build -trimpath -ldflags "$ldflags" -o "$dir.tmp/kubectl" k8s.io/kubernetes/cmd/kubectl)
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
