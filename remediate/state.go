package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

// Options choose what a plan knows and what it may do beyond adding what
// is missing.
type Options struct {
	// Snapshot is the state the report was made from: with it every step
	// carries the exact change, guarded by what the scan read.
	Snapshot *snapshot.Snapshot
	// AllowDeletion plans the steps that delete (a Secret of static
	// credentials); without it they are listed, their command withheld.
	AllowDeletion bool
	// AllowNarrowing plans the steps that remove a broader grant once the
	// narrower one is in place (an Azure role assignment above the
	// storage account, a GCP grant above the bucket) and that turn off a
	// storage account's shared keys; without it they are listed, their
	// command withheld.
	AllowNarrowing bool
	// TrustPattern lets a trust policy that would outgrow its quota admit
	// the control planes by a StringLike pattern confined to the profile's
	// namespaces instead of one subject each.
	TrustPattern bool
	// HelmChart is the chart reference helm upgrade takes for a release
	// that owns an object a step changes; without it such a step is by
	// hand, with the values to set.
	HelmChart string
}

// ErrMismatch marks a snapshot that is not the one a report was made from.
var ErrMismatch = errors.New("the snapshot is not the one the report was made from")

// Matches checks that a report was made from a snapshot: the same source
// and the same target namespaces for each profile.
func Matches(r report.Report, s *snapshot.Snapshot) error {
	if r.Source.Mode != s.Source.Mode || r.Source.Context != s.Source.Context || r.Source.Server != s.Source.Server || r.Source.Evidence != s.Source.Evidence {
		return fmt.Errorf("%w: the report read %s, the snapshot %s", ErrMismatch, describe(r.Source), describe(s.Source))
	}
	for _, p := range r.Profiles {
		sp, ok := s.Profile(p.Name)
		if !ok {
			return fmt.Errorf("%w: the snapshot has no profile %s", ErrMismatch, p.Name)
		}
		if !slices.Equal(slices.Sorted(slices.Values(sp.Targets)), p.Namespaces) {
			return fmt.Errorf("%w: profile %s matched other namespaces", ErrMismatch, p.Name)
		}
	}
	return nil
}

func describe(s snapshot.Source) string {
	switch {
	case s.Evidence != "":
		return "evidence " + report.Clean(s.Evidence)
	case s.Context != "":
		return "context " + report.Clean(s.Context)
	case s.Server != "":
		return "server " + report.Clean(s.Server)
	}
	return s.Mode
}

// Patch is a JSON patch (RFC 6902) of one Kubernetes object.
type Patch struct {
	// Resource is the object's resource as kubectl names it.
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Ops       []Op   `json:"ops"`
}

// Op is one JSON patch operation.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// args is the kubectl command that applies the patch. Each operation's
// members are written in name order, as a map marshals them.
func (p *Patch) args() []string {
	ops := make([]map[string]any, len(p.Ops))
	for i, op := range p.Ops {
		m := map[string]any{"op": op.Op, "path": op.Path}
		if op.From != "" {
			m["from"] = op.From
		}
		if op.Value != nil {
			m["value"] = op.Value
		}
		ops[i] = m
	}
	b, _ := json.Marshal(ops)
	args := []string{"kubectl", "patch"}
	if p.Namespace != "" {
		args = append(args, "--namespace="+p.Namespace)
	}
	return append(args, "--type=json", "--patch="+string(b), "--", p.Resource, p.Name)
}

// Helm is a change made through the Helm release that owns the object.
type Helm struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Values are --set-string arguments, key=value, escaped for Helm.
	Values []string `json:"values"`
}

// state is what the plan knows besides the report.
type state struct {
	snap *snapshot.Snapshot
	opts Options
}

func newState(o Options) *state { return &state{snap: o.Snapshot, opts: o} }

// exact turns a step into the exact change the state gives, guarded by
// what the scan read; without the state the step stays as the report
// alone allows.
func (st *state) exact(s *Step, f report.Fix, o Options) {
	switch {
	case f.Action == report.DeleteSecret && !o.AllowDeletion:
		s.Needs, s.Args, s.Caution = "--allow-deletion", nil, ""
		s.ByHand = fmt.Sprintf("once nothing reads it, delete %s (--allow-deletion plans it), then revoke the credential it held at the cloud provider", s.Object)
	case f.Action == report.DeleteKey && !o.AllowDeletion:
		s.Needs, s.Args, s.Caution = "--allow-deletion", nil, ""
		s.ByHand = fmt.Sprintf("once nothing uses it any more, delete user-managed key %s of %s (gcloud iam service-accounts keys delete %s --iam-account=%s; --allow-deletion plans it)", f.Key, f.Name, f.Key, f.Name)
	}
	if f.Action == report.DisableSharedKey {
		*s = narrowing(*s, o)
	}
	if st.snap == nil {
		return
	}
	switch f.Action {
	case report.Label:
		st.templateLabel(s, f)
	case report.TrustSubject:
		st.trustSubject(s, f)
	case report.Annotate:
		st.annotate(s, f)
	case report.SetField:
		st.setField(s, f)
	case report.UseIdentity:
		st.useIdentity(s, f)
	case report.RemoveCredentials:
		st.removeCredentials(s, f)
	}
}

// serviceAccount is a service account of the snapshot.
func (st *state) serviceAccount(ns, name string) (snapshot.ServiceAccount, bool) {
	sa, ok := st.snap.Kubernetes.ServiceAccounts[ns][name]
	return sa, ok
}

// annotate sets a service account's annotation with a test of the value
// the scan read (or of the object's other annotations, when it had none).
func (st *state) annotate(s *Step, f report.Fix) {
	if f.Kind != "ServiceAccount" || f.In != "" {
		return
	}
	sa, ok := st.serviceAccount(f.Namespace, f.Name)
	if !ok {
		return
	}
	if st.helm(s, sa.Meta, "ServiceAccountAnnotations", f.Key, f.Value) {
		return
	}
	path := "/metadata/annotations/" + pointer(f.Key)
	old, had := sa.Annotations[f.Key]
	var ops []Op
	switch {
	case had:
		ops = []Op{{Op: "test", Path: path, Value: old}, {Op: "replace", Path: path, Value: f.Value}}
	case len(sa.Annotations) == 0:
		ops = []Op{{Op: "add", Path: "/metadata/annotations", Value: map[string]string{f.Key: f.Value}}}
	default:
		ops = []Op{{Op: "add", Path: path, Value: f.Value}}
	}
	st.patch(s, "ServiceAccount", f.Namespace, f.Name, ops)
}

// templateLabel sets a pod template's label through the Helm release that
// owns the workload, when one does.
func (st *state) templateLabel(s *Step, f report.Fix) {
	if f.In != "template.labels" {
		return
	}
	if w, ok := st.snap.Kubernetes.Workloads(f.Kind)[f.Namespace][f.Name]; ok {
		st.helm(s, w.Meta, "PodLabels", f.Key, f.Value)
	}
}

// patch makes the step a JSON patch.
func (st *state) patch(s *Step, kind, ns, name string, ops []Op) {
	s.Patch = &Patch{Resource: resource[kind], Namespace: ns, Name: name, Ops: ops}
	s.Args, s.ByHand = s.Patch.args(), ""
}

// backupConfig finds a backup configuration of the snapshot.
func (st *state) backupConfig(kind, ns, name string) (snapshot.BackupConfig, bool) {
	list := st.snap.Kubernetes.Spaces.SharedBackupConfigs
	if kind == "SpaceBackupConfig" {
		list = st.snap.Kubernetes.Spaces.SpaceBackupConfigs
	}
	for _, b := range list {
		if b.Namespace == ns && b.Name == name {
			return b, true
		}
	}
	return snapshot.BackupConfig{}, false
}

// setField sets a backup configuration's field, tested against the value
// the scan read.
func (st *state) setField(s *Step, f report.Fix) {
	b, ok := st.backupConfig(f.Kind, f.Namespace, f.Name)
	if !ok {
		return
	}
	rest, ok := strings.CutPrefix(f.Field, "spec.objectStorage.")
	if !ok {
		return
	}
	var old string
	switch key, isConfig := strings.CutPrefix(rest, "config."); {
	case rest == "bucket":
		old = b.Bucket
	case rest == "provider":
		old = b.Provider
	case isConfig:
		if old, ok = b.Config[key]; !ok {
			return
		}
	default:
		return
	}
	if st.helm(s, b.Meta, "BackupStorage", storageValue(b.Provider, rest), f.Value) {
		return
	}
	path := fieldPointer(f.Field)
	st.patch(s, f.Kind, f.Namespace, f.Name, []Op{{Op: "test", Path: path, Value: old}, {Op: "replace", Path: path, Value: f.Value}})
}

// storageValue is the Helm value of a backup storage field, under the
// profile's backup storage values: provider, bucket, <provider>.<key>.
func storageValue(provider, field string) string {
	if key, ok := strings.CutPrefix(field, "config."); ok {
		return strings.ToLower(strings.TrimSpace(provider)) + "." + key
	}
	return field
}

// fieldPointer is the JSON pointer of a dotted field path.
func fieldPointer(field string) string {
	parts := strings.Split(field, ".")
	for i, p := range parts {
		parts[i] = pointer(p)
	}
	return "/" + strings.Join(parts, "/")
}

// useIdentity switches a backup configuration to InjectedIdentity, tested
// against the source the scan read.
func (st *state) useIdentity(s *Step, f report.Fix) {
	b, ok := st.backupConfig(f.Kind, f.Namespace, f.Name)
	if !ok {
		return
	}
	if st.helm(s, b.Meta, "BackupStorage", "credentials.source", "InjectedIdentity") {
		return
	}
	ops := []Op{
		{Op: "test", Path: "/spec/objectStorage/credentials/source", Value: b.CredentialsSource},
		{Op: "replace", Path: "/spec/objectStorage/credentials/source", Value: "InjectedIdentity"},
	}
	if b.SecretRef != nil {
		ops = append(ops, Op{Op: "remove", Path: "/spec/objectStorage/credentials/secretRef"})
	}
	st.patch(s, f.Kind, f.Namespace, f.Name, ops)
}

// removeCredentials removes each named piece from a workload's pod
// template, each removal preceded by a test of the name at its index.
func (st *state) removeCredentials(s *Step, f report.Fix) {
	w, ok := st.snap.Kubernetes.Workloads(f.Kind)[f.Namespace][f.Name]
	base, known := templatePath[f.Kind]
	if !ok || !known {
		return
	}
	spec := strings.TrimSuffix(base, "/metadata") + "/spec"
	var ops []Op
	remove := func(path, name string) {
		ops = append(ops, Op{Op: "test", Path: path + "/name", Value: name}, Op{Op: "remove", Path: path})
	}
	index := map[bool]int{}
	for _, c := range w.Template.Containers {
		list := "containers"
		if c.Init {
			list = "initContainers"
		}
		at := fmt.Sprintf("%s/%s/%d", spec, list, index[c.Init])
		index[c.Init]++
		// Last first, so that each index still names what was read.
		for i := len(c.Mounts) - 1; i >= 0; i-- {
			if slices.Contains(f.Remove, "volume:"+c.Mounts[i].Volume) {
				remove(fmt.Sprintf("%s/volumeMounts/%d", at, i), c.Mounts[i].Volume)
			}
		}
		for i := len(c.EnvFrom) - 1; i >= 0; i-- {
			if e := c.EnvFrom[i]; e.Secret != "" && slices.Contains(f.Remove, "envFrom:"+c.Name+":"+e.Secret) {
				p := fmt.Sprintf("%s/envFrom/%d", at, i)
				ops = append(ops, Op{Op: "test", Path: p + "/secretRef/name", Value: e.Secret}, Op{Op: "remove", Path: p})
			}
		}
		for i := len(c.Env) - 1; i >= 0; i-- {
			if slices.Contains(f.Remove, "env:"+c.Name+":"+c.Env[i].Name) {
				remove(fmt.Sprintf("%s/env/%d", at, i), c.Env[i].Name)
			}
		}
	}
	for i := len(w.Template.Volumes) - 1; i >= 0; i-- {
		if v := w.Template.Volumes[i]; slices.Contains(f.Remove, "volume:"+v.Name) {
			remove(fmt.Sprintf("%s/volumes/%d", spec, i), v.Name)
		}
	}
	if len(ops) > 0 {
		st.patch(s, f.Kind, f.Namespace, f.Name, ops)
	}
}

// helmOwned reads the release that owns an object from Helm's
// annotations; ok is false for an object no release owns, and release is
// empty for one marked as Helm's without them.
func helmOwned(m snapshot.Meta) (release, namespace string, ok bool) {
	release, namespace = m.Annotations["meta.helm.sh/release-name"], m.Annotations["meta.helm.sh/release-namespace"]
	return release, namespace, release != "" || m.Labels["app.kubernetes.io/managed-by"] == "Helm"
}

// helm makes a step on an object a Helm release owns set the profile's
// Helm value instead (which: the field of snapshot.HelmValues), since a
// direct patch would be undone by the next upgrade. It reports whether
// the object is the release's.
func (st *state) helm(s *Step, m snapshot.Meta, which, key, value string) bool {
	release, ns, owned := helmOwned(m)
	if !owned {
		return false
	}
	var base string
	if p, ok := st.profileOf(m.Namespace); ok && p.Helm != nil {
		switch which {
		case "ServiceAccountAnnotations":
			base = p.Helm.ServiceAccountAnnotations
		case "PodLabels":
			base = p.Helm.PodLabels
		case "BackupStorage":
			base = p.Helm.BackupStorage
		}
	}
	s.Args, s.Patch = nil, nil
	if ns == "" {
		ns = m.Namespace
	}
	// The release and its namespace come from the object's annotations:
	// names Helm would not accept never reach a command.
	if base == "" || len(validation.IsDNS1123Label(release)) > 0 || len(validation.IsDNS1123Label(ns)) > 0 {
		s.ByHand = fmt.Sprintf("%s belongs to a Helm release (its chart's values set it); change it there: %s to %q", s.Object, key, value)
		return true
	}
	// An annotation's or label's key is one map key, its dots literal; a
	// backup storage field is a path under the storage values.
	path := base + "." + helmKey(key)
	if which == "BackupStorage" {
		path = base + "." + key
	}
	h := &Helm{Release: release, Namespace: ns, Values: []string{path + "=" + helmValue(value)}}
	s.Helm = h
	if st.opts.HelmChart == "" {
		s.ByHand = fmt.Sprintf("%s belongs to Helm release %s in namespace %s: helm upgrade %s <chart> --namespace %s --reuse-values --set-string %s (--helm-chart names the chart and makes this a command)",
			s.Object, h.Release, h.Namespace, h.Release, h.Namespace, h.Values[0])
		return true
	}
	s.Args = []string{"helm", "upgrade", h.Release, st.opts.HelmChart, "--namespace=" + h.Namespace, "--reuse-values", "--set-string=" + h.Values[0]}
	s.ByHand = ""
	return true
}

// helmKey escapes a key for --set: its dots and commas are literal.
func helmKey(k string) string {
	return strings.NewReplacer(`\`, `\\`, ".", `\.`, ",", `\,`, "=", `\=`).Replace(k)
}

// helmValue escapes a value's commas and backslashes for --set.
func helmValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`).Replace(v)
}

// profileOf is the profile whose target namespace ns is, or the first
// profile for a namespace no profile targets (a group's configuration).
func (st *state) profileOf(ns string) (snapshot.Profile, bool) {
	for _, t := range st.snap.Targets {
		if t.Namespace == ns {
			return st.snap.Profile(t.Profile)
		}
	}
	for _, p := range st.snap.Profiles {
		if p.BackupConfig != "" {
			return p, true
		}
	}
	return snapshot.Profile{}, false
}

// target is the snapshot's target of a namespace.
func (st *state) target(ns string) (snapshot.Target, snapshot.Profile, bool) {
	if st.snap == nil {
		return snapshot.Target{}, snapshot.Profile{}, false
	}
	for _, t := range st.snap.Targets {
		if t.Namespace == ns {
			p, ok := st.snap.Profile(t.Profile)
			return t, p, ok
		}
	}
	return snapshot.Target{}, snapshot.Profile{}, false
}

// resolvedBy finds a planned step that resolves a finding its control
// gives no fix for: a missing binding (WI-K8S-002) that the move of a
// misspelt key onto the same service account supplies.
func (st *state) resolvedBy(f report.Finding, steps []Step) (int, bool) {
	if f.ControlID == "WI-K8S-006" && f.Resource.Kind == "Pod" {
		return templateLabelled(f.Resource.Namespace, steps)
	}
	if f.ControlID != "WI-K8S-002" || f.Resource.Kind != "ServiceAccount" {
		return 0, false
	}
	want := "ServiceAccount/" + f.Resource.Namespace + "/" + f.Resource.Name
	for i, s := range steps {
		if s.Action == report.RenameKey && s.Object == want && bindingKey(s.Args) {
			return i, true
		}
	}
	return 0, false
}

// templateLabelled finds the step that labels the pod template of the
// workload in namespace ns: its rollout replaces the unlabelled pods.
func templateLabelled(ns string, steps []Step) (int, bool) {
	for i, s := range steps {
		kind, sns, _ := split(s.Object)
		if s.Action == report.Label && sns == ns && kind != "Pod" && kind != "ServiceAccount" {
			return i, true
		}
	}
	return 0, false
}

// bindingKey holds for a rename onto a cloud's identity annotation.
func bindingKey(args []string) bool {
	for _, name := range clouds.Names() {
		c, _ := clouds.Get(name)
		for _, a := range args {
			if strings.Contains(a, `"path":"/metadata/annotations/`+pointer(c.Annotation.Key)+`"`) {
				return true
			}
		}
	}
	return false
}

// derive plans, from the state, a failure whose control gives no fix: a
// service account without a binding (WI-K8S-002) gets the identity every
// other control plane of its profile and cloud is bound to, when they
// agree on one.
func (st *state) derive(f report.Finding) (Step, bool) {
	if f.ControlID != "WI-K8S-002" || f.Resource.Kind != "ServiceAccount" || st.snap == nil {
		return Step{}, false
	}
	t, _, ok := st.target(f.Resource.Namespace)
	c, known := clouds.Get(t.Cloud)
	if !ok || !known {
		return Step{}, false
	}
	identities := map[string]bool{}
	for _, o := range st.snap.Targets {
		if o.Profile != t.Profile || o.Cloud != t.Cloud || o.Namespace == t.Namespace {
			continue
		}
		p, _ := st.snap.Profile(o.Profile)
		sa, ok := st.serviceAccount(o.Namespace, p.ServiceAccount)
		if v := strings.TrimSpace(sa.Annotations[c.Annotation.Key]); ok && v != "" {
			identities[v] = true
		}
	}
	if len(identities) != 1 {
		return Step{}, false
	}
	fix := report.Fix{Action: report.Annotate, Kind: "ServiceAccount", Namespace: f.Resource.Namespace, Name: f.Resource.Name, Key: c.Annotation.Key}
	for v := range identities {
		fix.Value = v
	}
	s := st.step(fix, st.opts)
	s.Caution = "the identity every other control plane of profile " + t.Profile + " uses"
	return s, true
}

// restarts are the restarts that let running pods pick up a service
// account's new binding: one for each target workload whose service
// account a step changes, unless the plan already restarts it.
func (st *state) restarts(steps []Step) []Step {
	if st.snap == nil {
		return nil
	}
	planned := map[string]bool{}
	for _, s := range steps {
		if s.Action == report.Restart {
			planned[s.Object] = true
		}
	}
	var out []Step
	for _, s := range steps {
		kind, ns, name := split(s.Object)
		if kind != "ServiceAccount" || (s.Action != report.RenameKey && s.Action != report.Annotate) {
			continue
		}
		_, p, ok := st.target(ns)
		if !ok || p.ServiceAccount != name {
			continue
		}
		fix := report.Fix{Action: report.Restart, Kind: p.Workload.Kind, Namespace: ns, Name: p.Workload.Name}
		if planned[object(fix)] {
			continue
		}
		if _, exists := st.snap.Kubernetes.Workloads(fix.Kind)[ns][fix.Name]; !exists {
			continue
		}
		planned[object(fix)] = true
		r := step(fix)
		r.Caution = "running pods keep the binding they started with: new ones pick up the change to " + s.Object
		r.Findings = slices.Clone(s.Findings)
		for _, why := range s.Why {
			r.Why = append(r.Why, why+" (the restart that completes it)")
		}
		out = append(out, r)
	}
	return out
}

// split reads kind/namespace/name.
func split(o string) (kind, ns, name string) {
	p := strings.SplitN(o, "/", 3)
	if len(p) != 3 {
		return p[0], "", p[len(p)-1]
	}
	return p[0], p[1], p[2]
}

// identityControls are the controls that must pass before static
// credentials are dropped: the binding on both sides.
func identityControl(id string) bool {
	switch {
	case strings.HasPrefix(id, "WI-AWS-"), strings.HasPrefix(id, "WI-AZ-"), strings.HasPrefix(id, "WI-GCP-"):
		return !slices.Contains([]string{"WI-AWS-007", "WI-AWS-011", "WI-AWS-012", "WI-AZ-006", "WI-AZ-007", "WI-AZ-008", "WI-GCP-005", "WI-GCP-007", "WI-GCP-008"}, id)
	}
	return slices.Contains([]string{"WI-K8S-001", "WI-K8S-002", "WI-K8S-003", "WI-K8S-004", "WI-K8S-005", "WI-K8S-006", "WI-K8S-007"}, id)
}

// gate withholds the steps that drop static credentials while a failure
// or unknown of the identity controls has no command in the plan: without
// a working identity the workload would lose its only way to the bucket.
func (st *state) gate(steps []Step, r report.Report) {
	covered := map[string]bool{}
	for _, s := range steps {
		if s.Args != nil {
			for _, k := range s.Findings {
				covered[k] = true
			}
		}
	}
	var blocking []string
	for _, f := range r.Findings {
		if f.Waiver == nil && (f.Status == report.Fail || f.Status == report.Unknown) && identityControl(f.ControlID) && !covered[f.Key] {
			blocking = append(blocking, f.ControlID+" on "+f.Resource.String())
		}
	}
	slices.Sort(blocking)
	blocking = slices.Compact(blocking)
	for i := range steps {
		s := &steps[i]
		if rank(s.Action) < 2 {
			continue
		}
		if len(blocking) > 0 && s.Args != nil {
			s.ByHand = "once workload identity works (" + strings.Join(blocking, ", ") + " still fail or are unknown, and no step above fixes them): " + withheld(s)
			s.Args, s.Patch, s.Helm = nil, nil, nil
			continue
		}
		if s.Args != nil {
			s.Caution = strings.TrimPrefix(s.Caution+"; ", "; ") + "only after the steps above have taken effect (wiscan apply scans again before it)"
		}
	}
}

// withheld says what a withheld step would do.
func withheld(s *Step) string {
	switch s.Action {
	case report.UseIdentity:
		return "switch " + s.Object + " to InjectedIdentity"
	case report.RemoveCredentials:
		return "remove the static credentials from " + s.Object
	case report.DeleteKey, report.Unassign, report.Unbind, report.DisableSharedKey:
		return strings.Join(s.Args, " ")
	}
	return "delete " + s.Object + " and revoke the credential it held"
}
