package harness

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The harness must give a working API server: list the namespaces it
// creates at start.
func TestStart(t *testing.T) {
	env := Start(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	nss, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nss.Items) == 0 {
		t.Fatal("no namespaces in a fresh API server")
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver %s with %d namespaces", v.GitVersion, len(nss.Items))
}
