package kube

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	case gvk.Group == "" && (gvk.Kind == "Namespace" || gvk.Kind == "ServiceAccount" || gvk.Kind == "Pod" || gvk.Kind == "Secret"):
		return true
	case gvk.Group == "apps" && gvk.Kind == "Deployment":
		return true
	case gvk.Group == SpacesGroup:
		_, ok := spacesKinds[gvk.Kind]
		return ok
	}
	return false
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
	case "Pod":
		var p corev1.Pod
		if err := convert(u, &p); err != nil {
			return err
		}
		snapshot.Put(k.Pods, p.Namespace, p.Name, Pod(&p, loc))
	case "Secret":
		var sec corev1.Secret
		if err := convert(u, &sec); err != nil {
			return fmt.Errorf("decode Secret %s/%s: malformed data (content not shown)", u.GetNamespace(), u.GetName())
		}
		snapshot.Put(k.Secrets, sec.Namespace, sec.Name, Secret(&sec, loc))
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

func convert(u *unstructured.Unstructured, into any) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		return fmt.Errorf("decode %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}
