package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/harness"
)

// A fault is what the proxy answers instead of the API server.
type fault struct {
	name string
	// reasons are the gap reasons the collector may give: the first, or
	// the others when a limit is hit first.
	reasons []string
	serve   func(w http.ResponseWriter, r *http.Request, upstream http.Handler)
}

// status answers with a Kubernetes Status, as the API server would.
func status(code int, reason string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected","reason":%q,"code":%d}`, reason, code)
	}
}

// recorded runs the real API server's answer into a buffer.
func recorded(r *http.Request, upstream http.Handler) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	upstream.ServeHTTP(rec, r)
	return rec
}

var faults = []fault{
	{"401", []string{"unauthorized"}, status(http.StatusUnauthorized, "Unauthorized")},
	{"403", []string{"forbidden"}, status(http.StatusForbidden, "Forbidden")},
	{"404", []string{"not-found"}, status(http.StatusNotFound, "NotFound")},
	{"429", []string{"throttled"}, status(http.StatusTooManyRequests, "TooManyRequests")},
	{"500", []string{"server-error"}, status(http.StatusInternalServerError, "InternalError")},
	{"html error page", []string{"server-error"}, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
	}},
	{"malformed", []string{"malformed"}, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":`)
	}},
	{"truncated", []string{"malformed"}, func(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
		body := recorded(r, upstream).Body.Bytes()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		// Ending the handler here closes the connection short of the
		// announced length, after the headers and half the body.
		panic(http.ErrAbortHandler)
	}},
	// An endless body ends at the size limit, or at the per-call time
	// limit when that comes first (a slow machine, the race detector).
	{"endless", []string{"too-large", "timeout"}, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","items":[`)
		chunk := []byte(strings.Repeat(`{"metadata":{"name":"x"}},`, 4096))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}},
	{"hang", []string{"timeout"}, func(_ http.ResponseWriter, r *http.Request, _ http.Handler) {
		<-r.Context().Done()
	}},
}

// slow passes the real answer on a few bytes at a time: slow, but within
// the per-call timeout, so nothing may be lost.
func slow(w http.ResponseWriter, r *http.Request, upstream http.Handler) {
	rec := recorded(r, upstream)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	step := max(1, len(body)/20)
	for len(body) > 0 {
		n := min(step, len(body))
		_, _ = w.Write(body[:n])
		w.(http.Flusher).Flush()
		body = body[n:]
		time.Sleep(10 * time.Millisecond)
	}
}

// target says which requests a fault hits: the LIST of one resource,
// cluster-wide and per namespace, or the discovery of the Spaces group.
type target struct {
	kinds []string // the snapshot kinds the requests read
	match func(path string) bool
}

func resource(name string) func(string) bool {
	return func(p string) bool { return strings.HasSuffix(p, "/"+name) }
}

var targets = map[string]target{
	"serviceaccounts":     {[]string{"ServiceAccount"}, resource("serviceaccounts")},
	"deployments":         {[]string{"Deployment"}, resource("deployments")},
	"pods":                {[]string{"Pod"}, resource("pods")},
	"secrets":             {[]string{"Secret"}, resource("secrets")},
	"sharedbackupconfigs": {[]string{"SharedBackupConfig"}, resource("sharedbackupconfigs")},
	"spaces discovery": {[]string{"ControlPlane", "SharedBackupConfig", "SpaceBackupConfig"}, func(p string) bool {
		return p == "/apis/"+kube.SpacesGroup || strings.HasPrefix(p, "/apis/"+kube.SpacesGroup+"/") && strings.Count(p, "/") == 3
	}},
	"namespaces": {[]string{"Namespace"}, func(p string) bool { return p == "/api/v1/namespaces" }},
}

// proxy stands in front of the real API server and answers the requests
// that hit with the fault; it holds the admin's credentials, so the
// collector talks to it in plain HTTP.
func proxy(t *testing.T, env *harness.Env, hit func(string) bool, serve func(http.ResponseWriter, *http.Request, http.Handler)) *rest.Config {
	t.Helper()
	tr, err := rest.TransportFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	up, err := url.Parse(env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	upstream := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(up) }, Transport: tr}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hit(r.URL.Path) {
			serve(w, r, upstream)
			return
		}
		upstream.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

// verdicts maps each control and namespace to its worst status; no entry
// means the control passed there (or did not apply). WI-SCAN-001, which
// reports the gaps themselves, is left out.
func verdicts(t *testing.T, eng *engine.Engine, s *snapshot.Snapshot) verdictMap {
	t.Helper()
	fs, err := eng.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	out := verdictMap{}
	gaps := false
	for _, f := range fs {
		if f.ControlID == "WI-SCAN-001" {
			gaps = true
			continue
		}
		k := [2]string{f.ControlID, f.Resource.Namespace}
		if f.Status == report.Fail || out[k] == "" {
			out[k] = f.Status
		}
	}
	if gaps {
		out[[2]string{"WI-SCAN-001", ""}] = report.Fail
	}
	return out
}

// status is a control's verdict in a namespace, where an unknown for the
// whole cluster (namespace "") covers every namespace; a cluster-scoped
// resource (an IAM role) is unknown when the control is unknown for a
// namespace, whose data decides which roles are in use.
func (v verdictMap) status(k [2]string) report.Status {
	if st := v[k]; st != "" {
		return st
	}
	if k[1] != "" && v[[2]string{k[0], ""}] == report.Unknown {
		return report.Unknown
	}
	if k[1] == "" {
		for o, st := range v {
			if o[0] == k[0] && st == report.Unknown {
				return report.Unknown
			}
		}
	}
	return ""
}

type verdictMap map[[2]string]report.Status

// without returns a copy of s with every object of the kinds removed and
// no gap for them: the snapshot of a cluster where they do not exist.
func without(t *testing.T, s *snapshot.Snapshot, kinds []string) *snapshot.Snapshot {
	t.Helper()
	var buf bytes.Buffer
	if err := snapshot.Save(&buf, s); err != nil {
		t.Fatal(err)
	}
	c, err := snapshot.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	k := &c.Kubernetes
	for _, kind := range kinds {
		switch kind {
		case "ServiceAccount":
			clear(k.ServiceAccounts)
		case "Deployment":
			clear(k.Deployments)
		case "Pod":
			clear(k.Pods)
		case "Secret":
			clear(k.Secrets)
		case "ControlPlane":
			k.Spaces.ControlPlanes = nil
		case "SharedBackupConfig":
			k.Spaces.SharedBackupConfigs = nil
		case "SpaceBackupConfig":
			k.Spaces.SpaceBackupConfigs = nil
		}
	}
	return c
}

// TestFaults puts a fault-injecting proxy in front of the real API server
// and, for each resource and each fault, checks that the collector reports
// the gap with its reason, that every verdict that depends on the unread
// kind is unknown, and that no control passes unless it passes whether or
// not the unread objects exist.
func TestFaults(t *testing.T) {
	env := startSpace(t)
	buildSpace(newCluster(t, env))
	eng, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := kube.Options{Timeout: 2 * time.Second}
	base := collect(t, env.Config, opts)
	baseV := verdicts(t, eng, base)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range targets {
			if !yield(k) {
				return
			}
		}
	}) {
		tg := targets[name]
		absentV := verdicts(t, eng, without(t, base, tg.kinds))
		for _, f := range faults {
			if name == "spaces discovery" && f.name == "404" {
				// The group is not served: no Spaces object can exist,
				// which is an answer, not a gap.
				continue
			}
			t.Run(name+"/"+f.name, func(t *testing.T) {
				s := collect(t, proxy(t, env, tg.match, f.serve), opts)
				assertGap(t, s, tg.kinds, f.reasons)
				got := verdicts(t, eng, s)
				if tg.kinds[0] == "Namespace" {
					// The namespaces are derived from the objects; their
					// labels are unknown, which the gap says.
					if n := len(s.Profiles[0].Targets); n != 4 {
						t.Errorf("%d control planes found without the namespace list, want 4", n)
					}
					for k, st := range baseV {
						if got[k] == "" && st != "" {
							t.Errorf("%s in %s passes without the namespace list; it is %s with it", k[0], k[1], st)
						}
					}
					return
				}
				assertNoPassOnUnread(t, baseV, absentV, got)
			})
		}
		t.Run(name+"/slow", func(t *testing.T) {
			s := collect(t, proxy(t, env, tg.match, slow), opts)
			if len(s.Errors) != 0 {
				t.Errorf("gaps on a slow but complete answer: %+v", s.Errors)
			}
			if got := verdicts(t, eng, s); !equalVerdicts(got, baseV) {
				t.Errorf("verdicts on a slow answer %v, want %v", got, baseV)
			}
		})
	}
}

func assertGap(t *testing.T, s *snapshot.Snapshot, kinds []string, reasons []string) {
	t.Helper()
	for _, kind := range kinds {
		found := false
		for _, e := range s.Errors {
			if e.Kind == kind && slices.Contains(reasons, e.Reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %v gap for %s; gaps: %+v", reasons, kind, s.Errors)
		}
	}
	var buf bytes.Buffer
	if err := snapshot.Save(&buf, s); err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Validate(buf.Bytes()); err != nil {
		t.Errorf("the snapshot with gaps breaks its schema: %v", err)
	}
	if strings.Contains(buf.String(), "Bad Gateway") {
		t.Error("a non-Status error body reached the snapshot")
	}
}

// assertNoPassOnUnread: where the verdict differs between the cluster as
// it is and the cluster without the unread kind, the verdict depends on
// what was not read and must be unknown; a pass must hold either way.
func assertNoPassOnUnread(t *testing.T, base, absent, got verdictMap) {
	t.Helper()
	if got[[2]string{"WI-SCAN-001", ""}] != report.Fail {
		t.Error("no WI-SCAN-001 finding for the gap")
	}
	keys := map[[2]string]bool{}
	for _, m := range []verdictMap{base, absent, got} {
		for k := range m {
			if k[0] != "WI-SCAN-001" {
				keys[k] = true
			}
		}
	}
	for k := range keys {
		b, a, g := base.status(k), absent.status(k), got.status(k)
		switch {
		case b != a && g != report.Unknown:
			t.Errorf("%s in %q: %q, want unknown: it is %q with the objects and %q without", k[0], k[1], g, b, a)
		case g == "" && (b != "" || a != ""):
			t.Errorf("%s in %q passes on data that was not read", k[0], k[1])
		case b == a && g != b && g != report.Unknown:
			t.Errorf("%s in %q: %q, want %q or unknown", k[0], k[1], g, b)
		}
	}
}

func equalVerdicts(a, b verdictMap) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestFaultExitCodes runs the built CLI through the proxy: a gap in one
// kind is a high finding (exit 1) and names the kind; a server that fails
// every list leaves nothing read, exit 3.
func TestFaultExitCodes(t *testing.T) {
	env := startSpace(t)
	buildSpace(newCluster(t, env))
	bin := buildCLI(t)
	cases := []struct {
		name  string
		hit   func(string) bool
		serve func(http.ResponseWriter, *http.Request, http.Handler)
		exit  int
		says  string
	}{
		{"secrets 500", resource("secrets"), status(http.StatusInternalServerError, "InternalError"), 1, "Secret not readable (server-error)"},
		{"pods hang", resource("pods"), faults[len(faults)-1].serve, 1, "Pod not readable (timeout)"},
		{"every list 500", func(p string) bool { return p != "/version" }, status(http.StatusInternalServerError, "InternalError"), 3, "nothing could be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := proxy(t, env, c.hit, c.serve)
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			doc := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n", cfg.Host)
			if err := os.WriteFile(kc, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cmd := exec.CommandContext(t.Context(), bin, "scan", "--kubeconfig", kc, "--skip-cloud", "--timeout", "2s", "--format", "json") //nolint:gosec // G204: runs the binary or script the test built or ships
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.exit || !strings.Contains(out.String(), c.says) {
				t.Errorf("exit %d, want %d saying %q; output:\n%s", code, c.exit, c.says, out.String())
			}
		})
	}
}
