package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/wiscan/wiscan/report"
)

// errNoReportCRD says the cluster does not serve the report API.
type errNoReportCRD struct{ api report.PolicyReportAPI }

func (e errNoReportCRD) Error() string {
	where := "with Kyverno, Policy Reporter, or from kubernetes-sigs/wg-policy-prototypes"
	if e.api.Group == "openreports.io" {
		where = "from openreports/reports-api"
	}
	return fmt.Sprintf("the cluster does not serve %s and %s (%s): install their CRDs (%s)", e.api.Kind, e.api.ClusterKind, e.api.APIVersion(), where)
}

// applyPolicyReports applies the report's PolicyReports with server-side
// apply (field manager wiscan), and empties the reports wiscan wrote
// earlier in namespaces that are no longer targets, so that none is left
// stale. In namespaced mode (namespaces set) those are looked for in
// those namespaces only.
func applyPolicyReports(ctx context.Context, cfg *rest.Config, r report.Report, group string, namespaces []string) error {
	api, ok := report.LookupPolicyReportAPI(group)
	if !ok {
		return fmt.Errorf("report API %q: want one of %s", group, strings.Join(report.PolicyReportAPIs, ", "))
	}
	var b bytes.Buffer
	if err := (report.PolicyReports{W: &b, API: group}).Write(ctx, r); err != nil {
		return err
	}
	if err := served(cfg, api); err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	namespaced := dyn.Resource(schema.GroupVersionResource{Group: api.Group, Version: api.Version, Resource: api.Resource})
	cluster := dyn.Resource(schema.GroupVersionResource{Group: api.Group, Version: api.Version, Resource: api.ClusterResource})
	written := map[string]bool{}
	for _, doc := range strings.Split(b.String(), "---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return err
		}
		var ri dynamic.ResourceInterface = cluster
		if u.GetNamespace() != "" {
			ri = namespaced.Namespace(u.GetNamespace())
		}
		if err := apply(ctx, ri, u); err != nil {
			return err
		}
		written[u.GetNamespace()] = true
	}
	var old []unstructured.Unstructured
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=wiscan"}
	if len(namespaces) == 0 {
		l, err := namespaced.List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list %s: %w", api.Resource, err)
		}
		old = l.Items
	}
	for _, ns := range namespaces {
		if written[ns] {
			continue
		}
		l, err := namespaced.Namespace(ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list %s in %s: %w", api.Resource, ns, err)
		}
		old = append(old, l.Items...)
	}
	for _, it := range old {
		if written[it.GetNamespace()] || it.GetName() != "wiscan" {
			continue
		}
		empty := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": api.APIVersion(), "kind": api.Kind,
			"metadata": map[string]any{"name": it.GetName(), "namespace": it.GetNamespace(), "labels": map[string]any{"app.kubernetes.io/managed-by": "wiscan"}},
			"summary":  map[string]any{"pass": int64(0), "fail": int64(0), "warn": int64(0), "error": int64(0), "skip": int64(0)},
			"results":  []any{},
		}}
		if api.Group == "openreports.io" {
			empty.Object["source"] = "wiscan"
		}
		if err := apply(ctx, namespaced.Namespace(it.GetNamespace()), empty); err != nil {
			return err
		}
	}
	return nil
}

// served checks that the cluster serves both kinds of the report API.
func served(cfg *rest.Config, api report.PolicyReportAPI) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	list, err := dc.ServerResourcesForGroupVersion(api.APIVersion())
	if apierrors.IsNotFound(err) {
		return errNoReportCRD{api}
	}
	if err != nil {
		return fmt.Errorf("discover %s: %w", api.APIVersion(), err)
	}
	have := map[string]bool{}
	for _, res := range list.APIResources {
		have[res.Name] = true
	}
	if !have[api.Resource] || !have[api.ClusterResource] {
		return errNoReportCRD{api}
	}
	return nil
}

func apply(ctx context.Context, ri dynamic.ResourceInterface, u *unstructured.Unstructured) error {
	if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "wiscan", Force: true}); err != nil {
		where := u.GetName()
		if ns := u.GetNamespace(); ns != "" {
			where = ns + "/" + where
		}
		return fmt.Errorf("apply %s %s: %w", u.GetKind(), where, err)
	}
	return nil
}
