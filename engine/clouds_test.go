package engine

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/snapshot"
)

// A cloud joins the Kubernetes controls through the clouds table alone:
// with a test cloud (testdata/testcloud.json) added to the table and
// nothing else changed, the controls check its annotation's format, its
// misspellings and its pod label on a target resolved to it, and find its
// service account bound.
func TestThirdCloudInTheTable(t *testing.T) {
	b, err := os.ReadFile("testdata/testcloud.json")
	if err != nil {
		t.Fatal(err)
	}
	var test clouds.Cloud
	if err := json.Unmarshal(b, &test); err != nil {
		t.Fatal(err)
	}
	table, err := cloudsModule(append(clouds.All(), test))
	if err != nil {
		t.Fatal(err)
	}
	mods, err := BuiltinModules()
	if err != nil {
		t.Fatal(err)
	}
	for i := range mods {
		if mods[i].File == CloudsFile {
			mods[i] = table
		}
	}
	e, err := compile(context.Background(), mods, Capabilities(), 1)
	if err != nil {
		t.Fatal(err)
	}
	e.evalTimeout, e.maxMemory = DefaultEvalTimeout, DefaultMaxMemory
	const ns = "team-a"
	s := snapshot.New(time.Now())
	s.Profiles = []snapshot.Profile{{Name: "p", ServiceAccount: "app", Workload: snapshot.WorkloadMatch{Kind: "Deployment", Name: "app"}, Targets: []string{ns}}}
	s.Targets = []snapshot.Target{{Profile: "p", Namespace: ns, Cloud: "testcloud", CloudFrom: "profile", Method: "testcloud-identity", Annotated: []string{"testcloud"}}}
	s.Kubernetes.Namespaces[ns] = snapshot.Namespace{Name: ns, Labels: map[string]string{}}
	meta := func(annotations map[string]string) snapshot.Meta {
		return snapshot.Meta{Namespace: ns, Name: "app", Labels: map[string]string{}, Annotations: annotations}
	}
	snapshot.Put(s.Kubernetes.ServiceAccounts, ns, "app", snapshot.ServiceAccount{Meta: meta(map[string]string{
		"testcloud.example/identity": "tc-12", "testcloud.example/identiy": "tc-123456"})})
	snapshot.Put(s.Kubernetes.Deployments, ns, "app", snapshot.Workload{Meta: meta(map[string]string{}), Kind: "Deployment",
		Template: snapshot.PodSpec{Labels: map[string]string{}, Annotations: map[string]string{}, ServiceAccount: "app", Containers: []snapshot.Container{}, Volumes: []snapshot.Volume{}}})
	res, err := e.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.ControlID+" "+f.Resource.Kind+" "+f.Cloud)
	}
	slices.Sort(got)
	want := []string{
		"WI-K8S-003 ServiceAccount testcloud", // testcloud.example/identiy, a misspelling
		"WI-K8S-004 ServiceAccount testcloud", // tc-12 is not tc-<6 digits>
		"WI-K8S-006 Deployment testcloud",     // the pod template lacks testcloud.example/use: "yes"
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%q\nwant\n%q", got, want)
	}
}
