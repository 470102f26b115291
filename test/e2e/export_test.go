package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wiscan/wiscan/test/harness"
)

// TestExportScript runs the shipped kubectl export against the real API
// server, with canary secrets planted where values hide (Secret data and
// stringData, a last-applied annotation, env literals), checks that no
// byte of them (nor their base64) reaches the bundle, and that wiscan still
// finds the static credentials in it by their kind and key names.
func TestExportScript(t *testing.T) {
	env := startSpace(t)
	kubectl := harness.Kubectl(t)
	c := newCluster(t, env)
	buildSpace(c)
	ns0 := cpNamespace(0)
	rnd := func(n int) string {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b64url(b)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	keyID := "AKIA" + strings.ToUpper(hex.EncodeToString(b))
	secretKey, note, token, applied := rnd(30), "canary-note-"+rnd(9), rnd(24), rnd(27)
	canaries := []string{keyID, secretKey, note, token, applied}
	ctx := context.Background()
	_, err := c.cs.CoreV1().Secrets(ns0).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: ns0, Annotations: map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"stringData":{"x":"` + applied + `"}}`}},
		Data:       map[string][]byte{"aws_access_key_id": []byte(keyID), "aws_secret_access_key": []byte(secretKey)},
		StringData: map[string]string{"note": note},
	}, metav1.CreateOptions{})
	c.must(err)
	labels := map[string]string{"app": "uploader"}
	_, err = c.cs.AppsV1().Deployments(ns0).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "uploader", Namespace: ns0},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "u", Image: "busybox", Env: []corev1.EnvVar{
				{Name: "UPLOAD_TOKEN", Value: token}, {Name: "AWS_REGION", Value: "us-east-1"}}}}},
		}},
	}, metav1.CreateOptions{})
	c.must(err)

	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	kc := env.Kubeconfig(t, dir)
	cmd := exec.CommandContext(t.Context(), "bash", filepath.Join("..", "..", "scripts", "export-evidence.sh"), bundle, "--kubeconfig", kc) //nolint:gosec // G204: runs the binary or script the test built or ships
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(kubectl)+":"+os.Getenv("PATH"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "spacebackupconfigs: not served by this cluster") {
		t.Errorf("the missing CRD is not reported:\n%s", stderr.String())
	}
	files, err := os.ReadDir(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
		raw, err := os.ReadFile(filepath.Join(bundle, f.Name())) //nolint:gosec // G304: a file the test itself wrote or ships
		if err != nil {
			t.Fatal(err)
		}
		for _, cn := range canaries {
			for _, form := range []string{cn, base64.StdEncoding.EncodeToString([]byte(cn))} {
				if bytes.Contains(raw, []byte(form)) {
					t.Errorf("%s holds a canary", f.Name())
				}
			}
		}
		if bytes.Contains(raw, []byte("last-applied-configuration")) {
			t.Errorf("%s keeps a last-applied-configuration annotation", f.Name())
		}
	}
	want := "controlplanes.json cronjobs.json daemonsets.json deployments.json jobs.json namespaces.json nodes.json pods.json secrets.json serviceaccounts.json sharedbackupconfigs.json spaces-discovery.json statefulsets.json"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("bundle holds %s, want %s", got, want)
	}

	// The live collector keeps none either: env literals, Secret data and
	// the last-applied annotation are reduced to fingerprints.
	snap, err := exec.CommandContext(t.Context(), buildCLI(t), "collect", "--kubeconfig", kc, "--skip-cloud", "-o", "json").Output() //nolint:gosec // G204: runs the binary the test built
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	for _, cn := range canaries {
		for _, form := range []string{cn, base64.StdEncoding.EncodeToString([]byte(cn))} {
			if bytes.Contains(snap, []byte(form)) {
				t.Error("the live snapshot holds a canary")
			}
		}
	}
	if !bytes.Contains(snap, []byte(`"name": "UPLOAD_TOKEN"`)) {
		t.Error("the live snapshot lost the env variable itself")
	}

	// wiscan reads the bundle and still finds the credentials.
	out, _ := exec.CommandContext(t.Context(), buildCLI(t), "scan", "--evidence", bundle, "--skip-cloud", "-o", "json").Output() //nolint:gosec // G204: runs the binary or script the test built or ships
	for _, w := range []string{`"WI-K8S-010"`, `Secret canary holds static cloud credentials`, `aws-access-key ` + keyID[:4] + `…` + keyID[len(keyID)-4:], `Secret backup-creds holds static cloud credentials`} {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("the scan of the bundle does not say %s", w)
		}
	}
	for _, cn := range canaries {
		if bytes.Contains(out, []byte(cn)) {
			t.Error("the report holds a canary")
		}
	}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
