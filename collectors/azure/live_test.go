package azure_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/collectors/azure"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/azureapi"
)

// live collects the shipped Space's cluster from evidence and Azure from
// the fakes.
func live(t *testing.T, f *azureapi.Fakes, opts azure.Options, throttle ...string) (*snapshot.Snapshot, *azureapi.Route) {
	t.Helper()
	s := collect(t, map[string]string{}) // the Kubernetes side, from evidence
	s.Azure = nil
	s.Errors = nil
	r := &azureapi.Route{F: f}
	if len(throttle) > 0 {
		r.Throttle = throttle[0]
	}
	opts.Credential, opts.Transport = azureapi.Credential(), r
	if opts.Subscriptions == nil {
		opts.Subscriptions = []string{azureapi.Subscription}
	}
	opts.ResourceGroup, opts.Cluster, opts.Timeout = "spaces", "spaces", 10*time.Second
	if err := azure.New(opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s, r
}

// withoutSources drops where each object was read, which only evidence
// has.
func withoutSources(az *snapshot.Azure) string {
	b, _ := json.Marshal(az)
	var v any
	_ = json.Unmarshal(b, &v)
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "source")
			for k, e := range x {
				x[k] = strip(e)
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		}
		return v
	}
	out, _ := json.MarshalIndent(strip(v), "", " ")
	return string(out)
}

// Live, through the SDK's fakes, the collector reads what the az export
// holds: the two snapshots' Azure sections are equal, where each object
// came from aside.
func TestLiveEqualsEvidence(t *testing.T) {
	s, _ := live(t, azureapi.Space(nil), azure.Options{})
	for _, e := range s.Errors {
		t.Errorf("gap %+v", e)
	}
	ev := collect(t, nil)
	if got, want := withoutSources(s.Azure), withoutSources(ev.Azure); got != want {
		t.Errorf("live:\n%s\nevidence:\n%s", got, want)
	}
}

// Calls do not grow with the control planes that share one identity: one
// cluster read, one identity listing per subscription, one credential
// list, one assignment listing, one deny listing per identity,
// one definition per role, one account listing per subscription.
func TestCallsCounted(t *testing.T) {
	s, r := live(t, azureapi.Space(nil), azure.Options{})
	var st snapshot.CollectorStats
	for _, x := range s.Stats {
		if x.Collector == azure.Name {
			st = x
		}
	}
	// Three control planes share the identity: still seven calls.
	if st.APICalls != 7 || len(r.Calls) != 7 {
		t.Errorf("%d calls counted, %d made, want 7: %q", st.APICalls, len(r.Calls), r.Calls)
	}
}

// A call Azure refuses is a gap naming the call and the permission, and
// the controls that need it are unknown; a throttled call is retried.
func TestFaults(t *testing.T) {
	s, _ := live(t, azureapi.Space(map[string]azureapi.Failure{"assignments": {Status: http.StatusForbidden, Code: "AuthorizationFailed"}}), azure.Options{})
	i := s.Azure.Identities[azureapi.ClientID]
	if i.Assignments || !i.DenyAssignments || len(i.FederatedCredentials) != 2 {
		t.Errorf("identity %+v", i)
	}
	var g *snapshot.CollectionError
	for k, e := range s.Errors {
		if e.Kind == "RoleAssignment" {
			g = &s.Errors[k]
		}
	}
	if g == nil || g.Reason != "forbidden" || !strings.Contains(g.Message, "RoleAssignments.ListForScope") || !strings.Contains(g.Message, "HTTP 403 AuthorizationFailed") {
		t.Errorf("gap %+v in %+v", g, s.Errors)
	}

	s, _ = live(t, azureapi.Space(map[string]azureapi.Failure{"identities": {Status: http.StatusForbidden, Code: "AuthorizationFailed"}}), azure.Options{})
	if len(s.Azure.IdentitiesListed) != 0 {
		t.Error("a refused listing counted as complete")
	}
	if _, ok := s.Azure.Identities[azureapi.ClientID]; ok {
		t.Error("an identity was made up without a listing")
	}
	if !slices.ContainsFunc(s.Errors, func(e snapshot.CollectionError) bool {
		return e.Kind == "ManagedIdentity" && e.Name == azureapi.ClientID
	}) {
		t.Errorf("the unproven client ID is not a gap: %+v", s.Errors)
	}

	s, _ = live(t, azureapi.Space(map[string]azureapi.Failure{"cluster": {Status: http.StatusNotFound, Code: "ResourceNotFound"}}), azure.Options{})
	if s.Azure.Cluster != nil || !slices.ContainsFunc(s.Errors, func(e snapshot.CollectionError) bool { return e.Kind == "AKSCluster" && e.Reason == "not-found" }) {
		t.Errorf("cluster %+v, gaps %+v", s.Azure.Cluster, s.Errors)
	}
}

// A throttled listing is retried by the SDK's pipeline within the call's
// time limit, and nothing is lost.
func TestThrottledIsRetried(t *testing.T) {
	s, r := live(t, azureapi.Space(nil), azure.Options{}, "/userAssignedIdentities")
	if len(s.Errors) != 0 || len(s.Azure.IdentitiesListed) != 1 || !s.Azure.Identities[azureapi.ClientID].Found || len(r.Calls) != 8 {
		t.Errorf("gaps %+v, listed %v, %d calls", s.Errors, s.Azure.IdentitiesListed, len(r.Calls))
	}
}

// An authorization failure names the call and the permission wiscan
// lacks, from Azure's own answer.
func TestMissingPermissionNamed(t *testing.T) {
	f := azureapi.Space(nil)
	s := collect(t, map[string]string{})
	s.Azure, s.Errors = nil, nil
	r := &azureapi.Route{F: f, Forbid: map[string]string{"/denyAssignments": "Microsoft.Authorization/denyAssignments/read"}}
	opts := azure.Options{Subscriptions: []string{azureapi.Subscription}, ResourceGroup: "spaces", Cluster: "spaces", Timeout: 10 * time.Second,
		Credential: azureapi.Credential(), Transport: r}
	if err := azure.New(opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	i := s.Azure.Identities[azureapi.ClientID]
	if i.DenyAssignments || !i.Assignments {
		t.Errorf("identity %+v", i)
	}
	var msgs []string
	for _, e := range s.Errors {
		msgs = append(msgs, e.Reason+" "+e.Kind+": "+e.Message)
	}
	want := "forbidden DenyAssignment: DenyAssignments.ListForScope principalId backup-restore-identity: HTTP 403 AuthorizationFailed: wiscan needs Microsoft.Authorization/denyAssignments/read"
	if !slices.Contains(msgs, want) {
		t.Errorf("gaps %q, want %q", msgs, want)
	}
}

// Without a subscription nothing is called and the gap says what to pass.
func TestNoSubscription(t *testing.T) {
	s, r := live(t, azureapi.Space(nil), azure.Options{Subscriptions: []string{}})
	if len(r.Calls) != 0 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "--azure-subscription") {
		t.Errorf("calls %q, gaps %+v", r.Calls, s.Errors)
	}
}
