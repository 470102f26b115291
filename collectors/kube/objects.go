package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wiscan/wiscan/snapshot"
)

// SpacesGroup is the API group of the Upbound Spaces objects.
const SpacesGroup = "spaces.upbound.io"

// Spaces kinds and their resource names.
var spacesKinds = map[string]string{
	"ControlPlane":       "controlplanes",
	"SharedBackupConfig": "sharedbackupconfigs",
	"SpaceBackupConfig":  "spacebackupconfigs",
}

// Supported reports whether Add knows the object's kind.
func Supported(gvk schema.GroupVersionKind) bool {
	switch {
	case gvk.Group == "" && (gvk.Kind == "Namespace" || gvk.Kind == "ServiceAccount" || gvk.Kind == "Pod" || gvk.Kind == "Secret" || gvk.Kind == "Node"):
		return true
	case gvk.Group == "apps" && (gvk.Kind == "Deployment" || gvk.Kind == "StatefulSet" || gvk.Kind == "DaemonSet"):
		return true
	case gvk.Group == "batch" && (gvk.Kind == "Job" || gvk.Kind == "CronJob"):
		return true
	case gvk.Group == SpacesGroup:
		_, ok := spacesKinds[gvk.Kind]
		return ok
	case gvk.Group == "" && gvk.Kind == "APIResourceList":
		return true
	}
	return false
}

// served records, from a discovery document (kubectl get --raw
// /apis/spaces.upbound.io/<version>), which Spaces kinds the cluster
// serves, as the live collector's discovery does; objects of a kind
// already read keep it served.
func served(k *snapshot.Kubernetes, u *unstructured.Unstructured) {
	gv, _, _ := unstructured.NestedString(u.Object, "groupVersion")
	if group, _, _ := strings.Cut(gv, "/"); group != SpacesGroup {
		return
	}
	names := map[string]bool{}
	list, _, _ := unstructured.NestedSlice(u.Object, "resources")
	for _, r := range list {
		m, _ := r.(map[string]any)
		name, _ := m["name"].(string)
		names[name] = true
	}
	for kind, resource := range spacesKinds {
		k.Spaces.Kinds[kind] = k.Spaces.Kinds[kind] || names[resource]
	}
}

// Add converts an object read as unstructured data (from an evidence file)
// and stores it in the snapshot. A Secret's conversion error never quotes
// its content.
func Add(s *snapshot.Snapshot, u *unstructured.Unstructured, loc *snapshot.Location) error {
	k := &s.Kubernetes
	gvk := u.GroupVersionKind()
	if gvk.Group == SpacesGroup {
		k.Spaces.Kinds[gvk.Kind] = true
		addSpaces(k, u, loc)
		return nil
	}
	if gvk.Group == "" && gvk.Kind == "APIResourceList" {
		served(k, u)
		return nil
	}
	switch gvk.Kind {
	case "Namespace":
		var ns corev1.Namespace
		if err := convert(u, &ns); err != nil {
			return err
		}
		k.Namespaces[ns.Name] = Namespace(&ns, loc)
	case "ServiceAccount":
		var sa corev1.ServiceAccount
		if err := convert(u, &sa); err != nil {
			return err
		}
		snapshot.Put(k.ServiceAccounts, sa.Namespace, sa.Name, ServiceAccount(&sa, loc))
	case "Deployment":
		var d appsv1.Deployment
		if err := convert(u, &d); err != nil {
			return err
		}
		snapshot.Put(k.Deployments, d.Namespace, d.Name, Deployment(&d, loc))
	case "StatefulSet":
		var d appsv1.StatefulSet
		if err := convert(u, &d); err != nil {
			return err
		}
		snapshot.Put(k.StatefulSets, d.Namespace, d.Name, StatefulSet(&d, loc))
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := convert(u, &d); err != nil {
			return err
		}
		snapshot.Put(k.DaemonSets, d.Namespace, d.Name, DaemonSet(&d, loc))
	case "Job":
		var j batchv1.Job
		if err := convert(u, &j); err != nil {
			return err
		}
		snapshot.Put(k.Jobs, j.Namespace, j.Name, Job(&j, loc))
	case "CronJob":
		var c batchv1.CronJob
		if err := convert(u, &c); err != nil {
			return err
		}
		snapshot.Put(k.CronJobs, c.Namespace, c.Name, CronJob(&c, loc))
	case "Pod":
		var p corev1.Pod
		if err := convert(u, &p); err != nil {
			return err
		}
		snapshot.Put(k.Pods, p.Namespace, p.Name, Pod(&p, loc))
	case "Secret":
		var sec corev1.Secret
		if err := convert(u, &sec); err != nil {
			return err
		}
		snapshot.Put(k.Secrets, sec.Namespace, sec.Name, Secret(&sec, loc))
	case "Node":
		var n corev1.Node
		if err := convert(u, &n); err != nil {
			return err
		}
		k.Nodes[n.Name] = Node(&n, loc)
	}
	return nil
}

func addSpaces(k *snapshot.Kubernetes, u *unstructured.Unstructured, loc *snapshot.Location) {
	sp := &k.Spaces
	switch u.GetKind() {
	case "ControlPlane":
		sp.ControlPlanes = append(sp.ControlPlanes, ControlPlane(u, loc))
	case "SharedBackupConfig":
		sp.SharedBackupConfigs = append(sp.SharedBackupConfigs, BackupConfig(u, loc))
	case "SpaceBackupConfig":
		sp.SpaceBackupConfigs = append(sp.SpaceBackupConfigs, BackupConfig(u, loc))
	}
}

// convert decodes an object into its typed form. Its error names the object
// and, where it can, the field, never the value: decoding errors of the
// converter and of time fields quote the offending input.
func convert(u *unstructured.Unstructured, into any) error {
	if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into) == nil {
		return nil
	}
	return fmt.Errorf("decode %s %s/%s: %s (value not shown)", u.GetKind(), u.GetNamespace(), u.GetName(), decodeProblem(u.Object, into))
}

// decodeProblem decodes again with encoding/json, whose type errors name
// the field path without its value.
func decodeProblem(obj map[string]any, into any) string {
	b, err := json.Marshal(obj)
	if err != nil {
		return "the object cannot be encoded"
	}
	err = json.Unmarshal(b, into)
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("field %s: a JSON %s where %s is expected", te.Field, te.Value, te.Type)
	case errors.As(err, &pe):
		return "a time field is not an RFC 3339 time"
	}
	return "a field has the wrong type or format"
}

// DeriveNamespaces adds the namespaces that objects live in but that no
// Namespace object described; their labels are unknown.
func DeriveNamespaces(k *snapshot.Kubernetes) {
	lists := [][]string{slices.Collect(maps.Keys(k.ServiceAccounts)), slices.Collect(maps.Keys(k.Pods)), slices.Collect(maps.Keys(k.Secrets))}
	for _, kind := range snapshot.WorkloadKinds {
		lists = append(lists, slices.Collect(maps.Keys(k.Workloads(kind))))
	}
	for _, names := range lists {
		for _, ns := range names {
			if _, ok := k.Namespaces[ns]; !ok && ns != "" {
				k.Namespaces[ns] = snapshot.Namespace{Name: ns, Labels: map[string]string{}}
			}
		}
	}
}

// Prune drops the namespaced objects outside the target namespaces.
func Prune(k *snapshot.Kubernetes, targets map[string]bool) {
	prune(k.ServiceAccounts, targets)
	for _, kind := range snapshot.WorkloadKinds {
		prune(k.Workloads(kind), targets)
	}
	prune(k.Pods, targets)
	prune(k.Secrets, targets)
}

func prune[T any](m map[string]map[string]T, keep map[string]bool) {
	maps.DeleteFunc(m, func(ns string, _ map[string]T) bool { return !keep[ns] })
}

// Lookup returns the stored form of a namespaced object, or nil.
func Lookup(s *snapshot.Snapshot, kind, ns, name string) any {
	k := &s.Kubernetes
	var v any
	var ok bool
	switch kind {
	case "Namespace":
		v, ok = k.Namespaces[name]
	case "ServiceAccount":
		v, ok = k.ServiceAccounts[ns][name]
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob":
		v, ok = k.Workloads(kind)[ns][name]
	case "Pod":
		v, ok = k.Pods[ns][name]
	case "Secret":
		v, ok = k.Secrets[ns][name]
	case "Node":
		v, ok = k.Nodes[name]
	}
	if !ok {
		return nil
	}
	return v
}

// Restore stores an object that Lookup returned.
func Restore(s *snapshot.Snapshot, _ string, v any) {
	k := &s.Kubernetes
	switch o := v.(type) {
	case snapshot.Namespace:
		k.Namespaces[o.Name] = o
	case snapshot.ServiceAccount:
		snapshot.Put(k.ServiceAccounts, o.Namespace, o.Name, o)
	case snapshot.Workload:
		snapshot.Put(k.Workloads(o.Kind), o.Namespace, o.Name, o)
	case snapshot.Pod:
		snapshot.Put(k.Pods, o.Namespace, o.Name, o)
	case snapshot.Secret:
		snapshot.Put(k.Secrets, o.Namespace, o.Name, o)
	case snapshot.Node:
		k.Nodes[o.Name] = o
	}
}

// Attribute completes each pod's owner chain. A Job's pod belongs to the
// CronJob that owns the Job, when the Job was read. A ReplicaSet's pod
// belongs to its Deployment, found through the Deployments' selectors as
// Kubernetes matches them when the owner name and pod-template-hash label
// do not say (a pod without the label, or a ReplicaSet named otherwise). A
// pod whose ReplicaSet is named after a Deployment whose selector does not
// match it, or that several selectors match, cannot be attributed; each is
// returned as a gap so that the controls on pods in its namespace are
// unknown, never passed.
func Attribute(k *snapshot.Kubernetes, collector string) []snapshot.CollectionError {
	var gaps []snapshot.CollectionError
	for _, ns := range slices.Sorted(maps.Keys(k.Pods)) {
		for _, name := range slices.Sorted(maps.Keys(k.Pods[ns])) {
			p := k.Pods[ns][name]
			if w := p.Workload; w != nil && w.Kind == "Job" {
				if job, ok := k.Jobs[ns][w.Name]; ok && job.Owner != nil && job.Owner.Kind == "CronJob" {
					p.Workload = &snapshot.Owner{Kind: "CronJob", Name: job.Owner.Name}
					k.Pods[ns][name] = p
				}
				continue
			}
			if p.Owner == nil || p.Owner.Kind != "ReplicaSet" || p.Workload != nil {
				continue
			}
			matched, named := matchDeployments(k.Deployments[ns], p)
			switch {
			case len(matched) == 1:
				p.Workload = &snapshot.Owner{Kind: "Deployment", Name: matched[0]}
				k.Pods[ns][name] = p
			case len(matched) > 1 || named != "":
				gaps = append(gaps, snapshot.CollectionError{
					Collector: collector, Kind: "Pod", Namespace: ns, Name: name, Reason: "unattributed", Source: p.Source,
					Message: fmt.Sprintf("pod %s/%s (ReplicaSet %s) cannot be tied to its Deployment: %d Deployment selectors match its labels", ns, name, p.Owner.Name, len(matched)),
				})
			}
		}
	}
	return gaps
}

// matchDeployments returns the Deployments whose selectors match the pod,
// and the Deployment its ReplicaSet is named after, if any.
func matchDeployments(ds map[string]snapshot.Workload, p snapshot.Pod) (matched []string, named string) {
	for _, d := range slices.Sorted(maps.Keys(ds)) {
		if strings.HasPrefix(p.Owner.Name, d+"-") {
			named = d
		}
		sel, err := labels.Parse(ds[d].LabelSelector)
		if ds[d].LabelSelector == "" || err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(labels.Set(p.Labels)) {
			matched = append(matched, d)
		}
	}
	return matched, named
}

// NodesWanted are the nodes the pods of the targets that use GCP run on:
// their node pools decide WI-GCP-002, so only those are kept.
func NodesWanted(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, t := range s.Targets {
		if t.Cloud != "gcp" {
			continue
		}
		for _, p := range s.Kubernetes.Pods[t.Namespace] {
			if p.NodeName != "" {
				out[p.NodeName] = true
			}
		}
	}
	return out
}

// PruneNodes drops the nodes no pod of a GCP target runs on.
func PruneNodes(s *snapshot.Snapshot) {
	want := NodesWanted(s)
	maps.DeleteFunc(s.Kubernetes.Nodes, func(name string, _ snapshot.Node) bool { return !want[name] })
}
