package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/wiscan/wiscan/report"
)

// FieldManager names wiscan's writes in managedFields.
const FieldManager = "wiscan"

// gvr are the resources of the kinds steps change, by kubectl's name.
var gvr = map[string]schema.GroupVersionResource{
	"serviceaccount":                        {Version: "v1", Resource: "serviceaccounts"},
	"secret":                                {Version: "v1", Resource: "secrets"},
	"deployment":                            {Group: "apps", Version: "v1", Resource: "deployments"},
	"statefulset":                           {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"daemonset":                             {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"cronjob":                               {Group: "batch", Version: "v1", Resource: "cronjobs"},
	"job":                                   {Group: "batch", Version: "v1", Resource: "jobs"},
	"sharedbackupconfigs.spaces.upbound.io": {Group: "spaces.upbound.io", Version: "v1alpha1", Resource: "sharedbackupconfigs"},
	"spacebackupconfigs.spaces.upbound.io":  {Group: "spaces.upbound.io", Version: "v1alpha1", Resource: "spacebackupconfigs"},
}

// Kube applies Kubernetes steps: JSON patches whose test operations are
// their preconditions, restarts, and the deletion of a Secret, each tried
// first with a server-side dry run.
type Kube struct {
	Client dynamic.Interface
	// Now stamps restarts.
	Now func() time.Time
}

// Apply makes one step.
func (k Kube) Apply(ctx context.Context, s Step, dryRun bool) (Change, error) {
	var dry []string
	if dryRun {
		dry = []string{metav1.DryRunAll}
	}
	switch {
	case s.Action == report.Restart:
		return k.restart(ctx, s, dry)
	case s.Action == report.DeleteSecret:
		return k.deleteSecret(ctx, s, dry)
	case s.Patch != nil:
		return k.patch(ctx, s.Patch, dry)
	}
	return Change{}, fmt.Errorf("%w: %s %s has no patch", ErrNotApplicable, s.Action, report.Clean(s.Object))
}

func (k Kube) resource(res, ns string) (dynamic.ResourceInterface, error) {
	g, ok := gvr[res]
	if !ok {
		return nil, fmt.Errorf("%w: resource %s", ErrNotApplicable, res)
	}
	if ns == "" {
		return k.Client.Resource(g), nil
	}
	return k.Client.Resource(g).Namespace(ns), nil
}

// patch sends the JSON patch. A failed test operation is the object
// changing since the scan; a patch whose result is the object as it is
// (a key already moved and tested) writes nothing.
func (k Kube) patch(ctx context.Context, p *Patch, dry []string) (Change, error) {
	r, err := k.resource(p.Resource, p.Namespace)
	if err != nil {
		return Change{}, err
	}
	body, err := json.Marshal(p.Ops)
	if err != nil {
		return Change{}, err
	}
	before, err := r.Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return Change{}, fmt.Errorf("get %s %s: %w", p.Resource, report.Clean(p.Name), err)
	}
	after, err := r.Patch(ctx, p.Name, types.JSONPatchType, body, metav1.PatchOptions{DryRun: dry, FieldManager: FieldManager})
	removed := err == nil
	switch {
	case apierrors.IsInvalid(err) || apierrors.ReasonForError(err) == metav1.StatusReasonInvalid || apierrors.IsConflict(err):
		return Change{}, fmt.Errorf("%w: %s %s: %w", ErrChanged, p.Resource, report.Clean(p.Name), err)
	case apierrors.IsForbidden(err):
		return Change{}, fmt.Errorf("patch %s %s needs the patch verb on %s: %w", p.Resource, report.Clean(p.Name), gvr[p.Resource].Resource, err)
	case err != nil:
		return Change{}, fmt.Errorf("patch %s %s: %w", p.Resource, report.Clean(p.Name), err)
	}
	return Change{Wrote: true, Before: summary(p, before.Object, false), After: summary(p, after.Object, removed)}, nil
}

// summary is what a patch changes, before or after: the values at the
// paths it sets or moves. What it removes (an environment variable that
// may hold a credential's value) is named by its path only, present
// before and removed after.
func summary(p *Patch, obj map[string]any, done bool) string {
	var out []string
	for _, op := range p.Ops {
		switch {
		case op.Op == "test":
			continue
		case op.Op == "remove" && done:
			out = append(out, op.Path+" removed")
			continue
		case op.Op == "remove":
			out = append(out, op.Path+" present")
			continue
		}
		v, ok := at(obj, op.Path)
		if !ok {
			out = append(out, op.Path+" absent")
			continue
		}
		b, _ := json.Marshal(v)
		out = append(out, op.Path+"="+string(b))
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// at reads a JSON pointer.
func at(obj any, pointer string) (any, bool) {
	cur := obj
	for _, part := range splitPointer(pointer) {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// restart stamps the pod template with the time, as kubectl rollout
// restart does; the workload's controller rolls the pods out.
func (k Kube) restart(ctx context.Context, s Step, dry []string) (Change, error) {
	res := resource[s.Fix.Kind]
	if s.Fix.Kind == "CronJob" {
		return k.jobFromCronJob(ctx, s, dry)
	}
	if _, ok := templatePath[s.Fix.Kind]; !ok {
		return Change{}, fmt.Errorf("%w: restarting a %s (%s)", ErrNotApplicable, s.Fix.Kind, report.Clean(s.ByHand))
	}
	r, err := k.resource(res, s.Fix.Namespace)
	if err != nil {
		return Change{}, err
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	stamp := now().UTC().Format(time.RFC3339)
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]string{"kubectl.kubernetes.io/restartedAt": stamp}}}}})
	if _, err := r.Patch(ctx, s.Fix.Name, types.MergePatchType, body, metav1.PatchOptions{DryRun: dry, FieldManager: FieldManager}); err != nil {
		return Change{}, fmt.Errorf("restart %s %s: %w", res, report.Clean(s.Fix.Name), err)
	}
	return Change{Wrote: true, After: "restartedAt " + stamp}, nil
}

// jobFromCronJob starts a Job from a CronJob now, as kubectl create job
// --from=cronjob/ does, under the plan's name for it: one there already
// (a second run) needs no write.
func (k Kube) jobFromCronJob(ctx context.Context, s Step, dry []string) (Change, error) {
	cj, err := k.resource("cronjob", s.Fix.Namespace)
	if err != nil {
		return Change{}, err
	}
	cron, err := cj.Get(ctx, s.Fix.Name, metav1.GetOptions{})
	if err != nil {
		return Change{}, fmt.Errorf("get cronjob %s: %w", report.Clean(s.Fix.Name), err)
	}
	spec, ok, _ := unstructured.NestedMap(cron.Object, "spec", "jobTemplate", "spec")
	if !ok {
		return Change{}, fmt.Errorf("%w: cronjob %s has no job template", ErrChanged, report.Clean(s.Fix.Name))
	}
	name := jobName(s.Fix.Name)
	job := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{
			"name": name, "namespace": s.Fix.Namespace,
			"annotations":     map[string]any{"cronjob.kubernetes.io/instantiate": "manual"},
			"ownerReferences": []any{map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron.GetName(), "uid": string(cron.GetUID()), "controller": true}},
		},
		"spec": spec,
	}}
	jobs, err := k.resource("job", s.Fix.Namespace)
	if err != nil {
		return Change{}, err
	}
	_, err = jobs.Create(ctx, job, metav1.CreateOptions{DryRun: dry, FieldManager: FieldManager})
	switch {
	case apierrors.IsAlreadyExists(err):
		return Change{Before: "job " + name, After: "job " + name}, nil
	case err != nil:
		return Change{}, fmt.Errorf("create job %s from cronjob %s: %w", name, report.Clean(s.Fix.Name), err)
	}
	return Change{Wrote: true, Before: "no job " + name, After: "job " + name}, nil
}

// deleteSecret deletes the Secret the scan read, guarded by its UID and
// resourceVersion read just before: a Secret replaced or changed since is
// left alone.
func (k Kube) deleteSecret(ctx context.Context, s Step, dry []string) (Change, error) {
	r, err := k.resource("secret", s.Fix.Namespace)
	if err != nil {
		return Change{}, err
	}
	cur, err := r.Get(ctx, s.Fix.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Change{Before: "absent", After: "absent"}, nil
	}
	if err != nil {
		return Change{}, fmt.Errorf("get secret %s: %w", report.Clean(s.Fix.Name), err)
	}
	uid, rv := cur.GetUID(), cur.GetResourceVersion()
	err = r.Delete(ctx, s.Fix.Name, metav1.DeleteOptions{DryRun: dry, Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
	if apierrors.IsConflict(err) {
		return Change{}, fmt.Errorf("%w: secret %s: %w", ErrChanged, report.Clean(s.Fix.Name), err)
	}
	if err != nil {
		return Change{}, fmt.Errorf("delete secret %s: %w", report.Clean(s.Fix.Name), err)
	}
	return Change{Wrote: true, Before: "present (resourceVersion " + rv + ")", After: "deleted"}, nil
}

// splitPointer splits a JSON pointer into its unescaped parts.
func splitPointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}
