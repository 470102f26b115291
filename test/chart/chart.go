// Package chart renders the wiscan Helm chart with Helm v4's own loader,
// values coalescing, schema validation and template engine, for the tests
// that check the chart and install what it renders on a real API server.
package chart

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Dir is the chart's folder.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "charts", "wiscan")
}

// Rendered is what the chart renders: its objects, in file order, and the
// text of each template.
type Rendered struct {
	Objects []*unstructured.Unstructured
	Files   map[string]string
}

// Render renders the chart as release name in namespace with values over
// its defaults, checking them against values.schema.json as helm install
// does.
func Render(name, namespace string, values map[string]any) (*Rendered, error) {
	c, err := loader.Load(Dir())
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	opts := chartcommon.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValuesWithSchemaValidation(c, values, opts, chartcommon.DefaultCapabilities, false)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Render(c, vals)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	r := &Rendered{Files: files}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !strings.HasSuffix(n, ".yaml") {
			continue
		}
		for _, doc := range strings.Split(files[n], "\n---") {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if len(obj) == 0 {
				continue
			}
			r.Objects = append(r.Objects, &unstructured.Unstructured{Object: obj})
		}
	}
	return r, nil
}

// Find returns the rendered object of kind named name, or nil.
func (r *Rendered) Find(kind, name string) *unstructured.Unstructured {
	for _, o := range r.Objects {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			return o
		}
	}
	return nil
}
