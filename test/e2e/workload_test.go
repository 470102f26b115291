package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A profile may name a CronJob: wiscan lists CronJobs and Jobs on the
// real API server, ties the pod to the CronJob through its Job, and
// reports the pod that started without the role the service account
// declares, with a fix that starts a Job from the CronJob.
func TestCronJobWorkload(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	ctx := context.Background()
	c.namespace("team-a", nil)
	c.serviceAccount("team-a", "backup", map[string]string{"eks.amazonaws.com/role-arn": roleARN})
	spec := corev1.PodSpec{ServiceAccountName: "backup", RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "backup", Image: "busybox"}}}
	cron, err := c.cs.BatchV1().CronJobs("team-a").Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "team-a"},
		Spec:       batchv1.CronJobSpec{Schedule: "0 2 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}},
	}, metav1.CreateOptions{})
	c.must(err)
	yes := true
	job, err := c.cs.BatchV1().Jobs("team-a").Create(ctx, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly-29001", Namespace: "team-a", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "batch/v1", Kind: "CronJob", Name: cron.Name, UID: cron.UID, Controller: &yes}}},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}},
	}, metav1.CreateOptions{})
	c.must(err)
	_, err = c.cs.CoreV1().Pods("team-a").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly-29001-abcde", Namespace: "team-a", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID, Controller: &yes}}},
		Spec: spec,
	}, metav1.CreateOptions{})
	c.must(err)

	profile := filepath.Join(t.TempDir(), "nightly.yaml")
	if err := os.WriteFile(profile, []byte("apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: nightly-backup\nnamespaces: {names: [team-a]}\n"+
		"serviceAccount: backup\nworkload: {kind: CronJob, name: nightly}\ncloud: aws\naccess: {objects: [read, write, list]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := scanCLI(t, env, nil, "--profile-file", profile, "--skip-cloud", "--fail-on-unknown=false")
	var restart bool
	for _, f := range r.Findings {
		if f.ControlID != "WI-K8S-005" {
			continue
		}
		restart = true
		if f.Resource.Kind != "CronJob" || f.Resource.Name != "nightly" || !strings.Contains(f.Message, "pod nightly-29001-abcde ") || f.Fix == nil || f.Fix.Kind != "CronJob" ||
			f.Fix.Command != "kubectl create job --from=cronjob/nightly nightly-rebound -n team-a" {
			t.Errorf("restart finding %+v, fix %+v", f.Resource, f.Fix)
		}
	}
	if !restart {
		t.Errorf("the CronJob's pod without its role is not reported: %+v", r.Findings)
	}
}
