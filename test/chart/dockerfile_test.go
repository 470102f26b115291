package chart

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// root is the repository.
func root() string { return filepath.Join(Dir(), "..", "..") }

func readRoot(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), name)) //nolint:gosec // G304: the repository's own files
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// minor reads "1.26" or "1.26.3" as 26.
func minor(t *testing.T, v string) int {
	t.Helper()
	parts := strings.Split(v, ".")
	if len(parts) < 2 || parts[0] != "1" {
		t.Fatalf("Go version %q", v)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		t.Fatalf("Go version %q: %v", v, err)
	}
	return n
}

// The Dockerfile cannot be built here (no Docker engine), so what can be
// checked is: it builds with a Go at least go.mod's, statically, with the
// version injected as the Makefile does; its image runs as the numeric
// user and group the chart's pod runs as, with the binary as entry point.
func TestDockerfile(t *testing.T) {
	df := readRoot(t, "Dockerfile")
	goMod := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readRoot(t, "go.mod"))
	goArg := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindStringSubmatch(df)
	if goMod == nil || goArg == nil {
		t.Fatalf("go.mod's go line %v, the Dockerfile's GO_VERSION %v", goMod, goArg)
	}
	if minor(t, goArg[1]) < minor(t, goMod[1]) {
		t.Errorf("the image builds with Go %s, go.mod needs %s", goArg[1], goMod[1])
	}
	for _, want := range []string{"CGO_ENABLED=0 go build", "-X main.version=${VERSION}", "./cmd/wiscan", `ENTRYPOINT ["/wiscan"]`, "FROM gcr.io/distroless/static"} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if !strings.Contains(readRoot(t, "Makefile"), "-X main.version=") {
		t.Error("the Makefile no longer injects main.version; the Dockerfile's -X names it")
	}
	users := regexp.MustCompile(`(?m)^USER (\S+)$`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 {
		t.Fatal("the Dockerfile sets no USER")
	}
	pod := cronJobPod(t, render(t, nil))
	uid, _, _ := unstructured.NestedFieldNoCopy(pod, "securityContext", "runAsUser")
	gid, _, _ := unstructured.NestedFieldNoCopy(pod, "securityContext", "runAsGroup")
	want := strconv.FormatFloat(uid.(float64), 'f', -1, 64) + ":" + strconv.FormatFloat(gid.(float64), 'f', -1, 64)
	if last := users[len(users)-1][1]; last != want {
		t.Errorf("the image runs as %s, the chart as %s", last, want)
	}
	ignore := readRoot(t, ".dockerignore")
	for _, dir := range []string{".git", ".cache", "test/tools/npm/node_modules"} {
		if !strings.Contains(ignore, dir+"\n") {
			t.Errorf(".dockerignore does not leave out %s", dir)
		}
	}
}
