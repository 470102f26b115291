// Package e2e runs the collector, the engine and the CLI against a real
// kube-apiserver and etcd holding a realistic Space.
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wiscan/wiscan/test/harness"
)

const roleARN = "arn:aws:iam::123456789012:role/backup-restore-role"

// The AWS documented example key pair, split so that no scanner mistakes
// this file for a leaked key.
var (
	exampleKeyID  = "AKIA" + "IOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
)

// cpNamespace names control plane i like Spaces does: mxp-<uuid>-system.
func cpNamespace(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("mxp-%s-%s-%s-%s-%s-system", x[:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

func startSpace(t testing.TB) *harness.Env {
	return harness.Start(t, func(e *envtest.Environment) {
		e.CRDDirectoryPaths = []string{filepath.Join("testdata", "crds")}
	})
}

type cluster struct {
	t   *testing.T
	cs  *kubernetes.Clientset
	dyn dynamic.Interface
}

func newCluster(t *testing.T, env *harness.Env) *cluster {
	return &cluster{t: t, cs: kubernetes.NewForConfigOrDie(env.Config), dyn: dynamic.NewForConfigOrDie(env.Config)}
}

func (c *cluster) must(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) namespace(name string, labels map[string]string) {
	_, err := c.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	c.must(err)
}

func (c *cluster) serviceAccount(ns, name string, annotations map[string]string) {
	_, err := c.cs.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations}}, metav1.CreateOptions{})
	c.must(err)
}

// podSpec runs mxp-controller with env; where env names the web identity
// token file, the projected token is mounted there, as the EKS webhook
// does.
func podSpec(sa string, env []corev1.EnvVar) corev1.PodSpec {
	spec := corev1.PodSpec{
		ServiceAccountName: sa,
		Containers:         []corev1.Container{{Name: "mxp-controller", Image: "xpkg.upbound.io/upbound/mxp-controller:v1.14.0", Env: env}},
	}
	for _, e := range env {
		if e.Name != "AWS_WEB_IDENTITY_TOKEN_FILE" {
			continue
		}
		expiry := int64(86400)
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "aws-iam-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "sts.amazonaws.com", ExpirationSeconds: &expiry, Path: "token"}}},
		}}})
		spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "aws-iam-token", MountPath: filepath.Dir(e.Value), ReadOnly: true})
	}
	return spec
}

func (c *cluster) deployment(ns, sa string, env []corev1.EnvVar) {
	_, err := c.cs.AppsV1().Deployments(ns).Create(context.Background(), deploymentOf(ns, map[string]string{"app": "mxp-controller"}, podSpec(sa, env)), metav1.CreateOptions{})
	c.must(err)
}

// deploymentOf is the mxp-controller Deployment of a namespace.
func deploymentOf(ns string, labels map[string]string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "mxp-controller", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

// pod creates an mxp-controller pod as the Deployment's ReplicaSet would (no controllers
// run in the test server).
func (c *cluster) pod(ns string, env []corev1.EnvVar) {
	isController := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "mxp-controller-7d9f8b6c5d-x2x4z", Namespace: ns,
			Labels:          map[string]string{"app": "mxp-controller", "pod-template-hash": "7d9f8b6c5d"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "mxp-controller-7d9f8b6c5d", UID: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Controller: &isController}},
		},
		Spec: podSpec("mxp-controller", env),
	}
	_, err := c.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
	c.must(err)
}

func (c *cluster) secret(ns, name string, data map[string]string) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: data}
	_, err := c.cs.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{})
	c.must(err)
}

func (c *cluster) sharedBackupConfig(ns, name, source string) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "spaces.upbound.io/v1alpha1",
		"kind":       "SharedBackupConfig",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"objectStorage": map[string]any{
			"provider":    "AWS",
			"bucket":      "spaces-backups",
			"config":      map[string]any{"region": "us-east-1"},
			"credentials": map[string]any{"source": source},
		}},
	}}
	gvr := schema.GroupVersionResource{Group: "spaces.upbound.io", Version: "v1alpha1", Resource: "sharedbackupconfigs"}
	_, err := c.dyn.Resource(gvr).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{})
	c.must(err)
}

var irsaEnv = []corev1.EnvVar{
	{Name: "AWS_ROLE_ARN", Value: roleARN},
	{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
}

// buildSpace creates a Space with four control planes:
//
//	0: set up as documented (passes);
//	1: the eks.amazon.aws typo, pod without the role;
//	2: no mxp-controller service account, workload under "default";
//	3: static keys in a Secret, read through env.
//
// plus a group namespace with a SharedBackupConfig on static credentials.
func buildSpace(c *cluster) {
	c.namespace("upbound-system", nil)
	c.namespace("team-a", map[string]string{"spaces.upbound.io/group": "true"})
	c.sharedBackupConfig("team-a", "default", "Secret")
	for i := range 4 {
		c.namespace(cpNamespace(i), nil)
	}
	ns0, ns1, ns2, ns3 := cpNamespace(0), cpNamespace(1), cpNamespace(2), cpNamespace(3)

	c.serviceAccount(ns0, "mxp-controller", map[string]string{"eks.amazonaws.com/role-arn": roleARN})
	c.deployment(ns0, "mxp-controller", nil)
	c.pod(ns0, irsaEnv)

	c.serviceAccount(ns1, "mxp-controller", map[string]string{"eks.amazon.aws/role-arn": roleARN})
	c.deployment(ns1, "mxp-controller", nil)
	c.pod(ns1, nil)

	c.serviceAccount(ns2, "default", nil)
	c.deployment(ns2, "default", nil)

	keyEnv := []corev1.EnvVar{{Name: "AWS_ACCESS_KEY_ID", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "backup-creds"}, Key: "aws_access_key_id"}}}}
	c.serviceAccount(ns3, "mxp-controller", map[string]string{"eks.amazonaws.com/role-arn": roleARN})
	c.secret(ns3, "backup-creds", map[string]string{"aws_access_key_id": exampleKeyID, "aws_secret_access_key": exampleSecret})
	c.deployment(ns3, "mxp-controller", keyEnv)
	c.pod(ns3, append(keyEnv, irsaEnv...))
}

// restrictedUser may list namespaces cluster-wide and the workload kinds in
// the given namespaces only; it may not read the Spaces objects.
func (c *cluster) restrictedUser(_ *harness.Env, name string, namespaces ...string) {
	ctx := context.Background()
	_, err := c.cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-namespaces"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list", "get"}}},
	}, metav1.CreateOptions{})
	c.must(err)
	_, err = c.cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-namespaces"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name + "-namespaces"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: name}},
	}, metav1.CreateOptions{})
	c.must(err)
	for _, ns := range namespaces {
		_, err := c.cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "wiscan-reader"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "pods", "secrets"}, Verbs: []string{"list", "get"}},
				{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list", "get"}},
			},
		}, metav1.CreateOptions{})
		c.must(err)
		_, err = c.cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "wiscan-reader"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "wiscan-reader"},
			Subjects:   []rbacv1.Subject{{Kind: "User", Name: name}},
		}, metav1.CreateOptions{})
		c.must(err)
	}
}
