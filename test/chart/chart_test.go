package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/version"
)

// full sets every option the chart has, so that lint and render see every
// branch of the templates.
func full() map[string]any {
	return map[string]any{
		"scan": map[string]any{
			"cloud": "aws", "skipCloud": true, "failOn": "high",
			"aws": map[string]any{"clusterName": "spaces", "region": "us-east-1"},
			"azure": map[string]any{"subscriptions": []any{"0b1f6471-1bf0-4dda-aec3-111122223333"}, "resourceGroup": "spaces", "cluster": "spaces",
				"storageAccounts": []any{"spacesbackups"}, "clientId": "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"},
			"gcp": map[string]any{"project": "acme-prod", "location": "us-central1", "cluster": "spaces", "buckets": []any{"spaces-backups"},
				"serviceAccount": "wiscan-reader@acme-prod.iam.gserviceaccount.com"},
			"customProfiles": map[string]any{"billing-copy": map[string]any{"serviceAccount": "vector", "namespaces": map[string]any{"pattern": "^mxp-[0-9a-f-]+-system$"}, "access": map[string]any{"objects": []any{"write", "list"}}}},
			"extraArgs":      []any{"--allow-empty"},
		},
		"pushgateway":    map[string]any{"url": "http://pushgateway.monitoring:9091", "labels": map[string]any{"cluster": "prod"}},
		"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/wiscan-reader"}},
		"prometheusRule": map[string]any{"enabled": true, "labels": map[string]any{"release": "kube-prometheus-stack"}},
		"image":          map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)},
		"timeZone":       "Etc/UTC",
	}
}

func render(t *testing.T, values map[string]any) *Rendered {
	t.Helper()
	r, err := Render("wiscan", "wiscan-system", values)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Helm's own linter finds nothing, with the defaults and with every option.
func TestLint(t *testing.T) {
	for name, values := range map[string]map[string]any{"defaults": nil, "every option": full()} {
		res := lint.RunAll(Dir(), values, "wiscan-system")
		for _, m := range res.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("%s: %s", name, m)
			}
		}
	}
}

func cronJobPod(t *testing.T, r *Rendered) map[string]any {
	t.Helper()
	cj := r.Find("CronJob", "wiscan")
	if cj == nil {
		t.Fatal("no CronJob named wiscan")
	}
	pod, _, _ := unstructured.NestedMap(cj.Object, "spec", "jobTemplate", "spec", "template", "spec")
	return pod
}

func container(t *testing.T, r *Rendered) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(cronJobPod(t, r), "containers")
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return cs[0].(map[string]any)
}

func args(t *testing.T, r *Rendered) []string {
	t.Helper()
	a, _, _ := unstructured.NestedStringSlice(container(t, r), "args")
	return a
}

// The CronJob runs one scan at a time, never retries within the hour, and
// runs hardened: non-root, no privilege escalation, no capability, a
// read-only root file system.
func TestCronJob(t *testing.T) {
	r := render(t, nil)
	cj := r.Find("CronJob", "wiscan")
	for path, want := range map[string]any{
		"spec.schedule":                                                           "17 * * * *",
		"spec.concurrencyPolicy":                                                  "Forbid",
		"spec.jobTemplate.spec.backoffLimit":                                      int64(0),
		"spec.jobTemplate.spec.template.spec.restartPolicy":                       "Never",
		"spec.jobTemplate.spec.template.spec.serviceAccountName":                  "wiscan",
		"spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot":        true,
		"spec.jobTemplate.spec.template.spec.securityContext.runAsUser":           int64(65532),
		"spec.jobTemplate.spec.template.spec.securityContext.seccompProfile.type": "RuntimeDefault",
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(cj.Object, strings.Split(path, ".")...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	c := container(t, r)
	for path, want := range map[string]any{
		"securityContext.allowPrivilegeEscalation": false,
		"securityContext.readOnlyRootFilesystem":   true,
		"securityContext.privileged":               false,
		"image":                                    "ghcr.io/wiscan/wiscan:0.1.0",
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(c, strings.Split(path, ".")...)
		if got != want {
			t.Errorf("container %s = %v, want %v", path, got, want)
		}
	}
	drop, _, _ := unstructured.NestedStringSlice(c, "securityContext", "capabilities", "drop")
	if !slices.Equal(drop, []string{"ALL"}) {
		t.Errorf("capabilities dropped: %v", drop)
	}
	want := []string{"scan", "--profile=spaces-backup", "--fail-on=none", "--timeout=30s", "--eval-memory=640", "--log-level=warn", "--output=table"}
	if got := args(t, r); !slices.Equal(got, want) {
		t.Errorf("default args %q, want %q", got, want)
	}
	if r.Find("PrometheusRule", "") != nil || r.Find("ConfigMap", "") != nil {
		t.Error("the defaults render a PrometheusRule or a ConfigMap")
	}
	if !strings.Contains(r.Files["wiscan/templates/NOTES.txt"], "pushgateway.url is empty") {
		t.Error("the notes do not say that nothing is pushed")
	}
}

// Every option reaches the scan's arguments, the service account and the
// mounts; a digest pins the image.
func TestEveryOption(t *testing.T) {
	r := render(t, full())
	want := []string{
		"scan", "--profile=spaces-backup", "--profile-file=/etc/wiscan/profiles/billing-copy.yaml",
		"--cloud=aws", "--skip-cloud", "--cluster-name=spaces", "--region=us-east-1",
		"--azure-subscription=0b1f6471-1bf0-4dda-aec3-111122223333", "--azure-resource-group=spaces", "--azure-cluster=spaces", "--azure-storage-account=spacesbackups",
		"--gcp-project=acme-prod", "--gcp-location=us-central1", "--gcp-cluster=spaces", "--gcp-bucket=spaces-backups",
		"--fail-on=high", "--timeout=30s", "--eval-memory=640", "--log-level=warn", "--output=table",
		"--pushgateway=http://pushgateway.monitoring:9091", "--pushgateway-job=wiscan", "--pushgateway-label=cluster=prod",
		"--allow-empty",
	}
	if got := args(t, r); !slices.Equal(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	if img, _, _ := unstructured.NestedString(container(t, r), "image"); img != "ghcr.io/wiscan/wiscan@sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("image %s", img)
	}
	sa := r.Find("ServiceAccount", "wiscan")
	if sa.GetAnnotations()["eks.amazonaws.com/role-arn"] == "" || sa.GetAnnotations()["azure.workload.identity/client-id"] != "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e" ||
		sa.GetAnnotations()["iam.gke.io/gcp-service-account"] != "wiscan-reader@acme-prod.iam.gserviceaccount.com" {
		t.Errorf("the service account lacks its annotations: %v", sa.GetAnnotations())
	}
	// AKS injects wiscan's own identity only into pods with the label.
	labels, _, _ := unstructured.NestedStringMap(r.Find("CronJob", "wiscan").Object, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
	if labels["azure.workload.identity/use"] != "true" {
		t.Errorf("pod labels %v", labels)
	}
	cm := r.Find("ConfigMap", "wiscan-profiles")
	if cm == nil {
		t.Fatal("no ConfigMap for the custom profile")
	}
	data, _, _ := unstructured.NestedString(cm.Object, "data", "billing-copy.yaml")
	// The Job reads the file as wiscan --profile-file does: apiVersion,
	// kind and name filled in from the entry.
	if p, err := profiles.Parse("billing-copy.yaml", []byte(data)); err != nil || p.Name != "billing-copy" || p.ServiceAccount != "vector" {
		t.Errorf("profile file %q: %v", data, err)
	}
	if pr := r.Find("PrometheusRule", "wiscan"); pr == nil || pr.GetLabels()["release"] != "kube-prometheus-stack" {
		t.Error("no PrometheusRule with its labels")
	}
}

// A Pushgateway URL from a Secret reaches the scan through the
// container's environment, which Kubernetes expands in its arguments; the
// CronJob holds only the variable's name. Both ways at once is an error.
func TestPushgatewayURLSecret(t *testing.T) {
	r := render(t, map[string]any{"pushgateway": map[string]any{"urlSecret": map[string]any{"name": "gateway", "key": "address"}}})
	if a := args(t, r); !slices.Contains(a, "--pushgateway=$(WISCAN_PUSHGATEWAY_URL)") {
		t.Errorf("args %q do not take the URL from the environment", a)
	}
	env, _, _ := unstructured.NestedSlice(container(t, r), "env")
	if len(env) != 1 {
		t.Fatalf("env %v", env)
	}
	ref, _, _ := unstructured.NestedStringMap(env[0].(map[string]any), "valueFrom", "secretKeyRef")
	if env[0].(map[string]any)["name"] != "WISCAN_PUSHGATEWAY_URL" || ref["name"] != "gateway" || ref["key"] != "address" {
		t.Errorf("env %v", env)
	}
	if strings.Contains(r.Files["wiscan/templates/NOTES.txt"], "pushgateway.url is empty") {
		t.Error("the notes say nothing is pushed")
	}
	_, err := Render("wiscan", "wiscan-system", map[string]any{"pushgateway": map[string]any{"url": "http://gw:9091", "urlSecret": map[string]any{"name": "gateway"}}})
	if err == nil || !strings.Contains(err.Error(), "set one of them") {
		t.Errorf("both ways at once: %v", err)
	}
}

// A change of the profiles changes the pod template's checksum, so the
// next Job runs with it and a reader sees that it changed.
func TestConfigChecksum(t *testing.T) {
	sum := func(values map[string]any) string {
		pod, _, _ := unstructured.NestedStringMap(render(t, values).Find("CronJob", "wiscan").Object, "spec", "jobTemplate", "spec", "template", "metadata", "annotations")
		return pod["checksum/config"]
	}
	a, b := full(), full()
	b["scan"].(map[string]any)["customProfiles"] = map[string]any{"billing-copy": map[string]any{"serviceAccount": "vector2", "namespaces": map[string]any{"names": []any{"x"}}}}
	if sum(a) == "" || sum(a) != sum(full()) || sum(a) == sum(b) {
		t.Errorf("checksums %q, %q, %q: want stable and changed with the profiles", sum(a), sum(full()), sum(b))
	}
}

// The chart grants reads only: every rule's verbs are get and list, with
// no wildcard, bound to the chart's own service account.
func TestReadOnlyRBAC(t *testing.T) {
	r := render(t, nil)
	n := 0
	for _, o := range r.Objects {
		switch o.GetKind() {
		case "Role", "RoleBinding":
			t.Errorf("%s %s: the chart needs no namespaced role", o.GetKind(), o.GetName())
		case "ClusterRole":
			rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
			for _, rule := range rules {
				verbs, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "verbs")
				res, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "resources")
				if !slices.Equal(verbs, []string{"get", "list"}) || slices.Contains(res, "*") {
					t.Errorf("rule on %v grants %v", res, verbs)
				}
				n++
			}
		case "ClusterRoleBinding":
			subj, _, _ := unstructured.NestedSlice(o.Object, "subjects")
			if len(subj) != 1 || subj[0].(map[string]any)["name"] != "wiscan" || subj[0].(map[string]any)["namespace"] != "wiscan-system" {
				t.Errorf("binding subjects %v", subj)
			}
		}
	}
	if n == 0 {
		t.Error("no ClusterRole rules rendered")
	}
	if len(render(t, map[string]any{"rbac": map[string]any{"create": false}}).Objects) >= len(r.Objects) {
		t.Error("rbac.create=false still renders the role")
	}
}

// values.schema.json refuses values that would render a broken CronJob,
// as helm install does.
func TestValuesSchema(t *testing.T) {
	for name, values := range map[string]map[string]any{
		"unknown key":          {"schedual": "@hourly"},
		"empty schedule":       {"schedule": ""},
		"severity":             {"scan": map[string]any{"failOn": "severe"}},
		"cloud":                {"scan": map[string]any{"cloud": "ibm"}},
		"pushgateway url":      {"pushgateway": map[string]any{"url": "pushgateway:9091"}},
		"job as grouping":      {"pushgateway": map[string]any{"labels": map[string]any{"job": "x"}}},
		"digest":               {"image": map[string]any{"digest": "latest"}},
		"stale seconds":        {"prometheusRule": map[string]any{"staleAfterSeconds": "3h"}},
		"profile name":         {"scan": map[string]any{"customProfiles": map[string]any{"../x": map[string]any{}}}},
		"tag not a string":     {"image": map[string]any{"tag": 1.2}},
		"negative deadline":    {"activeDeadlineSeconds": 0},
		"timeout without unit": {"scan": map[string]any{"timeout": "30"}},
		"azure subscription":   {"scan": map[string]any{"azure": map[string]any{"subscriptions": []any{"--all"}}}},
		"azure client id":      {"scan": map[string]any{"azure": map[string]any{"clientId": "principal"}}},
		"azure account":        {"scan": map[string]any{"azure": map[string]any{"storageAccounts": []any{"Has-Dashes"}}}},
		"gcp project":          {"scan": map[string]any{"gcp": map[string]any{"project": "--impersonate-service-account=x"}}},
		"gcp bucket":           {"scan": map[string]any{"gcp": map[string]any{"buckets": []any{"gs://spaces-backups"}}}},
		"gcp service account":  {"scan": map[string]any{"gcp": map[string]any{"serviceAccount": "wiscan@example.com"}}},
		"report api":           {"policyReports": map[string]any{"apply": true, "api": "policy.example.com"}},
		"namespace name":       {"rbac": map[string]any{"namespaces": []any{"--all-namespaces"}}},
		"apply not a boolean":  {"policyReports": map[string]any{"apply": "yes"}},
	} {
		if _, err := Render("wiscan", "wiscan-system", values); err == nil {
			t.Errorf("%s: the values were accepted", name)
		}
	}
}

// The alerting rules, as rendered, pass promtool's checks and its unit
// tests (testdata/alerts_test.yaml): which alert fires on which metrics,
// and when.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (Debian's prometheus package; .ci/run installs it): %v", err)
	}
	pr := render(t, full()).Find("PrometheusRule", "wiscan")
	groups, _, _ := unstructured.NestedSlice(pr.Object, "spec", "groups")
	rules, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alerts.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o600); err != nil { //nolint:gosec // G703: the test's own temporary folder
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		c := exec.CommandContext(context.Background(), promtool, cmd...) //nolint:gosec // G204: promtool on the test's own files
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s\nrules:\n%s", strings.Join(cmd, " "), err, out, rules)
		}
	}
}

// The chart's version and appVersion are wiscan's release, and the image
// it runs by default is that release's.
func TestChartVersionIsTheRelease(t *testing.T) {
	c, err := loader.Load(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Version != version.Release || c.Metadata.AppVersion != version.Release {
		t.Errorf("chart %s, app %s; want the release %s", c.Metadata.Version, c.Metadata.AppVersion, version.Release)
	}
	if img, _, _ := unstructured.NestedString(container(t, render(t, nil)), "image"); img != "ghcr.io/wiscan/wiscan:"+version.Release {
		t.Errorf("image %s, want the release's", img)
	}
}

// The keys chart users reach for: names, common labels, security
// contexts of their own, environment (a proxy), more volumes, a priority
// class; an unknown key is still refused.
func TestStandardKeys(t *testing.T) {
	r := render(t, map[string]any{
		"fullnameOverride":   "scanner",
		"commonLabels":       map[string]any{"team": "platform"},
		"podSecurityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 1000, "fsGroup": 2000},
		"securityContext":    map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": map[string]any{"drop": []any{"ALL"}}},
		"env":                []any{map[string]any{"name": "HTTPS_PROXY", "value": "http://proxy.corp:3128"}},
		"envFrom":            []any{map[string]any{"configMapRef": map[string]any{"name": "proxy"}}},
		"extraVolumes":       []any{map[string]any{"name": "ca", "configMap": map[string]any{"name": "corp-ca"}}},
		"extraVolumeMounts":  []any{map[string]any{"name": "ca", "mountPath": "/etc/ssl/certs/corp", "readOnly": true}},
		"priorityClassName":  "low",
		"pushgateway":        map[string]any{"urlSecret": map[string]any{"name": "pg", "key": "url"}},
	})
	cj := r.Find("CronJob", "scanner")
	if cj == nil {
		t.Fatal("no CronJob named by fullnameOverride")
	}
	for _, kind := range []string{"CronJob", "ServiceAccount", "ClusterRole"} {
		for _, o := range r.Objects {
			if o.GetKind() == kind && o.GetLabels()["team"] != "platform" {
				t.Errorf("%s %s lacks the common label", kind, o.GetName())
			}
		}
	}
	spec, _, _ := unstructured.NestedMap(cj.Object, "spec", "jobTemplate", "spec", "template", "spec")
	if fmt.Sprint(spec["priorityClassName"]) != "low" || fmt.Sprint(spec["securityContext"].(map[string]any)["runAsUser"]) != "1000" {
		t.Errorf("pod spec: %v", spec)
	}
	cs, _, _ := unstructured.NestedSlice(spec, "containers")
	c := cs[0].(map[string]any)
	env, _, _ := unstructured.NestedSlice(c, "env")
	var names []string
	for _, e := range env {
		names = append(names, e.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"WISCAN_PUSHGATEWAY_URL", "HTTPS_PROXY"}) {
		t.Errorf("env %v", names)
	}
	mounts, _, _ := unstructured.NestedSlice(c, "volumeMounts")
	if len(mounts) != 2 || mounts[1].(map[string]any)["mountPath"] != "/etc/ssl/certs/corp" {
		t.Errorf("mounts %v", mounts)
	}
	for name, values := range map[string]map[string]any{
		"unknown key":            {"replicaCount": 2},
		"env shadowing wiscan's": {"env": []any{map[string]any{"name": "WISCAN_PUSHGATEWAY_URL", "value": "x"}}},
		"volume named tmp":       {"extraVolumes": []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}},
		"name not a DNS label":   {"fullnameOverride": "Scanner_1"},
	} {
		if _, err := Render("wiscan", "wiscan-system", values); err == nil {
			t.Errorf("%s: the values were accepted", name)
		}
	}
}

// rbac.readSecrets=false takes Secrets out of the role and passes
// --skip-secrets, so that the scan does not read what it may not.
func TestReadSecretsOff(t *testing.T) {
	r := render(t, map[string]any{"rbac": map[string]any{"readSecrets": false}})
	if !slices.Contains(args(t, r), "--skip-secrets") {
		t.Errorf("args %v", args(t, r))
	}
	for _, rule := range r.Find("ClusterRole", "wiscan-reader").Object["rules"].([]any) {
		res, _ := rule.(map[string]any)["resources"].([]any)
		if slices.Contains(res, any("secrets")) {
			t.Errorf("the role still reads Secrets: %v", rule)
		}
	}
	if args := args(t, render(t, nil)); slices.Contains(args, "--skip-secrets") {
		t.Errorf("Secrets skipped by default: %v", args)
	}
}

// The evaluation's memory bound stays below the container's limit, so a
// scan too large ends with a message, not an OOM kill; the chart refuses
// values that would let the kernel act first.
func TestEvalMemoryBelowLimit(t *testing.T) {
	if !slices.Contains(args(t, render(t, nil)), "--eval-memory=640") {
		t.Errorf("default args %v", args(t, render(t, nil)))
	}
	for _, ok := range []map[string]any{
		{"scan": map[string]any{"evalMemory": 3000}, "resources": map[string]any{"limits": map[string]any{"memory": "4Gi"}}},
		{"scan": map[string]any{"evalMemory": 900}, "resources": map[string]any{"limits": map[string]any{"memory": "1000M"}}},
		{"resources": map[string]any{"requests": map[string]any{"memory": "128Mi"}}},
	} {
		if _, err := Render("wiscan", "wiscan-system", ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range []map[string]any{
		{"scan": map[string]any{"evalMemory": 1024}},
		{"scan": map[string]any{"evalMemory": 640}, "resources": map[string]any{"limits": map[string]any{"memory": "512Mi"}}},
		{"scan": map[string]any{"evalMemory": 2000}, "resources": map[string]any{"limits": map[string]any{"memory": "2G"}}},
	} {
		_, err := Render("wiscan", "wiscan-system", bad)
		if err == nil || !strings.Contains(err.Error(), "must stay below the container's memory limit") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// A custom profile is checked at helm install by the profile schema the
// chart carries, which accepts every built-in profile and refuses what
// wiscan would refuse.
func TestCustomProfilesSchema(t *testing.T) {
	for _, name := range profiles.Builtin() {
		b, err := os.ReadFile(filepath.Join("..", "..", "profiles", "builtin", name+".yaml")) //nolint:gosec // G304: the shipped profiles
		if err != nil {
			t.Fatal(err)
		}
		var entry map[string]any
		if err := yaml.Unmarshal(b, &entry); err != nil {
			t.Fatal(err)
		}
		if _, err := Render("wiscan", "wiscan-system", map[string]any{"scan": map[string]any{"customProfiles": map[string]any{"copy": entry}}}); err != nil {
			t.Errorf("built-in profile %s refused: %v", name, err)
		}
	}
	for what, entry := range map[string]map[string]any{
		"no namespaces":      {"serviceAccount": "sa"},
		"unknown field":      {"serviceAccount": "sa", "namespaces": map[string]any{"names": []any{"a"}}, "replicas": 2},
		"unknown workload":   {"serviceAccount": "sa", "namespaces": map[string]any{"names": []any{"a"}}, "workload": map[string]any{"kind": "Rollout"}},
		"unknown operation":  {"serviceAccount": "sa", "namespaces": map[string]any{"names": []any{"a"}}, "access": map[string]any{"objects": []any{"admin"}}},
		"another apiVersion": {"apiVersion": "v2", "serviceAccount": "sa", "namespaces": map[string]any{"names": []any{"a"}}},
	} {
		if _, err := Render("wiscan", "wiscan-system", map[string]any{"scan": map[string]any{"customProfiles": map[string]any{"p": entry}}}); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}

// The dashboard's every query is PromQL promtool accepts, and names only
// series and labels wiscan writes (with the Pushgateway's cluster label).
func TestDashboard(t *testing.T) {
	if render(t, nil).Find("ConfigMap", "wiscan-dashboard") != nil {
		t.Error("a dashboard without dashboard.enabled")
	}
	r := render(t, map[string]any{"dashboard": map[string]any{"enabled": true}})
	cm := r.Find("ConfigMap", "wiscan-dashboard")
	if cm == nil || cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Fatalf("no dashboard ConfigMap with the sidecar's label: %v", cm)
	}
	data, _, _ := unstructured.NestedString(cm.Object, "data", "wiscan.json")
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil || len(d.Panels) == 0 {
		t.Fatalf("dashboard JSON: %v", err)
	}
	// What wiscan writes: the metrics of a report, as its writer prints them.
	var metrics bytes.Buffer
	snap := snapshot.New(time.Now())
	snap.Profiles = []snapshot.Profile{{Name: "spaces-backup", Targets: []string{"ns"}}}
	fs := []report.Finding{{ControlID: "WI-K8S-001", Status: report.Fail, Severity: report.High, Cloud: "aws", Profile: "spaces-backup", Resource: report.Resource{Kind: "ServiceAccount", Namespace: "ns", Name: "sa"}}}
	rep := report.New(report.Tool{Name: "wiscan", Version: "0.1.0"}, time.Now(), snap, []report.Control{{ID: "WI-K8S-001", Severity: report.High}}, fs, nil)
	if err := (report.Prometheus{W: &metrics}).Write(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	labels := map[string]map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^(wiscan_[a-z_]+)(\{([^}]*)\})?`).FindAllStringSubmatch(metrics.String(), -1) {
		if labels[m[1]] == nil {
			labels[m[1]] = map[string]bool{"cluster": true, "job": true, "instance": true}
		}
		for _, kv := range regexp.MustCompile(`([a-z_]+)=`).FindAllStringSubmatch(m[3], -1) {
			labels[m[1]][kv[1]] = true
		}
	}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	for _, p := range d.Panels {
		for i, q := range p.Targets {
			for _, m := range regexp.MustCompile(`(wiscan_[a-z_]+)\{([^}]*)\}`).FindAllStringSubmatch(q.Expr, -1) {
				if labels[m[1]] == nil {
					t.Errorf("%s: %s is no series wiscan writes", p.Title, m[1])
					continue
				}
				for _, kv := range regexp.MustCompile(`([a-z_]+)\s*(=~|!=|=)`).FindAllStringSubmatch(m[2], -1) {
					if !labels[m[1]][kv[1]] {
						t.Errorf("%s: %s has no label %s", p.Title, m[1], kv[1])
					}
				}
			}
			fmt.Fprintf(&rules, "  - record: dashboard:%d_%d\n    expr: %q\n", len(rules.String()), i, strings.ReplaceAll(q.Expr, "$cluster", ".*"))
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (Debian's prometheus package; .ci/run installs it): %v", err)
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(context.Background(), promtool, "check", "rules", f).CombinedOutput(); err != nil { //nolint:gosec // G204: promtool on the test's own file
		t.Errorf("promtool check rules: %v\n%s\n%s", err, out, rules.String())
	}
}

// policyReports.apply passes --apply-policyreports and grants the one
// write it needs, on PolicyReports only, in a role of its own; off (the
// default) there is neither.
func TestPolicyReportsApply(t *testing.T) {
	if r := render(t, nil); r.Find("ClusterRole", "wiscan-policyreports") != nil || slices.Contains(args(t, r), "--apply-policyreports") {
		t.Error("PolicyReports applied by default")
	}
	r := render(t, map[string]any{"policyReports": map[string]any{"apply": true}})
	if a := args(t, r); !slices.Contains(a, "--apply-policyreports") || !slices.Contains(a, "--policyreport-api=wgpolicyk8s.io") {
		t.Errorf("args %v", a)
	}
	role := r.Find("ClusterRole", "wiscan-policyreports")
	if role == nil || r.Find("ClusterRoleBinding", "wiscan-policyreports") == nil {
		t.Fatal("no role and binding for the PolicyReports")
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, rule := range rules {
		groups, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "apiGroups")
		verbs, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "verbs")
		if !slices.Equal(groups, []string{"wgpolicyk8s.io"}) || slices.Contains(verbs, "delete") || slices.Contains(verbs, "*") {
			t.Errorf("rule %v", rule)
		}
	}
	// The alerts say where the results are: the PolicyReports, beside the
	// log.
	withAlerts := func(api string) string {
		v := full()
		v["policyReports"] = map[string]any{"apply": true, "api": api}
		b, err := yaml.Marshal(render(t, v).Find("PrometheusRule", "wiscan").Object)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if a := withAlerts("wgpolicyk8s.io"); strings.Count(a, "kubectl get policyreports -A -l app.kubernetes.io/managed-by=wiscan") != 3 {
		t.Errorf("the finding and unverified alerts do not name the PolicyReports:\n%s", a)
	}
	if a := withAlerts("openreports.io"); strings.Count(a, "kubectl get reports.openreports.io -A") != 3 {
		t.Errorf("the alerts do not name OpenReports' reports:\n%s", a)
	}
	// With OpenReports, the role is on OpenReports' kinds.
	or := render(t, map[string]any{"policyReports": map[string]any{"apply": true, "api": "openreports.io"}})
	orRules, _, _ := unstructured.NestedSlice(or.Find("ClusterRole", "wiscan-policyreports").Object, "rules")
	if len(orRules) != 1 || !slices.Contains(args(t, or), "--policyreport-api=openreports.io") {
		t.Errorf("openreports.io: rules %v, args %v", orRules, args(t, or))
	} else if g, _, _ := unstructured.NestedStringSlice(orRules[0].(map[string]any), "apiGroups"); !slices.Equal(g, []string{"openreports.io"}) {
		t.Errorf("openreports.io: groups %v", g)
	}
	// The reader role stays read-only.
	reader := r.Find("ClusterRole", "wiscan-reader")
	rr, _, _ := unstructured.NestedSlice(reader.Object, "rules")
	for _, rule := range rr {
		if verbs, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "verbs"); !slices.Equal(verbs, []string{"get", "list"}) {
			t.Errorf("reader rule %v", rule)
		}
	}
}

// rbac.namespaces binds the reader in those namespaces only (RoleBindings
// to the reader role, no ClusterRoleBinding), drops the cluster-scoped
// kinds from the role, and passes --namespace for each.
func TestNamespacedRBAC(t *testing.T) {
	ns := []any{"team-a", "mxp-1-system"}
	r := render(t, map[string]any{"rbac": map[string]any{"namespaces": ns}, "policyReports": map[string]any{"apply": true}})
	if r.Find("ClusterRoleBinding", "wiscan-reader") != nil || r.Find("ClusterRoleBinding", "wiscan-policyreports") != nil {
		t.Error("a cluster-wide binding in namespaced mode")
	}
	for _, n := range ns {
		for _, name := range []string{"wiscan-reader", "wiscan-policyreports"} {
			found := false
			for _, o := range r.Objects {
				if o.GetKind() == "RoleBinding" && o.GetName() == name && o.GetNamespace() == n {
					found = true
				}
			}
			if !found {
				t.Errorf("no RoleBinding %s in %s", name, n)
			}
		}
		if !slices.Contains(args(t, r), "--namespace="+n.(string)) {
			t.Errorf("args %v lack --namespace=%s", args(t, r), n)
		}
	}
	b, _ := yaml.Marshal(r.Find("ClusterRole", "wiscan-reader").Object)
	if strings.Contains(string(b), "nodes") || strings.Contains(string(b), "spacebackupconfigs") {
		t.Errorf("cluster-scoped kinds in the namespaced reader:\n%s", b)
	}
	cr := r.Find("ClusterRole", "wiscan-clusterreport")
	if cr == nil {
		t.Fatal("no role for the cluster's report")
	}
	rules, _, _ := unstructured.NestedSlice(cr.Object, "rules")
	if names, _, _ := unstructured.NestedStringSlice(rules[0].(map[string]any), "resourceNames"); len(rules) != 1 || !slices.Equal(names, []string{"wiscan"}) {
		t.Errorf("the cluster report's role: %v", rules)
	}
	// Cluster-wide (the default), the reader reads nodes and is bound once.
	d := render(t, nil)
	if d.Find("ClusterRoleBinding", "wiscan-reader") == nil || slices.ContainsFunc(args(t, d), func(a string) bool { return strings.HasPrefix(a, "--namespace") }) {
		t.Error("the default is not cluster-wide")
	}
}

// rbac.remediation renders the role wiscan apply needs on Kubernetes, off
// by default and bound to nobody: the CronJob's service account stays
// read-only.
func TestRemediationRole(t *testing.T) {
	if render(t, nil).Find("ClusterRole", "wiscan-remediation") != nil {
		t.Error("the remediation role is rendered by default")
	}
	r := render(t, map[string]any{"rbac": map[string]any{"remediation": true}})
	role := r.Find("ClusterRole", "wiscan-remediation")
	if role == nil {
		t.Fatal("no remediation role")
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	var got []string
	for _, rule := range rules {
		m := rule.(map[string]any)
		g, _, _ := unstructured.NestedStringSlice(m, "apiGroups")
		res, _, _ := unstructured.NestedStringSlice(m, "resources")
		v, _, _ := unstructured.NestedStringSlice(m, "verbs")
		got = append(got, strings.Join(g, ",")+" "+strings.Join(res, ",")+" "+strings.Join(v, ","))
	}
	want := []string{
		" serviceaccounts get,patch", "apps deployments,statefulsets,daemonsets get,patch", "batch cronjobs get", "batch jobs create",
		"spaces.upbound.io sharedbackupconfigs,spacebackupconfigs get,patch", " secrets get,delete",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules\n got %q\nwant %q", got, want)
	}
	for _, o := range r.Objects {
		if ref, _, _ := unstructured.NestedString(o.Object, "roleRef", "name"); ref == "wiscan-remediation" {
			t.Errorf("%s %s binds the remediation role", o.GetKind(), o.GetName())
		}
	}
}
