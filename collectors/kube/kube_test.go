package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wiscan/wiscan/snapshot"
)

// The normaliser keeps what the controls read and no value: Secret data
// becomes keys and classified credentials, env literals their class, and
// annotations only the allowed keys.
func TestNormalize(t *testing.T) {
	keyID := "AKIA" + "IOSFODNN7EXAMPLE"
	s := Secret(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "ns", Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"id":"` + keyID + `"}}`}},
		Data:       map[string][]byte{"aws_access_key_id": []byte(keyID)},
		StringData: map[string]string{"note": "plain"},
	}, nil)
	if s.Type != "Opaque" || strings.Join(s.Keys, ",") != "aws_access_key_id,note" || len(s.Credentials) != 1 || s.Credentials[0].Fingerprint != "AKIA…MPLE" {
		t.Errorf("secret %+v", s)
	}
	b, _ := json.Marshal(s)
	if strings.Contains(string(b), keyID) || strings.Contains(string(b), "last-applied") {
		t.Errorf("the secret keeps a value or the applied configuration: %s", b)
	}

	d := Deployment(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns", Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/r", "note": "x"}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "w"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{ServiceAccountName: "sa", Containers: []corev1.Container{{Name: "c", Env: []corev1.EnvVar{
				{Name: "AWS_ACCESS_KEY_ID", Value: keyID},
				{Name: "AWS_REGION", Value: "us-east-1"},
				{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "aws_access_key_id"}}},
			}}}}},
		},
	}, nil)
	if d.LabelSelector != "app=w" || d.Template.ServiceAccount != "sa" {
		t.Errorf("deployment %+v", d)
	}
	if _, kept := d.Annotations["note"]; kept || d.Annotations["eks.amazonaws.com/role-arn"] == "" {
		t.Errorf("annotations %v", d.Annotations)
	}
	env := d.Template.Containers[0].Env
	if env[0].Value != "" || env[0].Credential == nil || env[0].Credential.Kind != snapshot.KindAWSAccessKey {
		t.Errorf("a credential literal: %+v", env[0])
	}
	if env[1].Value != "us-east-1" {
		t.Errorf("a public literal: %+v", env[1])
	}
	if env[2].SecretRef == nil || env[2].SecretRef.Name != "creds" || env[2].HasValue {
		t.Errorf("a Secret reference: %+v", env[2])
	}
}

// API errors are classified for gaps, and their messages never show a
// body that is not a Kubernetes Status.
func TestReasonAndMessage(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	cases := []struct {
		err    error
		reason string
	}{
		{apierrors.NewUnauthorized("no"), "unauthorized"},
		{apierrors.NewForbidden(gr, "", errors.New("no")), "forbidden"},
		{apierrors.NewNotFound(gr, ""), "not-found"},
		{apierrors.NewTooManyRequests("slow down", 0), "throttled"},
		{apierrors.NewInternalError(errors.New("boom")), "server-error"},
		{apierrors.NewTimeoutError("late", 0), "timeout"},
		{fmt.Errorf("list: %w", context.DeadlineExceeded), "timeout"},
		{fmt.Errorf("list: %w", context.Canceled), "interrupted"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "malformed"},
		{errors.New("couldn't get version/kind; json parse error: unexpected end of JSON input"), "malformed"},
		{fmt.Errorf("read: %w", ErrTooLarge), "too-large"},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, "unreachable"},
		{errors.New("something else"), "error"},
	}
	for _, c := range cases {
		if got := Reason(c.err); got != c.reason {
			t.Errorf("%v: %s, want %s", c.err, got, c.reason)
		}
	}
	html := apierrors.NewGenericServerResponse(502, "get", gr, "", "<html>secret page</html>", 0, true)
	if m := Message(html); strings.Contains(m, "secret page") || !strings.Contains(m, "502") {
		t.Errorf("message %q", m)
	}
}

// A pod whose owner chain is incomplete belongs to the one Deployment whose
// selector matches it; two matches, or a named owner matching none, are a
// gap, never a guess.
func TestAttribute(t *testing.T) {
	k := snapshot.NewKubernetes()
	k.Deployments["ns"] = map[string]snapshot.Workload{
		"a": {Meta: snapshot.Meta{Name: "a"}, LabelSelector: "app=a"},
		"b": {Meta: snapshot.Meta{Name: "b"}, LabelSelector: "tier=x"},
	}
	pod := func(owner string, labels map[string]string) snapshot.Pod {
		return snapshot.Pod{Meta: snapshot.Meta{Labels: labels}, Owner: &snapshot.Owner{Kind: "ReplicaSet", Name: owner}}
	}
	k.Pods["ns"] = map[string]snapshot.Pod{
		"one":   pod("rs-1", map[string]string{"app": "a"}),
		"two":   pod("rs-2", map[string]string{"app": "a", "tier": "x"}),
		"named": pod("a-5d8f", map[string]string{"app": "z"}),
		"none":  pod("rs-3", map[string]string{"app": "z"}),
	}
	gaps := Attribute(&k, "test")
	if got := k.Pods["ns"]["one"].Workload; got == nil || *got != (snapshot.Owner{Kind: "Deployment", Name: "a"}) {
		t.Errorf("one: %+v, want Deployment a", got)
	}
	var names []string
	for _, g := range gaps {
		if g.Reason != "unattributed" {
			t.Errorf("gap %+v", g)
		}
		names = append(names, g.Name)
	}
	if strings.Join(names, ",") != "named,two" {
		t.Errorf("unattributed %v, want named and two", names)
	}
}

// Without the namespace list, namespaces come from the objects, and the
// objects outside the targets are dropped.
func TestDeriveAndPrune(t *testing.T) {
	k := snapshot.NewKubernetes()
	k.ServiceAccounts["a"] = map[string]snapshot.ServiceAccount{"sa": {}}
	k.Pods["b"] = map[string]snapshot.Pod{"p": {}}
	k.Secrets["c"] = map[string]snapshot.Secret{"s": {}}
	DeriveNamespaces(&k)
	if len(k.Namespaces) != 3 {
		t.Fatalf("namespaces %v", k.Namespaces)
	}
	Prune(&k, map[string]bool{"a": true})
	if len(k.ServiceAccounts) != 1 || len(k.Pods) != 0 || len(k.Secrets) != 0 {
		t.Errorf("pruned to %v %v %v", k.ServiceAccounts, k.Pods, k.Secrets)
	}
}

// A body past the limit ends with ErrTooLarge instead of filling memory.
func TestLimitedBody(t *testing.T) {
	b := &limitedBody{rc: io.NopCloser(strings.NewReader(strings.Repeat("x", 100))), left: 10}
	got, err := io.ReadAll(b)
	if len(got) != 10 || !errors.Is(err, ErrTooLarge) {
		t.Errorf("read %d bytes, %v", len(got), err)
	}
}

// A pod's owner chain ends at its workload: a StatefulSet or DaemonSet
// directly, a Job, or the CronJob that owns the Job once the Jobs are
// read; a CronJob's pod template is its Jobs' template.
func TestOwnerChain(t *testing.T) {
	ctrl := true
	owned := func(kind, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: "ns", Name: name + "-x", OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &ctrl}}}
	}
	k := snapshot.NewKubernetes()
	cron := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "nightly"}}
	cron.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName = "backup"
	snapshot.Put(k.CronJobs, "ns", "nightly", CronJob(cron, nil))
	job := &batchv1.Job{ObjectMeta: owned("CronJob", "nightly")}
	job.Name = "nightly-123"
	snapshot.Put(k.Jobs, "ns", job.Name, Job(job, nil))
	k.Pods["ns"] = map[string]snapshot.Pod{
		"cron":    Pod(&corev1.Pod{ObjectMeta: owned("Job", "nightly-123")}, nil),
		"oneoff":  Pod(&corev1.Pod{ObjectMeta: owned("Job", "manual")}, nil),
		"db":      Pod(&corev1.Pod{ObjectMeta: owned("StatefulSet", "db")}, nil),
		"agent":   Pod(&corev1.Pod{ObjectMeta: owned("DaemonSet", "agent")}, nil),
		"replica": Pod(&corev1.Pod{ObjectMeta: owned("ReplicaSet", "web-5d8f")}, nil),
	}
	if gaps := Attribute(&k, "test"); len(gaps) != 0 {
		t.Errorf("gaps %+v", gaps)
	}
	want := map[string]*snapshot.Owner{
		"cron":   {Kind: "CronJob", Name: "nightly"},
		"oneoff": {Kind: "Job", Name: "manual"},
		"db":     {Kind: "StatefulSet", Name: "db"},
		"agent":  {Kind: "DaemonSet", Name: "agent"},
		// No hash label and no Deployment: not tied to anything.
		"replica": nil,
	}
	for name, w := range want {
		got := k.Pods["ns"][name].Workload
		if (got == nil) != (w == nil) || (got != nil && *got != *w) {
			t.Errorf("%s: workload %+v, want %+v", name, got, w)
		}
	}
	if c := k.CronJobs["ns"]["nightly"]; c.Kind != "CronJob" || c.Template.ServiceAccount != "backup" {
		t.Errorf("cronjob %+v", c)
	}
	read := WorkloadKindsRead(&snapshot.Snapshot{Profiles: []snapshot.Profile{{Workload: snapshot.WorkloadMatch{Kind: "CronJob"}}}})
	if !read["Deployment"] || !read["CronJob"] || !read["Job"] || read["StatefulSet"] {
		t.Errorf("kinds read for a CronJob profile: %v", read)
	}
}
