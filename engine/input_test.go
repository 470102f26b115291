package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wiscan/wiscan/collectors/evidence"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// The input built directly from the snapshot equals the snapshot's JSON
// parsed, for every shipped bundle, the benchmarks' Spaces, and values
// JSON treats specially: invalid UTF-8, times, floats, nil and empty
// slices and maps, policy documents with numbers and nesting.
func TestInputIsTheSnapshotsJSON(t *testing.T) {
	cases := map[string]*snapshot.Snapshot{
		"synthetic": synthetic(50),
		"roles":     rolePerControlPlane(synthetic(20)),
		"gcp":       syntheticGCP(20, true),
		"odd":       oddSnapshot(),
	}
	maps.Copy(cases, shippedSpaces(t))
	for name, s := range cases {
		got, err := Input(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := inputViaJSON(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ast.Compare(got, want) != 0 {
			t.Errorf("%s: the direct input differs from the JSON's:\n got  %.2000v\n want %.2000v", name, got, want)
		}
	}
}

// shippedSpaces are the snapshots of the shipped evidence bundles, by the
// bundle's folder name, with their targets resolved.
func shippedSpaces(t *testing.T) map[string]*snapshot.Snapshot {
	t.Helper()
	bundles, err := filepath.Glob(filepath.Join("..", "testdata", "evidence", "*-space"))
	if err != nil || len(bundles) < 3 {
		t.Fatalf("bundles %v: %v", bundles, err)
	}
	out := map[string]*snapshot.Snapshot{}
	for _, dir := range bundles {
		s := snapshot.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		p, _ := profiles.Get(profiles.Default)
		s.Profiles = []snapshot.Profile{p}
		if err := (&evidence.Collector{Dir: dir}).Collect(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if err := profiles.Target(s); err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(dir)] = s
	}
	return out
}

func oddSnapshot() *snapshot.Snapshot {
	s := snapshot.New(time.Date(2026, 12, 1, 12, 30, 45, 123456789, time.FixedZone("x", 3600)))
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	s.Kubernetes.Namespaces["bad\xffutf8\xfe"] = snapshot.Namespace{Name: "bad\xffutf8\xfe", Labels: map[string]string{"k\x00": "v\u2028"}}
	snapshot.Put(s.Kubernetes.ServiceAccounts, "ns", "sa", snapshot.ServiceAccount{Meta: snapshot.Meta{Namespace: "ns", Name: "sa", CreatedAt: &created}})
	snapshot.Put(s.Kubernetes.Pods, "ns", "p", snapshot.Pod{Meta: snapshot.Meta{Namespace: "ns", Name: "p", Labels: map[string]string{}}})
	s.Stats = []snapshot.CollectorStats{{Collector: "x", DurationSeconds: 0.1 + 0.2, APICalls: 3, Objects: map[string]int{"Pod": 1}}}
	s.AWS = snapshot.NewAWS()
	s.AWS.Roles["r"] = snapshot.Role{ARN: "r", TrustPolicy: &snapshot.PolicyDocument{Document: map[string]any{
		"Version": "2012-10-17", "N": 1.5e300, "I": 42.0, "Nested": []any{nil, true, map[string]any{"a": []any{}}, "\xff"},
	}}}
	return s
}

// The findings are the same, in the same order, whatever the number of
// workers the controls are split among.
func TestWorkersGiveOneResult(t *testing.T) {
	cases := map[string]*snapshot.Snapshot{"synthetic": synthetic(200), "gcp": syntheticGCP(50, false), "odd": oddSnapshot()}
	maps.Copy(cases, shippedSpaces(t))
	var want map[string][]byte
	for _, workers := range []int{1, 2, 3, 7, 100} {
		e, err := New(context.Background(), Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if workers <= len(e.controls) && len(e.queries) != workers {
			t.Errorf("%d workers: %d queries", workers, len(e.queries))
		}
		got := map[string][]byte{}
		for name, s := range cases {
			r, err := e.Run(context.Background(), s)
			if err != nil {
				t.Fatalf("%s, %d workers: %v", name, workers, err)
			}
			r.Phases = Phases{} // times differ from run to run
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got[name] = b
		}
		if want == nil {
			want = got
			if len(want["broken-space"]) < 1000 {
				t.Fatalf("too little to compare: %s", want["broken-space"])
			}
			continue
		}
		for name := range cases {
			if !bytes.Equal(got[name], want[name]) {
				t.Errorf("%s: %d workers give another result than 1", name, workers)
			}
		}
	}
}

// Every control is in exactly one group, a cloud's controls in one.
func TestGroups(t *testing.T) {
	e, err := New(context.Background(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 50} {
		seen := map[int]int{}
		cloudGroup := -1
		for g, members := range groups(e.controls, n) {
			for _, i := range members {
				seen[i]++
				if strings.Count(e.controls[i].Package, ".") > 1 && !strings.HasPrefix(e.controls[i].Package, "wiscan.k8s.") && !strings.HasPrefix(e.controls[i].Package, "wiscan.scan.") {
					if cloudGroup >= 0 && cloudGroup != g {
						t.Errorf("%d groups: %s apart from its cloud's other controls", n, e.controls[i].ID)
					}
					cloudGroup = g
				}
			}
		}
		if len(seen) != len(e.controls) {
			t.Errorf("%d groups hold %d of %d controls", n, len(seen), len(e.controls))
		}
		for i, k := range seen {
			if k != 1 {
				t.Errorf("%d groups: %s in %d", n, e.controls[i].ID, k)
			}
		}
	}
}
