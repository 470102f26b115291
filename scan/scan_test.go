package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/internal/benchmark"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/version"
)

const bundle = "../testdata/evidence/broken-space"

func config() Config {
	return Config{
		Evidence: bundle, Kube: Kube{Timeout: time.Second}, Version: version.Of("", nil),
		Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) },
	}
}

// The pipeline without a command line gives the report the CLI writes:
// the golden report of the shipped bundle, byte for byte.
func TestRunMatchesGolden(t *testing.T) {
	r, s, err := Run(context.Background(), config())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Targets) != 3 {
		t.Errorf("snapshot targets %d, want the bundle's 3 control planes", len(s.Targets))
	}
	var got bytes.Buffer
	if err := (report.JSON{W: &got}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../testdata/golden/broken-space.report.json")
	if err != nil {
		t.Fatal(err)
	}
	// The golden was written through the CLI from cmd/wiscan, which names
	// the bundle from there.
	want = bytes.ReplaceAll(want, []byte(`"../../testdata/evidence/broken-space"`), []byte(`"`+bundle+`"`))
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("report differs from testdata/golden/broken-space.report.json (refresh it with go test ./cmd/wiscan -update):\n%s", got.String())
	}
}

// A configuration that cannot work is refused as such before anything is
// read; the CLI turns ErrConfig into exit 2.
func TestConfigRefused(t *testing.T) {
	empty := t.TempDir()
	cases := map[string]func(*Config){
		"unknown cloud":           func(c *Config) { c.Cloud = "oracle" },
		"unknown profile":         func(c *Config) { c.Profiles = []string{"nope"} },
		"no timeout":              func(c *Config) { c.Kube.Timeout = 0 },
		"evidence with a context": func(c *Config) { c.Kube.Context = "prod" },
		"evidence with a region":  func(c *Config) { c.AWS.Region = "us-east-1" },
		"negative quota":          func(c *Config) { c.AWS.TrustPolicyQuota = -1 },
		"policy folder without policies": func(c *Config) {
			c.Policies.Dirs = []string{empty}
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			c := config()
			change(&c)
			if _, _, err := Run(context.Background(), c); !errors.Is(err, ErrConfig) {
				t.Errorf("error %v, want ErrConfig", err)
			}
		})
	}
}

// An ended context stops the scan as incomplete, naming what was read;
// no report comes of it.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Collect(ctx, config())
	if !errors.Is(err, ErrIncomplete) || errors.Is(err, ErrConfig) {
		t.Fatalf("error %v, want ErrIncomplete", err)
	}
	e, err := NewEvaluator(context.Background(), config())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Collect(context.Background(), config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(ctx, s); !errors.Is(err, ErrIncomplete) {
		t.Errorf("evaluate with an ended context: %v, want ErrIncomplete", err)
	}
}

// The trust policy quota, which no export holds, reaches the snapshot in
// evidence mode through the AWS source.
func TestEvidenceQuota(t *testing.T) {
	c := config()
	c.AWS.TrustPolicyQuota = 4096
	s, err := Collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.AWS == nil || s.AWS.TrustPolicyQuota != 4096 {
		t.Errorf("quota not applied: %+v", s.AWS)
	}
	b, _ := json.Marshal(s.Targets)
	if !bytes.Contains(b, []byte(`"cloud":"aws"`)) {
		t.Errorf("the bundle's targets should resolve to AWS: %s", b)
	}
}

// Every cloud source is for a cloud of the clouds table, once.
func TestSourcesNameTableClouds(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range config().cloudSources() {
		if _, ok := clouds.Get(s.cloud); !ok || seen[s.cloud] {
			t.Errorf("source for %q: not in the clouds table, or listed twice", s.cloud)
		}
		seen[s.cloud] = true
	}
}

// A collection whose heap outgrows --load-memory stops, with exit 3's
// error naming the bound and what was read so far, and no snapshot.
func TestLoadMemoryBound(t *testing.T) {
	dir := t.TempDir()
	writeBundle(t, dir, 2000)
	c := config()
	c.Evidence = dir
	c.LoadMemory = 1 << 20
	s, err := Collect(context.Background(), c)
	if !errors.Is(err, ErrIncomplete) || s != nil || !strings.Contains(err.Error(), "reading needed more than 1 MiB of heap (--load-memory 1; read so far:") {
		t.Fatalf("snapshot %v, error %v", s != nil, err)
	}
	// Within its bound, the same bundle is read whole.
	c.LoadMemory = 0
	if s, err := Collect(context.Background(), c); err != nil || len(s.Targets) != 2000 {
		t.Fatalf("%v", err)
	}
}

// One large evidence file loads within 6× its size plus 128 MiB of heap:
// 37,500 pods in one kubectl list of 36 MiB, the size the scale work
// names.
func TestSingleFileLoadMemory(t *testing.T) {
	dir := t.TempDir()
	writeBundle(t, dir, 37500)
	for _, f := range []string{"namespaces.json", "serviceaccounts.json", "deployments.json", "secrets.json"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "pods.json"))
	if err != nil || fi.Size() < 35<<20 {
		t.Fatalf("pods.json: %v, %d bytes", err, fi.Size())
	}
	c := config()
	c.Evidence = dir
	// The runtime is given the bound as its soft limit, as a container's
	// limit gives it to wiscan: the peak is then what loading keeps, not
	// how late the collector ran.
	bound := 6*float64(fi.Size())/(1<<20) + 128
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(bound) << 20))
	runtime.GC()
	stop := benchmark.PeakHeap()
	s, err := Collect(context.Background(), c)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Kubernetes.Pods); n != 37500 {
		t.Errorf("%d namespaces of pods read, want 37500", n)
	}
	if peak > bound {
		t.Errorf("loading %.1f MiB took a heap of %.0f MiB, over %.0f MiB", float64(fi.Size())/(1<<20), peak, bound)
	}
	t.Logf("%.1f MiB file, peak heap %.0f MiB", float64(fi.Size())/(1<<20), peak)
}
