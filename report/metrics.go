package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
)

// Metric names. Labels are bounded: control, severity, status, cloud and
// profile; never a namespace or a resource name, whose number grows with
// the cluster.
const (
	metricControlResult = "wiscan_control_result"
	metricFindings      = "wiscan_findings"
	metricTargets       = "wiscan_profile_targets"
	metricLastScan      = "wiscan_last_scan_timestamp_seconds"
	metricExitCode      = "wiscan_scan_exit_code"
	metricBuildInfo     = "wiscan_build_info"
	metricUndelivered   = "wiscan_delivery_failed"
)

var (
	descControlResult = prometheus.NewDesc(metricControlResult,
		"1 for the result a control has in the last scan (pass, fail, unknown, not_applicable), 0 for the others.",
		[]string{"control", "severity", "result"}, nil)
	descFindings = prometheus.NewDesc(metricFindings,
		"Findings of the last scan by control, severity, status (fail; unknown for want of data, with the severity it would have; waived, accepted by a waiver or baseline), cloud and profile.",
		[]string{"control", "severity", "status", "cloud", "profile"}, nil)
	descTargets = prometheus.NewDesc(metricTargets,
		"Namespaces each profile matched in the last scan.",
		[]string{"profile"}, nil)
	descLastScan = prometheus.NewDesc(metricLastScan,
		"When the last scan's report was made, in seconds since the epoch.", nil, nil)
	descExitCode = prometheus.NewDesc(metricExitCode,
		"The exit code the last scan's results give under its --fail-on gate: 0 pass, 1 findings, 3 unknown for want of data.", nil, nil)
	descUndelivered = prometheus.NewDesc(metricUndelivered,
		"1 for each output the last scan could not deliver (policyreport: applying the PolicyReports failed).", []string{"output"}, nil)
	descBuildInfo = prometheus.NewDesc(metricBuildInfo,
		"wiscan's version, as a label; the value is 1.", []string{"version"}, nil)
)

// statuses are every result a control can have, so that each control has
// a series for each and an alert's series does not vanish when it passes.
var statuses = []Status{Pass, Fail, Unknown, NotApplicable}

// reportCollector turns a report into constant metrics.
type reportCollector struct {
	r Report
	o Options
}

// NewMetrics returns a collector of a report's metrics, to register with
// a Registerer of the caller's.
func NewMetrics(r Report, o Options) prometheus.Collector { return reportCollector{r: r, o: o} }

// Describe implements prometheus.Collector.
func (c reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descControlResult, descFindings, descTargets, descLastScan, descExitCode, descBuildInfo, descUndelivered} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c reportCollector) Collect(ch chan<- prometheus.Metric) {
	for _, ctl := range c.r.Controls {
		for _, s := range statuses {
			v := 0.0
			if ctl.Status == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descControlResult, prometheus.GaugeValue, v, ctl.ID, string(ctl.Severity), string(s))
		}
	}
	type findingLabels struct{ control, severity, status, cloud, profile string }
	counts := map[findingLabels]int{}
	for _, f := range c.r.Findings {
		sev, status := f.Severity, string(f.Status)
		if f.Status != Fail {
			sev = f.WouldBe
		}
		if f.Waiver != nil {
			status = "waived"
		}
		counts[findingLabels{f.ControlID, string(sev), status, f.Cloud, f.Profile}]++
	}
	for l, n := range counts {
		ch <- prometheus.MustNewConstMetric(descFindings, prometheus.GaugeValue, float64(n), l.control, l.severity, l.status, l.cloud, l.profile)
	}
	for _, p := range c.r.Profiles {
		ch <- prometheus.MustNewConstMetric(descTargets, prometheus.GaugeValue, float64(p.Targets), p.Name)
	}
	if !c.r.GeneratedAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(descLastScan, prometheus.GaugeValue, float64(c.r.GeneratedAt.UnixNano())/float64(time.Second))
	}
	ch <- prometheus.MustNewConstMetric(descExitCode, prometheus.GaugeValue, float64(c.r.ExitCode(c.o.FailOn, c.o.FailOnUnknown)))
	ch <- prometheus.MustNewConstMetric(descBuildInfo, prometheus.GaugeValue, 1, c.r.Tool.Version)
	for _, o := range c.r.Undelivered {
		ch <- prometheus.MustNewConstMetric(descUndelivered, prometheus.GaugeValue, 1, o)
	}
}

// gather collects a report's metrics in a registry of their own, which
// also checks them (names, labels, duplicates).
func gather(r Report, o Options) (prometheus.Gatherer, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(NewMetrics(r, o)); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return reg, nil
}

// Prometheus writes the report's metrics in Prometheus' text exposition
// format, for a textfile collector or a Pushgateway.
type Prometheus struct {
	W io.Writer
	Options
}

// Write implements Writer.
func (p Prometheus) Write(_ context.Context, r Report) error {
	g, err := gather(r, p.Options)
	if err != nil {
		return err
	}
	mfs, err := g.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	sort.Slice(mfs, func(i, j int) bool { return mfs[i].GetName() < mfs[j].GetName() })
	enc := expfmt.NewEncoder(p.W, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}

// Pushgateway is where a scan pushes its metrics: the gateway's URL (user
// and password in it are sent as basic authentication, never shown), the
// job, and further grouping labels.
type Pushgateway struct {
	URL      string
	Job      string
	Grouping map[string]string
	// Client sends the request; nil means a client with a 30 s timeout.
	Client *http.Client
}

// ErrPushgateway marks a Pushgateway address that cannot be used.
var ErrPushgateway = errors.New("pushgateway")

// Check says what is wrong with the address, job and labels.
func (pg Pushgateway) Check() error {
	u, err := url.Parse(pg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q: want an http or https URL", ErrPushgateway, redactURL(pg.URL))
	}
	if pg.Job == "" {
		return fmt.Errorf("%w: the job name is empty", ErrPushgateway)
	}
	for k := range pg.Grouping {
		if k == "job" || !validLabelName(k) {
			return fmt.Errorf("%w: grouping label %q: want a label name other than job ([a-zA-Z_][a-zA-Z0-9_]*)", ErrPushgateway, k)
		}
	}
	return nil
}

// Push replaces the metrics of the job and grouping on the gateway with
// the report's: a finding fixed since the last scan leaves no series behind.
func (pg Pushgateway) Push(ctx context.Context, r Report, o Options) error {
	if err := pg.Check(); err != nil {
		return err
	}
	g, err := gather(r, o)
	if err != nil {
		return err
	}
	u, _ := url.Parse(pg.URL) // checked above
	user := u.User
	u.User = nil
	client := pg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	p := push.New(u.String(), pg.Job).Gatherer(g).Client(client).Format(expfmt.NewFormat(expfmt.TypeTextPlain))
	if user != nil {
		pass, _ := user.Password()
		p = p.BasicAuth(user.Username(), pass)
	}
	keys := make([]string, 0, len(pg.Grouping))
	for k := range pg.Grouping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p = p.Grouping(k, pg.Grouping[k])
	}
	if err := p.PushContext(ctx); err != nil {
		return fmt.Errorf("push metrics to %s: %w", u.String(), err)
	}
	return nil
}

// redactURL hides a password in a URL that is to be shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an address that does not parse)"
	}
	return u.Redacted()
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
