package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func metricsText(t *testing.T, r Report, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := (Prometheus{W: &b, Options: o}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, text)
	}
	return mfs
}

// value is the value of the one series of family name whose labels
// include want; -1 when there is none.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	for _, m := range mfs[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

// The metrics say each control's result, the findings by their bounded
// labels, the profiles' targets, when the scan ran and the exit its gate
// gives; no namespace or resource name is a label.
func TestPrometheusMetrics(t *testing.T) {
	r := sarifReport("live")
	text := metricsText(t, r, Options{FailOn: High, FailOnUnknown: true})
	mfs := parseMetrics(t, text)
	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{metricControlResult, map[string]string{"control": "WI-K8S-002", "result": "fail", "severity": "high"}, 1},
		{metricControlResult, map[string]string{"control": "WI-K8S-002", "result": "pass"}, 0},
		{metricControlResult, map[string]string{"control": "WI-AWS-003", "result": "unknown", "severity": "critical"}, 1},
		{metricControlResult, map[string]string{"control": "WI-AWS-003", "result": "fail"}, 0},
		{metricFindings, map[string]string{"control": "WI-K8S-002", "status": "fail", "severity": "high", "cloud": "aws", "profile": "spaces-backup"}, 1},
		{metricFindings, map[string]string{"control": "WI-AWS-003", "status": "unknown", "severity": "critical"}, 1},
		{metricFindings, map[string]string{"control": "ACME-001", "status": "waived", "severity": "low"}, 1},
		{metricFindings, map[string]string{"control": "ACME-001", "status": "fail"}, -1},
		{metricTargets, map[string]string{"profile": "spaces-backup"}, 1},
		{metricLastScan, nil, float64(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix())},
		{metricExitCode, nil, ExitFindings},
		{metricBuildInfo, map[string]string{"version": "v1.2.3"}, 1},
	}
	for _, c := range cases {
		if got := value(mfs, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(mfs[metricControlResult].GetMetric()); n != 3*len(statuses) {
		t.Errorf("%d control result series, want one per control and result (%d)", n, 3*len(statuses))
	}
	for _, secretish := range []string{"mxp-1-system", "mxp controller", "arn:aws:iam"} {
		if strings.Contains(text, secretish) {
			t.Errorf("a resource name is a label value: %q in\n%s", secretish, text)
		}
	}
	// Under a gate at critical the failure passes and the unknown
	// critical is what stops the scan.
	mfs = parseMetrics(t, metricsText(t, r, Options{FailOn: Critical, FailOnUnknown: true}))
	if got := value(mfs, metricExitCode, nil); got != ExitIncomplete {
		t.Errorf("exit code under --fail-on critical: %v, want %d", got, ExitIncomplete)
	}
	// A report with no time has no timestamp rather than the epoch.
	r.GeneratedAt = time.Time{}
	if mfs = parseMetrics(t, metricsText(t, r, Options{FailOn: High})); mfs[metricLastScan] != nil {
		t.Error("a report without a time gave a scan timestamp")
	}
}

// Debian's promtool finds nothing to say about the metrics.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (Debian's prometheus package; .ci/run installs it): %v", err)
	}
	cmd := exec.CommandContext(context.Background(), promtool, "check", "metrics") //nolint:gosec // G204: Debian's promtool on the test's own output
	cmd.Stdin = strings.NewReader(metricsText(t, sarifReport("evidence"), Options{FailOn: High}))
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// startPushgateway runs Debian's Pushgateway on a free loopback port and
// returns its URL.
func startPushgateway(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-pushgateway")
	if err != nil {
		t.Fatalf("the Pushgateway is not installed (Debian's prometheus-pushgateway; .ci/run installs it): %v", err)
	}
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--web.listen-address="+addr, "--persistence.file=", "--log.level=warn") //nolint:gosec // G204: the test's own gateway
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	url := "http://" + addr
	for range 100 {
		if resp, err := http.Get(url + "/-/ready"); err == nil { //nolint:gosec,noctx // G107: the test's own loopback gateway
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the Pushgateway at %s did not become ready:\n%s", addr, logs.String())
	return ""
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics") //nolint:gosec,noctx // G107: the test's own loopback gateway
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return parseMetrics(t, string(b))
}

// A push to Debian's Pushgateway lands under the job and grouping labels;
// a second push replaces the first, so a finding fixed in between leaves
// no series behind.
func TestPushgateway(t *testing.T) {
	url := startPushgateway(t)
	pg := Pushgateway{URL: url, Job: "wiscan", Grouping: map[string]string{"cluster": "prod/eu"}}
	r := sarifReport("live")
	if err := pg.Push(context.Background(), r, Options{FailOn: High}); err != nil {
		t.Fatal(err)
	}
	where := map[string]string{"job": "wiscan", "cluster": "prod/eu", "control": "WI-K8S-002", "status": "fail"}
	if got := value(scrape(t, url), metricFindings, where); got != 1 {
		t.Fatalf("after the first push, WI-K8S-002's finding = %v, want 1", got)
	}
	fixed := r
	// A whole family that the second scan lacks goes too, which only a
	// replacing push (PUT) does; an adding one (POST) would keep it.
	fixed.Profiles = nil
	fixed.Findings = nil
	for _, f := range r.Findings {
		if f.ControlID != "WI-K8S-002" {
			fixed.Findings = append(fixed.Findings, f)
		}
	}
	if err := pg.Push(context.Background(), fixed, Options{FailOn: High}); err != nil {
		t.Fatal(err)
	}
	mfs := scrape(t, url)
	if got := value(mfs, metricFindings, where); got != -1 {
		t.Errorf("the fixed finding's series outlived the second push: %v", got)
	}
	if mfs[metricTargets] != nil {
		t.Errorf("the first push's profile targets outlived the second push: %v", mfs[metricTargets])
	}
	if got := value(mfs, metricFindings, map[string]string{"job": "wiscan", "control": "WI-AWS-003", "status": "unknown"}); got != 1 {
		t.Errorf("the remaining unknown = %v, want 1", got)
	}
}

// A password in the URL is sent as basic authentication and never shown,
// not even when the gateway refuses the push; a refusal is an error that
// names the status.
func TestPushgatewayAuthAndRefusal(t *testing.T) {
	password := "pw-" + fmt.Sprint(time.Now().UnixNano())
	var gotUser, gotPass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		gotUser, gotPass, _ = req.BasicAuth()
		if strings.Contains(req.URL.String(), password) {
			t.Error("the password is in the request's URL")
		}
		http.Error(w, "read only", http.StatusForbidden)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://ops:"+password+"@", 1)
	err := Pushgateway{URL: u, Job: "wiscan"}.Push(context.Background(), sarifReport("live"), Options{FailOn: High})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a refused push gave %v, want an error naming 403", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("the error shows the password: %v", err)
	}
	if gotUser != "ops" || gotPass != password {
		t.Errorf("basic auth %q/%q, want ops and the password", gotUser, gotPass)
	}
}

// Addresses, jobs and labels that cannot work are refused before a scan,
// and a refused address's password is not shown.
func TestPushgatewayCheck(t *testing.T) {
	password := "pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for name, pg := range map[string]Pushgateway{
		"no scheme":       {URL: "gateway:9091", Job: "wiscan"},
		"ftp":             {URL: "ftp://user:" + password + "@gateway", Job: "wiscan"},
		"no job":          {URL: "http://gateway:9091"},
		"job as grouping": {URL: "http://gateway:9091", Job: "wiscan", Grouping: map[string]string{"job": "x"}},
		"bad label name":  {URL: "http://gateway:9091", Job: "wiscan", Grouping: map[string]string{"1cluster": "x"}},
	} {
		err := pg.Check()
		if !errors.Is(err, ErrPushgateway) {
			t.Errorf("%s: %v, want ErrPushgateway", name, err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	if err := (Pushgateway{URL: "https://gateway:9091/base", Job: "wiscan", Grouping: map[string]string{"cluster_1": "x"}}).Check(); err != nil {
		t.Errorf("a good address: %v", err)
	}
}
