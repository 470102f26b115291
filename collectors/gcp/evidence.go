package gcp

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/snapshot"
)

// Recognizer reads GCP evidence: the JSON gcloud prints with
// --format=json, recognised by content, and the wrappers the export script
// adds where a bare list would not say what it lists (an account's keys,
// the deny policies of an attachment point). An IAM policy printed alone
// names no resource: it is paired by its file name, or with the only
// resource it can be for.
type Recognizer struct {
	seen       bool
	clusters   []snapshot.GKECluster
	pools      map[string]map[string]snapshot.NodePool // by cluster name
	projects   []project
	ancestors  map[string][]ancestor // by file
	accounts   map[string]snapshot.GoogleServiceAccount
	keys       map[string][]snapshot.ServiceAccountKey
	keysListed map[string]bool
	loose      []loosePolicy
	deny       map[string][]snapshot.DenyPolicy // by attachment point as named
	denyListed map[string]bool
	summaries  []denySummary
	roles      map[string]snapshot.CustomRole
	malformed  []fileGap
}

type project struct {
	id, number string
	loc        *snapshot.Location
}

type ancestor struct {
	id, kind string
}

type loosePolicy struct {
	file     string
	resource string // from a resourceId, when the output names one
	policy   snapshot.IAMPolicy
}

type denySummary struct {
	name string
	loc  *snapshot.Location
}

type fileGap struct {
	file string
	line int
	msg  string
}

// NewRecognizer returns a recognizer for one evidence folder.
func NewRecognizer() *Recognizer {
	return &Recognizer{
		pools: map[string]map[string]snapshot.NodePool{}, ancestors: map[string][]ancestor{},
		accounts: map[string]snapshot.GoogleServiceAccount{}, keys: map[string][]snapshot.ServiceAccountKey{},
		keysListed: map[string]bool{}, deny: map[string][]snapshot.DenyPolicy{}, denyListed: map[string]bool{},
		roles: map[string]snapshot.CustomRole{},
	}
}

// Name implements collectors.Recognizer.
func (g *Recognizer) Name() string { return "GCP" }

// Document implements collectors.Recognizer.
func (g *Recognizer) Document(file string, line int, m map[string]any, lines func(key string, i int) int) bool {
	at := func(key string, i int) *snapshot.Location {
		if l := lines(key, i); l > 0 {
			return &snapshot.Location{File: file, Line: l}
		}
		return &snapshot.Location{File: file, Line: line}
	}
	loc := &snapshot.Location{File: file, Line: line}
	name := collectors.String(m["name"])
	selfLink := collectors.String(m["selfLink"])
	switch {
	case has(m, "iamAccount", "keys"):
		email := strings.ToLower(collectors.String(m["iamAccount"]))
		g.keysListed[email] = true
		if g.keys[email] == nil {
			g.keys[email] = []snapshot.ServiceAccountKey{}
		}
		for i, it := range collectors.List(m["keys"]) {
			g.key(collectors.Object(it), at("keys", i))
		}
	case has(m, "attachmentPoint", "denyPolicies"):
		point := collectors.String(m["attachmentPoint"])
		g.denyListed[point] = true
		if g.deny[point] == nil {
			g.deny[point] = []snapshot.DenyPolicy{}
		}
		for i, it := range collectors.List(m["denyPolicies"]) {
			d := denyPolicy(collectors.Object(it), at("denyPolicies", i))
			g.deny[point] = append(g.deny[point], d)
		}
	case strings.Contains(selfLink, "container.googleapis.com/") && strings.Contains(selfLink, "/nodePools/"):
		cluster, _, _ := strings.Cut(resourcePath(selfLink), "/nodePools/")
		g.pool(cluster, m, loc)
	case strings.Contains(selfLink, "container.googleapis.com/") && strings.Contains(selfLink, "/clusters/"):
		g.cluster(m, loc, lines)
	case strings.HasPrefix(name, "projects/") && strings.Contains(name, "/serviceAccounts/") && strings.Contains(name, "/keys/"):
		g.key(m, loc)
	case has(m, "email") && strings.HasPrefix(name, "projects/") && strings.Contains(name, "/serviceAccounts/"):
		email := strings.ToLower(collectors.String(m["email"]))
		g.accounts[email] = snapshot.GoogleServiceAccount{
			Email: email, UniqueID: collectors.String(m["uniqueId"]), Project: collectors.String(m["projectId"]),
			Found: true, Disabled: m["disabled"] == true, Source: loc,
		}
	case has(m, "includedPermissions") || (roleName(name) && has(m, "title")):
		if strings.HasPrefix(name, "roles/") {
			// A predefined role: the shipped data has its permissions.
			break
		}
		g.roles[name] = snapshot.CustomRole{Name: name, Title: collectors.String(m["title"]), Permissions: nonNil(collectors.Strings(m["includedPermissions"])), Deleted: m["deleted"] == true, Source: loc}
	case has(m, "projectId", "projectNumber"):
		g.projects = append(g.projects, project{id: collectors.String(m["projectId"]), number: fmt.Sprint(m["projectNumber"]), loc: loc})
	case len(m) == 2 && has(m, "id", "type") && slices.Contains([]string{"project", "folder", "organization"}, collectors.String(m["type"])):
		g.ancestors[file] = append(g.ancestors[file], ancestor{id: fmt.Sprint(m["id"]), kind: collectors.String(m["type"])})
	case strings.HasPrefix(name, "policies/") && strings.Contains(name, "/denypolicies/"):
		if _, ok := m["rules"]; !ok {
			g.summaries = append(g.summaries, denySummary{name: name, loc: loc})
			break
		}
		point := denyAttachment(name)
		g.deny[point] = append(g.deny[point], denyPolicy(m, loc))
	case isPolicy(m):
		res := ""
		if r := collectors.String(m["resourceId"]); strings.HasPrefix(r, "projects/_/buckets/") {
			res = "buckets/" + strings.TrimPrefix(r, "projects/_/buckets/")
		}
		g.loose = append(g.loose, loosePolicy{file: file, resource: res, policy: policy(m, loc)})
	default:
		return false
	}
	g.seen = true
	return true
}

// isPolicy recognises an IAM policy printed alone: an etag, with bindings
// or a version, and nothing that is not a policy's.
func isPolicy(m map[string]any) bool {
	if !has(m, "etag") {
		return false
	}
	for k := range m {
		switch k {
		case "bindings", "etag", "version", "auditConfigs", "kind", "resourceId":
		default:
			return false
		}
	}
	return true
}

func roleName(name string) bool {
	return strings.HasPrefix(name, "roles/") || ((strings.HasPrefix(name, "projects/") || strings.HasPrefix(name, "organizations/")) && strings.Contains(name, "/roles/"))
}

// resourcePath is a selfLink's path after the API version:
// projects/P/locations/L/clusters/C(/nodePools/N).
func resourcePath(link string) string {
	i := strings.Index(link, "/projects/")
	if i < 0 {
		return ""
	}
	p := link[i+1:]
	// The zonal API spells locations as zones.
	return strings.Replace(p, "/zones/", "/locations/", 1)
}

func (g *Recognizer) cluster(m map[string]any, loc *snapshot.Location, lines func(string, int) int) {
	name := resourcePath(collectors.String(m["selfLink"]))
	c := snapshot.GKECluster{Name: name, WorkloadPool: collectors.String(collectors.Object(m["workloadIdentityConfig"])["workloadPool"]), Source: loc}
	g.clusters = append(g.clusters, c)
	for i, it := range collectors.List(m["nodePools"]) {
		l := loc
		if n := lines("nodePools", i); n > 0 {
			l = &snapshot.Location{File: loc.File, Line: n}
		}
		g.pool(name, collectors.Object(it), l)
	}
}

func (g *Recognizer) pool(cluster string, m map[string]any, loc *snapshot.Location) {
	if g.pools[cluster] == nil {
		g.pools[cluster] = map[string]snapshot.NodePool{}
	}
	name := collectors.String(m["name"])
	mode := collectors.String(collectors.Object(collectors.Object(m["config"])["workloadMetadataConfig"])["mode"])
	g.pools[cluster][name] = snapshot.NodePool{Name: name, WorkloadMetadata: mode, Source: loc}
}

// key reads one key of gcloud iam service-accounts keys list; system
// managed keys (GCP's own, rotated by it) are not static credentials.
func (g *Recognizer) key(m map[string]any, loc *snapshot.Location) {
	name := collectors.String(m["name"])
	rest, id, ok := strings.Cut(name, "/keys/")
	if !ok {
		g.malformed = append(g.malformed, fileGap{loc.File, loc.Line, "a service account key without projects/P/serviceAccounts/E/keys/ID in its name"})
		return
	}
	if t := collectors.String(m["keyType"]); t != "" && t != "USER_MANAGED" {
		return
	}
	email := strings.ToLower(path.Base(rest))
	k := snapshot.ServiceAccountKey{ID: id, Disabled: m["disabled"] == true}
	if v, err := time.Parse(time.RFC3339, collectors.String(m["validAfterTime"])); err == nil {
		k.ValidAfter = &v
	}
	g.keys[email] = append(g.keys[email], k)
}

// Finish implements collectors.Recognizer.
func (g *Recognizer) Finish(s *snapshot.Snapshot, gaps collectors.EvidenceGaps) {
	for _, f := range g.malformed {
		gaps.File(f.file, f.line, "malformed", f.msg)
	}
	if Needed(s) && len(kube.NodesWanted(s)) > 0 && len(s.Kubernetes.Nodes) == 0 {
		gaps.Missing("Node", "", "the evidence holds no nodes: export them with kubectl get nodes -o json")
	}
	if !g.seen {
		if Needed(s) {
			gaps.Missing("GKECluster", "", "the evidence holds no gcloud exports for the control planes that use GCP (see the GCP evidence export in the README)")
		}
		return
	}
	out := snapshot.NewGCP()
	s.GCP = out
	g.clusterInto(out, gaps)
	g.projectInto(s, out, gaps)
	g.ancestryInto(out, gaps)
	g.accountsInto(s, out, gaps)
	g.policiesInto(s, out, gaps)
	g.denyInto(out, gaps)
	out.Roles = g.roles
	g.missing(s, out, gaps)
}

// missing reports what the evidence lacks for the GCP targets: each a
// gap that makes the controls reading it unknown.
func (g *Recognizer) missing(s *snapshot.Snapshot, out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	if !Needed(s) {
		return
	}
	if out.Cluster == nil {
		gaps.Missing("GKECluster", "", "the evidence does not describe the GKE cluster (gcloud container clusters describe <cluster> --location=<location> --format=json)")
	} else if out.NodePools == nil {
		gaps.Missing("NodePool", "", "the evidence lists no node pools of the cluster (gcloud container node-pools list --cluster=<cluster> --location=<location> --format=json)")
	}
	var want []string
	for _, b := range collectors.BackupBuckets(s) {
		want = append(want, "buckets/"+b)
	}
	if out.Project != "" {
		want = append(want, "projects/"+out.Project)
	}
	want = append(want, out.Ancestry...)
	for _, key := range want {
		if _, ok := out.Policies[key]; !ok {
			gaps.Missing("IAMPolicy", key, fmt.Sprintf("the evidence holds no IAM policy of %s (get-iam-policy --format=json, in a file named after it)", key))
		}
		if !strings.HasPrefix(key, "buckets/") {
			if _, ok := out.DenyPolicies[key]; !ok {
				gaps.Missing("DenyPolicy", key, fmt.Sprintf("the evidence holds no deny policies of %s (gcloud iam policies list and get, as the export script wraps them)", key))
			}
		}
	}
	for email, a := range out.ServiceAccounts {
		if a.Policy == nil {
			gaps.Missing("IAMPolicy", "serviceAccounts/"+email, fmt.Sprintf("the evidence holds no IAM policy of %s (gcloud iam service-accounts get-iam-policy %s --format=json, in a file named after it)", email, email))
		}
	}
}

func (g *Recognizer) clusterInto(out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	switch len(g.clusters) {
	case 0:
		return
	case 1:
	default:
		names := make([]string, len(g.clusters))
		for i, c := range g.clusters {
			names[i] = c.Name
		}
		if len(slices.Compact(slices.Sorted(slices.Values(names)))) > 1 {
			c := g.clusters[1]
			gaps.File(c.Source.File, c.Source.Line, "conflict", fmt.Sprintf("the evidence describes %d GKE clusters (%s): one scan reads one cluster; none is used", len(names), strings.Join(names, ", ")))
			return
		}
	}
	c := g.clusters[len(g.clusters)-1]
	out.Cluster = &c
	if pools, ok := g.pools[c.Name]; ok {
		out.NodePools = pools
	}
	if p := strings.Split(c.Name, "/"); len(p) > 1 {
		out.Project = p[1]
	}
}

func (g *Recognizer) projectInto(s *snapshot.Snapshot, out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	if out.Project == "" {
		// Without the cluster, the project of the accounts in use.
		projects := map[string]bool{}
		for _, e := range Accounts(s) {
			if p := ProjectOfAccount(e); p != "" {
				projects[p] = true
			}
		}
		for _, p := range g.projects {
			projects[p.id] = true
		}
		if len(projects) == 1 {
			for p := range projects {
				out.Project = p
			}
		}
	}
	for _, p := range g.projects {
		if p.id == out.Project {
			out.ProjectNumber = p.number
		}
	}
	if out.Project != "" && out.ProjectNumber == "" {
		gaps.Missing("Project", out.Project, fmt.Sprintf("the evidence does not describe project %s (gcloud projects describe %s --format=json): its number, which principal identifiers name, is not known", out.Project, out.Project))
	}
}

func (g *Recognizer) ancestryInto(out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	for _, file := range slices.Sorted(mapsKeys(g.ancestors)) {
		as := g.ancestors[file]
		if len(as) == 0 || as[0].kind != "project" || (as[0].id != out.Project && as[0].id != out.ProjectNumber) {
			continue
		}
		out.Ancestry = []string{}
		for _, a := range as[1:] {
			out.Ancestry = append(out.Ancestry, a.kind+"s/"+a.id)
		}
		return
	}
	if out.Project != "" {
		gaps.Missing("Ancestry", out.Project, fmt.Sprintf("the evidence holds no ancestry of project %s (gcloud projects get-ancestors %s --format=json): grants on its folders and organization are not known", out.Project, out.Project))
	}
}

func (g *Recognizer) accountsInto(s *snapshot.Snapshot, out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	for _, email := range Accounts(s) {
		a, ok := g.accounts[email]
		if !ok {
			gaps.Missing("GoogleServiceAccount", email, fmt.Sprintf("the evidence does not describe %s (gcloud iam service-accounts describe %s --format=json)", email, email))
			continue
		}
		if g.keysListed[email] || len(g.keys[email]) > 0 {
			a.Keys = g.keys[email]
		} else {
			gaps.Missing("ServiceAccountKey", email, fmt.Sprintf("the evidence does not list the user-managed keys of %s (gcloud iam service-accounts keys list --iam-account=%s --managed-by=user --format=json, as the export script wraps it)", email, email))
		}
		out.ServiceAccounts[email] = a
	}
}

// policiesInto pairs each IAM policy printed alone with its resource: the
// one its output names, else the longest resource name in its file name,
// else the only resource without a policy.
func (g *Recognizer) policiesInto(s *snapshot.Snapshot, out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	type candidate struct{ key, text string }
	var cands []candidate
	for _, e := range Accounts(s) {
		if _, ok := out.ServiceAccounts[e]; ok {
			cands = append(cands, candidate{"serviceAccounts/" + e, e})
		}
	}
	for _, b := range collectors.BackupBuckets(s) {
		cands = append(cands, candidate{"buckets/" + b, b})
	}
	if out.Project != "" {
		cands = append(cands, candidate{"projects/" + out.Project, out.Project})
	}
	for _, a := range out.Ancestry {
		cands = append(cands, candidate{a, a})
	}
	matches := func(file string, c candidate) bool {
		f := strings.ToLower(path.Base(file))
		if kind, id, ok := strings.Cut(c.text, "/"); ok {
			// A folder or organization: its kind and number both in the
			// name, so that a number alone (a date) does not pair.
			word := strings.TrimSuffix(kind, "s")
			if kind == "organizations" {
				word = "org"
			}
			return strings.Contains(f, word) && containsWord(f, id)
		}
		return strings.Contains(f, strings.ToLower(c.text))
	}
	var unpaired []loosePolicy
	for _, lp := range g.loose {
		key := lp.resource
		if key == "" {
			var best []candidate
			for _, c := range cands {
				if !matches(lp.file, c) {
					continue
				}
				switch {
				case len(best) == 0 || len(c.text) > len(best[0].text):
					best = []candidate{c}
				case len(c.text) == len(best[0].text):
					best = append(best, c)
				}
			}
			if len(best) > 1 {
				gaps.File(lp.file, lp.policy.Source.Line, "unrecognised", fmt.Sprintf("an IAM policy printed alone, whose file name fits %s alike: name the file after one resource", joinKeys(best, func(c candidate) string { return c.key })))
				continue
			}
			if len(best) == 1 {
				key = best[0].key
			}
		}
		if key == "" {
			unpaired = append(unpaired, lp)
			continue
		}
		g.place(out, key, lp, gaps)
	}
	if len(unpaired) == 1 {
		var open []string
		for _, c := range cands {
			if !g.has(out, c.key) {
				open = append(open, c.key)
			}
		}
		if len(open) == 1 {
			g.place(out, open[0], unpaired[0], gaps)
			return
		}
	}
	for _, lp := range unpaired {
		gaps.File(lp.file, lp.policy.Source.Line, "unrecognised", fmt.Sprintf("an IAM policy printed alone, whose file name names none of the resources it could be for (%s): name the file after one", joinKeys(cands, func(c candidate) string { return c.key })))
	}
}

func (g *Recognizer) has(out *snapshot.GCP, key string) bool {
	if e, ok := strings.CutPrefix(key, "serviceAccounts/"); ok {
		return out.ServiceAccounts[e].Policy != nil
	}
	_, ok := out.Policies[key]
	return ok
}

func (g *Recognizer) place(out *snapshot.GCP, key string, lp loosePolicy, gaps collectors.EvidenceGaps) {
	if g.has(out, key) {
		gaps.File(lp.file, lp.policy.Source.Line, "conflict", fmt.Sprintf("a second IAM policy for %s; the first one read is used", key))
		return
	}
	if e, ok := strings.CutPrefix(key, "serviceAccounts/"); ok {
		a := out.ServiceAccounts[e]
		p := lp.policy
		a.Policy = &p
		out.ServiceAccounts[e] = a
		return
	}
	out.Policies[key] = lp.policy
}

func (g *Recognizer) denyInto(out *snapshot.GCP, gaps collectors.EvidenceGaps) {
	got := map[string]bool{}
	for point, ds := range g.deny {
		key := attachmentKey(point, out.Project, out.ProjectNumber)
		if g.denyListed[point] {
			got[key] = true
		}
		if out.DenyPolicies[key] == nil {
			out.DenyPolicies[key] = []snapshot.DenyPolicy{}
		}
		out.DenyPolicies[key] = append(out.DenyPolicies[key], ds...)
	}
	for key := range out.DenyPolicies {
		if !got[key] {
			// Policies read one by one prove no others are absent.
			delete(out.DenyPolicies, key)
			gaps.Missing("DenyPolicy", key, fmt.Sprintf("the deny policies of %s are not listed in full (the export script wraps gcloud iam policies list and get for each attachment point)", key))
		}
	}
	for _, sm := range g.summaries {
		if !slices.ContainsFunc(out.DenyPolicies[attachmentKey(denyAttachment(sm.name), out.Project, out.ProjectNumber)], func(d snapshot.DenyPolicy) bool { return d.Name == sm.name }) {
			id := sm.name[strings.LastIndex(sm.name, "/")+1:]
			gaps.File(sm.loc.File, sm.loc.Line, "unrecognised", fmt.Sprintf("deny policy %s is listed without its rules: export it with gcloud iam policies get", id))
		}
	}
}

func has(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func containsWord(s, word string) bool {
	for i := strings.Index(s, word); i >= 0; {
		before := i == 0 || !isDigit(s[i-1])
		after := i+len(word) == len(s) || !isDigit(s[i+len(word)])
		if before && after {
			return true
		}
		j := strings.Index(s[i+1:], word)
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func joinKeys[T any](xs []T, key func(T) string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
