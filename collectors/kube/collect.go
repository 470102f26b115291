package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/pager"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// Name is the collector's name in snapshots.
const Name = "kubernetes"

// ErrUnreachable marks an API server that did not answer; the scan cannot
// go on.
var ErrUnreachable = errors.New("kubernetes API server unreachable")

// ErrConfig marks a kubeconfig that cannot be loaded.
var ErrConfig = errors.New("kubernetes client configuration")

// ErrNothingRead marks a scan in which no kind could be listed: an empty
// cluster is never inferred from answers that were all errors.
var ErrNothingRead = errors.New("nothing could be read from the kubernetes API server")

// ErrTooLarge marks a response body over MaxResponseBytes.
var ErrTooLarge = errors.New("response body too large")

// MaxResponseBytes bounds one API response body; a LIST page of 500 large
// pods stays well below it.
const MaxResponseBytes = 64 << 20

// Options configure the live collector.
type Options struct {
	// Kubeconfig and Context select the cluster as kubectl does; with
	// neither, KUBECONFIG, ~/.kube/config and then the in-cluster
	// configuration are tried.
	Kubeconfig string
	Context    string
	// Timeout bounds every API call; 30 s when zero.
	Timeout time.Duration
	// PageSize is the LIST page size; 500 when zero.
	PageSize int64
	// SkipSecrets leaves Secrets unlisted (the snapshot says so).
	SkipSecrets bool
	// Namespaces, when set, confine the scan to these namespaces with
	// namespaced reads only, for a scanner bound by RoleBindings in them:
	// each namespace is read by name, each kind is listed in each of them,
	// and cluster-scoped kinds (Node, SpaceBackupConfig) are not read,
	// each recorded as a gap of reason not-read that the controls needing
	// it name.
	Namespaces []string
	Progress   collectors.Progress
	Log        *slog.Logger
}

// Collector reads the cluster through client-go.
type Collector struct {
	cfg     *rest.Config
	context string
	opts    Options
	calls   atomic.Int64
}

// RESTConfig loads the client configuration the way kubectl does.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return cfg, nil
}

// New loads the client configuration the way kubectl does.
func New(opts Options) (*Collector, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	ctxName := opts.Context
	if raw, err := cc.RawConfig(); err == nil && ctxName == "" {
		ctxName = raw.CurrentContext
	}
	c := NewForConfig(cfg, opts)
	c.context = ctxName
	return c, nil
}

// NewForConfig builds a collector on a ready client configuration.
func NewForConfig(cfg *rest.Config, opts Options) *Collector {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.PageSize == 0 {
		opts.PageSize = 500
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{opts: opts}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = opts.Timeout
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	cfg.UserAgent = "wiscan"
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			c.calls.Add(1)
			resp, err := rt.RoundTrip(r)
			if resp != nil && resp.Body != nil {
				resp.Body = &limitedBody{rc: resp.Body, left: MaxResponseBytes}
			}
			return resp, err
		})
	})
	c.cfg = cfg
	return c
}

// limitedBody ends a response body with ErrTooLarge past its limit, so that
// an endless answer is an error, not an out-of-memory crash.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: over %d MiB", ErrTooLarge, MaxResponseBytes>>20)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

// Collect fills the Kubernetes section. Each kind is listed once across the
// cluster, page by page; where that is forbidden, it is listed in each target
// namespace instead. A failed list becomes a gap in the snapshot.
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	cs, err := kubernetes.NewForConfig(c.cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	dyn, err := dynamic.NewForConfig(c.cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.Source = snapshot.Source{Mode: "live", Context: c.context, Server: c.cfg.Host, SkipSecrets: c.opts.SkipSecrets, Namespaces: slices.Clone(c.opts.Namespaces)}
	if err := c.preflight(ctx, cs); err != nil {
		return err
	}
	r := &run{c: c, s: s, cs: cs, dyn: dyn, counts: map[string]int{}}
	// What was read is recorded even when the scan is interrupted.
	defer func() {
		s.Stats = append(s.Stats, snapshot.CollectorStats{
			Collector:       Name,
			DurationSeconds: time.Since(start).Seconds(),
			APICalls:        int(c.calls.Load()),
			Objects:         r.counts,
		})
	}()
	var nsRead bool
	if len(c.opts.Namespaces) > 0 {
		nsRead = r.namedNamespaces(ctx)
	} else {
		nsRead = r.namespaces(ctx)
	}
	if nsRead {
		if err := profiles.Target(s); err != nil {
			return err
		}
		r.targets = targetSet(s)
	}
	for _, k := range namespacedKinds {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k.wanted == nil || k.wanted(s) {
			r.namespaced(ctx, k)
		}
	}
	if !nsRead {
		// Without the namespace list, the namespaces are those that the
		// objects live in (their labels unknown, which the gap says).
		DeriveNamespaces(&s.Kubernetes)
		if err := profiles.Target(s); err != nil {
			return err
		}
		Prune(&s.Kubernetes, targetSet(s))
	}
	for _, g := range Attribute(&s.Kubernetes, Name) {
		s.AddError(g)
	}
	r.spaces(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	// The targets' clouds are resolved again now that the service
	// accounts and backup configurations are read.
	if err := profiles.Target(s); err != nil {
		return err
	}
	r.nodes(ctx)
	if r.listed == 0 && r.firstGap != nil {
		return fmt.Errorf("%w: %s", ErrNothingRead, Message(r.firstGap))
	}
	return nil
}

// preflight asks for the server version so that an unreachable server ends
// the scan at once with one clear error, instead of one gap per kind.
func (c *Collector) preflight(ctx context.Context, cs *kubernetes.Clientset) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	_, err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err == nil || isStatus(err) {
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, c.cfg.Host, err)
}

func isStatus(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st)
}

func targetSet(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, p := range s.Profiles {
		for _, ns := range p.Targets {
			out[ns] = true
		}
	}
	return out
}

// run is one collection.
type run struct {
	c       *Collector
	s       *snapshot.Snapshot
	cs      *kubernetes.Clientset
	dyn     dynamic.Interface
	targets map[string]bool
	counts  map[string]int
	// listed counts the lists that succeeded; firstGap is the first that
	// did not.
	listed   int
	firstGap error
}

func (r *run) gap(kind, ns string, err error) {
	msg := Message(err)
	r.c.opts.Log.Warn("collection gap", "kind", kind, "namespace", ns, "reason", Reason(err), "error", msg)
	r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: kind, Namespace: ns, Reason: Reason(err), Message: msg})
	if r.firstGap == nil {
		r.firstGap = err
	}
}

func (r *run) progress(kind string, n int) {
	r.c.opts.Progress.Report(fmt.Sprintf("listed %d %s", n, kind))
	r.c.opts.Log.Info("collected", "kind", kind, "count", n)
}

func (r *run) each(ctx context.Context, list pager.ListPageFunc, fn func(runtime.Object) error) error {
	p := pager.New(list)
	p.PageSize = r.c.opts.PageSize
	return p.EachListItem(ctx, metav1.ListOptions{}, fn)
}

// namespaces lists the namespaces and reports whether that worked.
func (r *run) namespaces(ctx context.Context) bool {
	n := 0
	err := r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return r.cs.CoreV1().Namespaces().List(ctx, o)
	}, func(o runtime.Object) error {
		ns := o.(*corev1Namespace)
		r.s.Kubernetes.Namespaces[ns.Name] = Namespace(ns, nil)
		n++
		return nil
	})
	if err != nil {
		r.gap("Namespace", "", err)
		r.namespacesFromProfiles()
		return false
	}
	r.listed++
	r.counts["Namespace"] = n
	r.progress("Namespace", n)
	return true
}

// NotRead is the reason of a gap left on purpose: a kind the scan was
// told not to read. The controls that need it are unknown and name it; it
// is not a collection failure (WI-SCAN-001).
const NotRead = "not-read"

// namespacedOnly is why a cluster-scoped kind is not read with Namespaces.
const namespacedOnly = "cluster-scoped, not read in namespaced mode (--namespace)"

// namespaced reports whether the scan is confined to named namespaces.
func (r *run) namespacedMode() bool { return len(r.c.opts.Namespaces) > 0 }

// notRead records a kind left unread on purpose.
func (r *run) notRead(kind, ns, why string) {
	r.c.opts.Log.Info("not read", "kind", kind, "namespace", ns, "reason", why)
	r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: kind, Namespace: ns, Reason: NotRead, Message: why})
}

// namedNamespaces reads the namespaces named in Options.Namespaces one by
// one (get, which a RoleBinding in the namespace can grant). One that
// does not exist or cannot be read is a gap; one that cannot be read
// stands in by its name, its labels unknown.
func (r *run) namedNamespaces(ctx context.Context) bool {
	n := 0
	for _, name := range r.c.opts.Namespaces {
		ns, err := r.cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			r.gap("Namespace", name, err)
			if !apierrors.IsNotFound(err) {
				r.s.Kubernetes.Namespaces[name] = snapshot.Namespace{Name: name, Labels: map[string]string{}}
			}
			continue
		}
		r.s.Kubernetes.Namespaces[ns.Name] = Namespace(ns, nil)
		n++
	}
	if n > 0 {
		r.listed++
	}
	r.counts["Namespace"] = n
	r.progress("Namespace", n)
	return true
}

// nodes lists the nodes when a target uses GCP, and keeps those its pods
// run on.
func (r *run) nodes(ctx context.Context) {
	want := NodesWanted(r.s)
	if len(want) == 0 {
		return
	}
	if r.namespacedMode() {
		r.notRead("Node", "", namespacedOnly)
		return
	}
	n := 0
	err := r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return r.cs.CoreV1().Nodes().List(ctx, o)
	}, func(o runtime.Object) error {
		node := o.(*corev1Node)
		n++
		if want[node.Name] {
			r.s.Kubernetes.Nodes[node.Name] = Node(node, nil)
		}
		return nil
	})
	if err != nil {
		r.gap("Node", "", err)
		return
	}
	r.listed++
	r.counts["Node"] = n
	r.progress("Node", n)
}

// namespacesFromProfiles stands in for a namespace list that could not be
// read: the namespaces that profiles name explicitly.
func (r *run) namespacesFromProfiles() {
	for _, p := range r.s.Profiles {
		for _, name := range p.Namespaces.Names {
			if _, ok := r.s.Kubernetes.Namespaces[name]; !ok {
				r.s.Kubernetes.Namespaces[name] = snapshot.Namespace{Name: name, Labels: map[string]string{}}
			}
		}
	}
}

// namespaced lists one kind across the cluster and falls back to the target
// namespaces when that is forbidden.
// A nil target set (namespaces unreadable) keeps every object, to be pruned
// once the namespaces are derived from them.
func (r *run) namespaced(ctx context.Context, k kind) {
	if r.targets != nil && len(r.targets) == 0 {
		return
	}
	n := 0
	keep := func(o runtime.Object) error {
		if k.store(r.s, o, r.targets) {
			n++
		}
		return nil
	}
	var err error
	if !r.namespacedMode() {
		err = r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return k.list(ctx, r.cs, metav1.NamespaceAll, o)
		}, keep)
	}
	if r.namespacedMode() || apierrors.IsForbidden(err) {
		if !r.namespacedMode() {
			r.c.opts.Log.Info("cluster-wide list forbidden, listing per namespace", "kind", k.name, "namespaces", len(r.targets))
		}
		err = nil
		read := 0
		for _, ns := range r.fallbackNamespaces() {
			e := r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return k.list(ctx, r.cs, ns, o)
			}, keep)
			if e != nil {
				r.gap(k.name, ns, e)
				continue
			}
			read++
		}
		if read == 0 {
			return
		}
	}
	if err != nil {
		r.gap(k.name, "", err)
		return
	}
	r.listed++
	r.counts[k.name] = n
	r.progress(k.name, n)
}

// fallbackNamespaces are the namespaces to list one by one: the targets, or
// without a namespace list the ones the profiles name.
func (r *run) fallbackNamespaces() []string {
	if r.targets != nil {
		return slices.Sorted(maps.Keys(r.targets))
	}
	return slices.Sorted(maps.Keys(r.s.Kubernetes.Namespaces))
}

// spaces reads the Spaces objects through discovery and the dynamic client,
// only for the kinds whose CRDs are served.
func (r *run) spaces(ctx context.Context) {
	served, err := r.spacesResources(ctx)
	if err != nil {
		for kind := range spacesKinds {
			r.gap(kind, "", err)
		}
		return
	}
	for kind, resource := range spacesKinds {
		res, ok := served[resource]
		r.s.Kubernetes.Spaces.Kinds[kind] = ok
		if !ok {
			continue
		}
		gvr := schema.GroupVersionResource{Group: SpacesGroup, Version: res.version, Resource: resource}
		n := 0
		add := func(o runtime.Object) error {
			addSpaces(&r.s.Kubernetes, o.(*unstructured.Unstructured), nil)
			n++
			return nil
		}
		if r.namespacedMode() {
			if !res.namespaced {
				r.notRead(kind, "", namespacedOnly)
				continue
			}
			// In each named namespace: the control planes' groups among
			// them.
			read := 0
			for _, ns := range r.c.opts.Namespaces {
				if err := r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					return r.dyn.Resource(gvr).Namespace(ns).List(ctx, o)
				}, add); err != nil {
					r.gap(kind, ns, err)
					continue
				}
				read++
			}
			if read > 0 {
				r.listed++
				r.counts[kind] = n
				r.progress(kind, n)
			}
			continue
		}
		err := r.each(ctx, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return r.dyn.Resource(gvr).List(ctx, o)
		}, add)
		if err != nil {
			r.gap(kind, "", err)
			continue
		}
		r.listed++
		r.counts[kind] = n
		r.progress(kind, n)
	}
}

// servedResource is a served Spaces resource: the version to read, and
// whether it is namespaced.
type servedResource struct {
	version    string
	namespaced bool
}

// spacesResources maps each served Spaces resource to the version to read,
// preferring the group's preferred version. It asks for the one group
// directly, under the scan's context, rather than discovering every group.
func (r *run) spacesResources(ctx context.Context) (map[string]servedResource, error) {
	rc := r.cs.Discovery().RESTClient()
	out := map[string]servedResource{}
	var group metav1.APIGroup
	err := getJSON(ctx, rc, &group, "/apis", SpacesGroup)
	if apierrors.IsNotFound(err) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", SpacesGroup, err)
	}
	versions := append([]metav1.GroupVersionForDiscovery{group.PreferredVersion}, group.Versions...)
	for _, v := range versions {
		if v.Version == "" {
			continue
		}
		var list metav1.APIResourceList
		if err := getJSON(ctx, rc, &list, "/apis", SpacesGroup, v.Version); err != nil {
			return nil, fmt.Errorf("discover %s/%s: %w", SpacesGroup, v.Version, err)
		}
		for _, res := range list.APIResources {
			if _, ok := out[res.Name]; !ok {
				out[res.Name] = servedResource{version: v.Version, namespaced: res.Namespaced}
			}
		}
	}
	return out, nil
}

func getJSON(ctx context.Context, rc rest.Interface, into any, path ...string) error {
	body, err := rc.Get().AbsPath(path...).Do(ctx).Raw()
	if err != nil {
		return err
	}
	return json.Unmarshal(body, into)
}

// Reason classifies an API error for a gap.
func Reason(err error) string {
	var ne net.Error
	var se *json.SyntaxError
	switch {
	case apierrors.IsUnauthorized(err):
		return "unauthorized"
	case apierrors.IsForbidden(err):
		return "forbidden"
	case errors.Is(err, ErrTooLarge):
		return "too-large"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), undecodable(err):
		return "malformed"
	case apierrors.IsNotFound(err):
		return "not-found"
	case apierrors.IsTooManyRequests(err):
		return "throttled"
	case apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne):
		return "unreachable"
	case serverError(err):
		return "server-error"
	default:
		return "error"
	}
}

// undecodable reports a 2xx answer that client-go could not decode. Its
// serializer formats the cause with %v, so the message is all there is:
// "couldn't get version/kind; json parse error: ...".
func undecodable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "json parse error") || strings.Contains(msg, "unexpected end of JSON input") ||
		strings.Contains(msg, "invalid character") || strings.Contains(msg, "cannot unmarshal")
}

// serverError reports a 5xx answer, with a Status body or without one.
func serverError(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st) && st.Status().Code >= 500
}

// Message describes an API error for a gap or a log line without quoting
// what the server sent: a body that is not a Kubernetes Status is never
// shown, and any other text is redacted and cut short.
func Message(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		if s.Details != nil {
			for _, c := range s.Details.Causes {
				if c.Type == metav1.CauseTypeUnexpectedServerResponse {
					return fmt.Sprintf("HTTP %d from the server (response body not shown)", s.Code)
				}
			}
		}
		return fmt.Sprintf("HTTP %d %s: %s", s.Code, s.Reason, secrets.Text(s.Message))
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON in the response at offset %d", se.Offset)
	case undecodable(err):
		return "malformed JSON in the response"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated response"
	}
	return secrets.Text(err.Error())
}
