// Package harness starts a real kube-apiserver and etcd, built from upstream
// modules by hack/harness.sh, through controller-runtime's envtest.
package harness

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Env is a running API server.
type Env struct {
	Config *rest.Config
	env    *envtest.Environment
}

var (
	assetsOnce sync.Once
	assetsDir  string
)

// repoRoot finds the repository from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Assets returns the folder holding kube-apiserver and etcd:
// KUBEBUILDER_ASSETS when set, else the cache that hack/harness.sh fills
// (read only, never built here). It is empty when neither exists.
func Assets() string {
	assetsOnce.Do(func() {
		if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
			assetsDir = d
			return
		}
		dirs, _ := filepath.Glob(filepath.Join(repoRoot(), ".cache", "harness", "k8s-*"))
		for _, d := range dirs {
			if !strings.HasSuffix(d, ".tmp") {
				assetsDir = d
			}
		}
	})
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assetsDir, bin)); err != nil {
			return ""
		}
	}
	return assetsDir
}

// Start runs an API server for the test and stops it when the test ends.
// Without the binaries it skips, or fails under CI=true, naming the command
// that builds them.
func Start(t testing.TB, opts ...func(*envtest.Environment)) *Env {
	t.Helper()
	dir := Assets()
	if dir == "" {
		msg := "kube-apiserver and etcd not built: run `make harness` (or set KUBEBUILDER_ASSETS)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: dir, ErrorIfCRDPathMissing: true}
	for _, o := range opts {
		o(env)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop kube-apiserver: %v", err)
		}
	})
	return &Env{Config: cfg, env: env}
}

// Kubeconfig writes a kubeconfig for the admin user into dir and returns
// its path, for tests that run the CLI as a user would.
func (e *Env) Kubeconfig(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(p, e.env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// User adds a user authenticated by client certificate, in the given groups,
// and returns its configuration. Its rights come from RBAC objects the test
// creates.
func (e *Env) User(t testing.TB, name string, groups ...string) *rest.Config {
	t.Helper()
	u, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	return u.Config()
}

// Kubectl returns the kubectl that hack/harness.sh builds next to the API
// server, skipping (or failing under CI=true) without it.
func Kubectl(t testing.TB) string {
	t.Helper()
	p := filepath.Join(Assets(), "kubectl")
	if _, err := os.Stat(p); Assets() == "" || err != nil {
		msg := "kubectl not built: run `make harness` (or set KUBEBUILDER_ASSETS to a folder holding it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// UserKubeconfig adds a user as User does and writes a kubeconfig for it
// into dir, for tests that run the CLI as that user.
func (e *Env) UserKubeconfig(t testing.TB, dir, name string, groups ...string) string {
	t.Helper()
	u, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	b, err := u.KubeConfig()
	if err != nil {
		t.Fatalf("kubeconfig of %s: %v", name, err)
	}
	p := filepath.Join(dir, strings.ReplaceAll(name, ":", "_")+".kubeconfig")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
