package kube

import (
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/snapshot"
)

// The functions below turn API objects into their snapshot form. The live
// and the evidence collectors share them, so that both build the same
// snapshot from the same objects.

func meta(m metav1.ObjectMeta, loc *snapshot.Location) snapshot.Meta {
	out := snapshot.Meta{
		Namespace:   m.Namespace,
		Name:        m.Name,
		Labels:      secrets.Labels(m.Labels),
		Annotations: secrets.Annotations(m.Annotations),
		Source:      loc,
	}
	if !m.CreationTimestamp.IsZero() {
		t := m.CreationTimestamp.UTC()
		out.CreatedAt = &t
	}
	return out
}

// Namespace normalises a namespace.
func Namespace(ns *corev1.Namespace, loc *snapshot.Location) snapshot.Namespace {
	return snapshot.Namespace{Name: ns.Name, Labels: secrets.Labels(ns.Labels), Source: loc}
}

// ServiceAccount normalises a service account. UpdatedAt is the latest time
// in its managed fields.
func ServiceAccount(sa *corev1.ServiceAccount, loc *snapshot.Location) snapshot.ServiceAccount {
	out := snapshot.ServiceAccount{Meta: meta(sa.ObjectMeta, loc), Automount: sa.AutomountServiceAccountToken}
	var latest time.Time
	for _, f := range sa.ManagedFields {
		if f.Time != nil && f.Time.After(latest) {
			latest = f.Time.UTC()
		}
	}
	if !latest.IsZero() {
		out.UpdatedAt = &latest
	}
	return out
}

// Deployment normalises a Deployment.
func Deployment(d *appsv1.Deployment, loc *snapshot.Location) snapshot.Workload {
	return workload("Deployment", d.ObjectMeta, d.Spec.Selector, d.Spec.Template, loc)
}

// StatefulSet normalises a StatefulSet.
func StatefulSet(d *appsv1.StatefulSet, loc *snapshot.Location) snapshot.Workload {
	return workload("StatefulSet", d.ObjectMeta, d.Spec.Selector, d.Spec.Template, loc)
}

// DaemonSet normalises a DaemonSet.
func DaemonSet(d *appsv1.DaemonSet, loc *snapshot.Location) snapshot.Workload {
	return workload("DaemonSet", d.ObjectMeta, d.Spec.Selector, d.Spec.Template, loc)
}

// Job normalises a Job, with the CronJob that owns it.
func Job(j *batchv1.Job, loc *snapshot.Location) snapshot.Workload {
	return workload("Job", j.ObjectMeta, j.Spec.Selector, j.Spec.Template, loc)
}

// CronJob normalises a CronJob: its Jobs' pod template.
func CronJob(c *batchv1.CronJob, loc *snapshot.Location) snapshot.Workload {
	return workload("CronJob", c.ObjectMeta, c.Spec.JobTemplate.Spec.Selector, c.Spec.JobTemplate.Spec.Template, loc)
}

// workload normalises any workload: its selector and pod template, and
// its controlling owner.
func workload(kind string, m metav1.ObjectMeta, selector *metav1.LabelSelector, t corev1.PodTemplateSpec, loc *snapshot.Location) snapshot.Workload {
	out := snapshot.Workload{
		Meta:     meta(m, loc),
		Kind:     kind,
		Selector: map[string]string{},
		Template: podSpec(t.ObjectMeta, t.Spec),
	}
	if ref := metav1.GetControllerOfNoCopy(&m); ref != nil {
		out.Owner = &snapshot.Owner{Kind: ref.Kind, Name: ref.Name}
	}
	if selector != nil {
		out.Selector = secrets.Labels(selector.MatchLabels)
		// Built from the redacted labels, so that it matches the pods'
		// redacted labels.
		sel := selector.DeepCopy()
		sel.MatchLabels = out.Selector
		if ls, err := metav1.LabelSelectorAsSelector(sel); err == nil {
			out.LabelSelector = ls.String()
		}
	}
	return out
}

// Pod normalises a pod and derives the workload that owns it.
func Pod(p *corev1.Pod, loc *snapshot.Location) snapshot.Pod {
	out := snapshot.Pod{
		Meta:     meta(p.ObjectMeta, loc),
		Spec:     podSpec(p.ObjectMeta, p.Spec),
		Phase:    string(p.Status.Phase),
		NodeName: p.Spec.NodeName,
	}
	if ref := metav1.GetControllerOf(p); ref != nil {
		out.Owner = &snapshot.Owner{Kind: ref.Kind, Name: ref.Name}
		hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		switch {
		case ref.Kind == "ReplicaSet" && hash != "" && strings.HasSuffix(ref.Name, "-"+hash):
			out.Workload = &snapshot.Owner{Kind: "Deployment", Name: strings.TrimSuffix(ref.Name, "-"+hash)}
		case ref.Kind == "StatefulSet" || ref.Kind == "DaemonSet" || ref.Kind == "Job":
			// A Job's CronJob is found once the Jobs are read (Attribute).
			out.Workload = &snapshot.Owner{Kind: ref.Kind, Name: ref.Name}
		}
	}
	return out
}

func podSpec(m metav1.ObjectMeta, s corev1.PodSpec) snapshot.PodSpec {
	out := snapshot.PodSpec{
		Labels:         secrets.Labels(m.Labels),
		Annotations:    secrets.Annotations(m.Annotations),
		ServiceAccount: s.ServiceAccountName,
		Automount:      s.AutomountServiceAccountToken,
		HostNetwork:    s.HostNetwork,
		Containers:     []snapshot.Container{},
		Volumes:        []snapshot.Volume{},
	}
	if out.ServiceAccount == "" {
		out.ServiceAccount = s.DeprecatedServiceAccount
	}
	if out.ServiceAccount == "" {
		out.ServiceAccount = "default"
	}
	for _, c := range s.InitContainers {
		out.Containers = append(out.Containers, container(c, true))
	}
	for _, c := range s.Containers {
		out.Containers = append(out.Containers, container(c, false))
	}
	for _, v := range s.Volumes {
		out.Volumes = append(out.Volumes, volume(v))
	}
	return out
}

func container(c corev1.Container, init bool) snapshot.Container {
	out := snapshot.Container{
		Name:    c.Name,
		Init:    init,
		Env:     []snapshot.EnvVar{},
		EnvFrom: []snapshot.EnvFrom{},
		Mounts:  []snapshot.Mount{},
	}
	for _, e := range c.Env {
		out.Env = append(out.Env, envVar(e))
	}
	for _, e := range c.EnvFrom {
		f := snapshot.EnvFrom{Prefix: e.Prefix}
		if e.SecretRef != nil {
			f.Secret = e.SecretRef.Name
		}
		if e.ConfigMapRef != nil {
			f.ConfigMap = e.ConfigMapRef.Name
		}
		out.EnvFrom = append(out.EnvFrom, f)
	}
	for _, m := range c.VolumeMounts {
		out.Mounts = append(out.Mounts, snapshot.Mount{Volume: m.Name, Path: m.MountPath, SubPath: m.SubPath, ReadOnly: m.ReadOnly})
	}
	return out
}

// envVar keeps an environment variable's source; a literal value goes
// through the credential classifier and is kept only when it is public.
func envVar(e corev1.EnvVar) snapshot.EnvVar {
	out := snapshot.EnvVar{Name: e.Name}
	if e.Value != "" {
		out = secrets.Env(e.Name, e.Value)
	}
	if vf := e.ValueFrom; vf != nil {
		switch {
		case vf.SecretKeyRef != nil:
			out.SecretRef = &snapshot.KeyRef{Name: vf.SecretKeyRef.Name, Key: vf.SecretKeyRef.Key}
		case vf.ConfigMapKeyRef != nil:
			out.ConfigMap = &snapshot.KeyRef{Name: vf.ConfigMapKeyRef.Name, Key: vf.ConfigMapKeyRef.Key}
		case vf.FieldRef != nil:
			out.FieldPath = vf.FieldRef.FieldPath
		}
	}
	return out
}

func volume(v corev1.Volume) snapshot.Volume {
	out := snapshot.Volume{Name: v.Name}
	switch {
	case v.Secret != nil:
		out.Secret = v.Secret.SecretName
	case v.Projected != nil:
		out.Projected = []snapshot.ProjectedSource{}
		for _, src := range v.Projected.Sources {
			var ps snapshot.ProjectedSource
			switch {
			case src.ServiceAccountToken != nil:
				ps.ServiceAccountToken = &snapshot.ProjectedToken{Audience: src.ServiceAccountToken.Audience, Path: src.ServiceAccountToken.Path}
			case src.Secret != nil:
				ps.Secret = src.Secret.Name
			case src.ConfigMap != nil:
				ps.ConfigMap = src.ConfigMap.Name
			default:
				continue
			}
			out.Projected = append(out.Projected, ps)
		}
	default:
		out.Other = otherVolume(v.VolumeSource)
	}
	return out
}

func otherVolume(v corev1.VolumeSource) string {
	switch {
	case v.EmptyDir != nil:
		return "emptyDir"
	case v.ConfigMap != nil:
		return "configMap"
	case v.PersistentVolumeClaim != nil:
		return "persistentVolumeClaim"
	case v.HostPath != nil:
		return "hostPath"
	case v.CSI != nil:
		return "csi"
	case v.DownwardAPI != nil:
		return "downwardAPI"
	default:
		return "other"
	}
}

// Secret classifies a Secret. Its values are read here and nowhere else;
// the result holds key names, credential kinds and redacted fingerprints.
// stringData is honoured for manifests that were never applied.
func Secret(s *corev1.Secret, loc *snapshot.Location) snapshot.Secret {
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	typ := string(s.Type)
	if typ == "" {
		typ = string(corev1.SecretTypeOpaque)
	}
	return snapshot.Secret{
		Meta:        meta(s.ObjectMeta, loc),
		Type:        typ,
		Keys:        keys,
		Credentials: secrets.ClassifyAll(data),
	}
}

// ControlPlane normalises a Spaces ControlPlane.
func ControlPlane(u *unstructured.Unstructured, loc *snapshot.Location) snapshot.ControlPlane {
	return snapshot.ControlPlane{Meta: unstructuredMeta(u, loc), UID: string(u.GetUID())}
}

// BackupConfig normalises a SharedBackupConfig or SpaceBackupConfig. Values
// are kept exactly, surrounding white space included, so that the controls
// can flag it.
func BackupConfig(u *unstructured.Unstructured, loc *snapshot.Location) snapshot.BackupConfig {
	str := func(fields ...string) string {
		v, _, _ := unstructured.NestedFieldNoCopy(u.Object, fields...)
		s, _ := v.(string)
		return secrets.Value(fields[len(fields)-1], s)
	}
	out := snapshot.BackupConfig{
		Meta:              unstructuredMeta(u, loc),
		Kind:              u.GetKind(),
		Provider:          str("spec", "objectStorage", "provider"),
		Bucket:            str("spec", "objectStorage", "bucket"),
		Prefix:            str("spec", "objectStorage", "prefix"),
		Config:            map[string]string{},
		CredentialsSource: str("spec", "objectStorage", "credentials", "source"),
	}
	if cfg, ok, _ := unstructured.NestedMap(u.Object, "spec", "objectStorage", "config"); ok {
		for k, v := range cfg {
			if s, ok := v.(string); ok {
				out.Config[k] = secrets.Value(k, s)
			}
		}
	}
	name := str("spec", "objectStorage", "credentials", "secretRef", "name")
	key := str("spec", "objectStorage", "credentials", "secretRef", "key")
	if name != "" || key != "" {
		out.SecretRef = &snapshot.KeyRef{Name: name, Key: key}
	}
	return out
}

func unstructuredMeta(u *unstructured.Unstructured, loc *snapshot.Location) snapshot.Meta {
	m := snapshot.Meta{
		Namespace:   u.GetNamespace(),
		Name:        u.GetName(),
		Labels:      secrets.Labels(u.GetLabels()),
		Annotations: secrets.Annotations(u.GetAnnotations()),
		Source:      loc,
	}
	if ts := u.GetCreationTimestamp(); !ts.IsZero() {
		t := ts.UTC()
		m.CreatedAt = &t
	}
	return m
}

// NodePoolLabel is the label GKE puts on a node with its node pool's name.
const NodePoolLabel = "cloud.google.com/gke-nodepool"

// Node normalises a node to its name and GKE node pool.
func Node(n *corev1.Node, loc *snapshot.Location) snapshot.Node {
	return snapshot.Node{Name: n.Name, Pool: n.Labels[NodePoolLabel], Source: loc}
}
