package aws

import (
	"cmp"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// Recognizer reads AWS evidence: it gathers the JSON the AWS CLI prints,
// recognised by its keys, and joins it into the snapshot's AWS section once
// every file is read, with the same types, gap kinds and document handling
// as the live collector.
type Recognizer struct {
	seen      bool
	caller    map[string]any
	cluster   *snapshot.EKSCluster
	providers map[string]snapshot.OIDCProvider
	listed    bool // list-open-id-connect-providers was given
	clientIDs map[string]oidcDetail
	roles     map[string]*roleEvidence // by role name
	policies  map[string]*policyEvidence
	versions  []versionEvidence
	assocList map[string]snapshot.PodIdentityAssociation
	assocFull map[string]snapshot.PodIdentityAssociation
	assocSeen bool
	orphans   []orphanList
	// buckets are s3api get-bucket-policy outputs by bucket, the folder
	// buckets/<bucket>/ naming it; a nil policy says the bucket has none.
	buckets map[string]snapshot.Bucket
	// looseBuckets are bucket policies outside such a folder.
	looseBuckets []string
}

// orphanList is a list-role-policies or list-attached-role-policies output,
// which names no role.
type orphanList struct {
	file, kind  string
	names, arns []string
}

type oidcDetail struct {
	url       string
	clientIDs []string
	loc       *snapshot.Location
}

type roleEvidence struct {
	role     snapshot.Role
	inline   map[string]snapshot.PolicyDocument
	names    []string // from list-role-policies
	named    bool     // inline names are complete
	attached []string // managed policy ARNs
	listed   bool     // attached list is complete
	boundary string
}

type policyEvidence struct {
	arn, name, defaultVersion string
	doc                       *snapshot.PolicyDocument
	dir                       string
}

type versionEvidence struct {
	file, dir, base string
	version         string
	isDefault       bool
	doc             any
	loc             *snapshot.Location
}

// NewRecognizer returns a recognizer for one evidence folder.
func NewRecognizer() *Recognizer {
	return &Recognizer{
		providers: map[string]snapshot.OIDCProvider{}, clientIDs: map[string]oidcDetail{},
		roles: map[string]*roleEvidence{}, policies: map[string]*policyEvidence{},
		assocList: map[string]snapshot.PodIdentityAssociation{}, assocFull: map[string]snapshot.PodIdentityAssociation{},
		buckets: map[string]snapshot.Bucket{},
	}
}

// Name implements collectors.Recognizer.
func (a *Recognizer) Name() string { return "AWS" }

// Document implements collectors.Recognizer: it takes one decoded JSON
// document and reports whether it was AWS CLI output. lines gives the line
// of each item of a top-level list, so that a role or association found in
// a long export is located exactly.
func (a *Recognizer) Document(file string, line int, m map[string]any, lines func(key string, i int) int) bool {
	loc := &snapshot.Location{File: file, Line: line}
	at := func(key string, i int) *snapshot.Location {
		if l := lines(key, i); l > 0 {
			return &snapshot.Location{File: file, Line: l}
		}
		return loc
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("RoleDetailList"):
		a.authorizationDetails(m, at)
	case has("Account", "Arn", "UserId"):
		a.caller = m
	case has("cluster"):
		c := collectors.Object(m["cluster"])
		a.cluster = &snapshot.EKSCluster{Name: collectors.String(c["name"]), ARN: collectors.String(c["arn"]), OIDCIssuer: collectors.String(collectors.Object(collectors.Object(c["identity"])["oidc"])["issuer"]), Source: loc}
	case has("associations"):
		a.assocSeen = true
		for i, it := range collectors.List(m["associations"]) {
			as := association(collectors.Object(it), at("associations", i))
			a.assocList[as.ID] = as
		}
	case has("association"):
		a.assocSeen = true
		as := association(collectors.Object(m["association"]), loc)
		a.assocFull[as.ID] = as
	case has("OpenIDConnectProviderList"):
		a.listed = true
		for _, it := range collectors.List(m["OpenIDConnectProviderList"]) {
			arn := collectors.String(collectors.Object(it)["Arn"])
			_, url, _ := strings.Cut(arn, ":oidc-provider/")
			a.providers[arn] = snapshot.OIDCProvider{ARN: arn, URL: url, Source: loc}
		}
	case has("Url", "ClientIDList"):
		a.clientIDs[collectors.String(m["Url"])] = oidcDetail{url: collectors.String(m["Url"]), clientIDs: collectors.Strings(m["ClientIDList"]), loc: loc}
	case has("Role"):
		a.getRole(collectors.Object(m["Role"]), loc)
	case has("RoleName", "PolicyName", "PolicyDocument"):
		r := a.role(collectors.String(m["RoleName"]), "")
		r.inline[collectors.String(m["PolicyName"])] = doc(collectors.String(m["PolicyName"]), "", m["PolicyDocument"], loc)
	case has("PolicyNames"):
		a.orphan(file, "PolicyNames", collectors.Strings(m["PolicyNames"]), nil)
	case has("AttachedPolicies"):
		var arns []string
		for _, it := range collectors.List(m["AttachedPolicies"]) {
			arns = append(arns, collectors.String(collectors.Object(it)["PolicyArn"]))
		}
		a.orphan(file, "AttachedPolicies", nil, arns)
	case len(m) == 1 && has("Policy") && isBucketPolicy(m["Policy"]):
		// aws s3api get-bucket-policy: the policy as a JSON string (null
		// when the export says the bucket has none), the folder naming
		// the bucket.
		name := bucketFolder(file)
		if name == "" {
			a.looseBuckets = append(a.looseBuckets, file)
			break
		}
		b := snapshot.Bucket{Name: name}
		if text, ok := m["Policy"].(string); ok {
			d := doc("", "", text, loc)
			b.Policy = &d
		}
		a.buckets[name] = b
	case has("Policy"):
		p := collectors.Object(m["Policy"])
		if collectors.String(p["Arn"]) == "" {
			return false
		}
		a.policy(collectors.String(p["Arn"]), collectors.String(p["PolicyName"]), collectors.String(p["DefaultVersionId"])).dir = path.Dir(file)
	case has("PolicyVersion"):
		v := collectors.Object(m["PolicyVersion"])
		a.versions = append(a.versions, versionEvidence{file: file, dir: path.Dir(file), base: stem(file), version: collectors.String(v["VersionId"]),
			isDefault: v["IsDefaultVersion"] == true, doc: v["Document"], loc: loc})
	default:
		return false
	}
	a.seen = true
	return true
}

func (a *Recognizer) authorizationDetails(m map[string]any, at func(string, int) *snapshot.Location) {
	for i, it := range collectors.List(m["RoleDetailList"]) {
		rd := collectors.Object(it)
		loc := at("RoleDetailList", i)
		r := a.getRole(rd, loc)
		r.named, r.listed = true, true
		for _, p := range collectors.List(rd["RolePolicyList"]) {
			pm := collectors.Object(p)
			r.inline[collectors.String(pm["PolicyName"])] = doc(collectors.String(pm["PolicyName"]), "", pm["PolicyDocument"], loc)
		}
		for _, p := range collectors.List(rd["AttachedManagedPolicies"]) {
			r.attached = append(r.attached, collectors.String(collectors.Object(p)["PolicyArn"]))
		}
	}
	for i, it := range collectors.List(m["Policies"]) {
		pm := collectors.Object(it)
		loc := at("Policies", i)
		p := a.policy(collectors.String(pm["Arn"]), collectors.String(pm["PolicyName"]), collectors.String(pm["DefaultVersionId"]))
		for _, v := range collectors.List(pm["PolicyVersionList"]) {
			vm := collectors.Object(v)
			if vm["IsDefaultVersion"] == true || collectors.String(vm["VersionId"]) == p.defaultVersion {
				d := doc(p.name, p.arn, vm["Document"], loc)
				d.Version = collectors.String(vm["VersionId"])
				p.doc = &d
			}
		}
	}
}

// getRole records a role from get-role or the authorization details.
func (a *Recognizer) getRole(rm map[string]any, loc *snapshot.Location) *roleEvidence {
	r := a.role(collectors.String(rm["RoleName"]), collectors.String(rm["Arn"]))
	r.role.Found, r.role.Source = true, loc
	t := doc("", "", rm["AssumeRolePolicyDocument"], loc)
	r.role.TrustPolicy = &t
	r.boundary = collectors.String(collectors.Object(rm["PermissionsBoundary"])["PermissionsBoundaryArn"])
	return r
}

func (a *Recognizer) role(name, arn string) *roleEvidence {
	r, ok := a.roles[name]
	if !ok {
		r = &roleEvidence{role: snapshot.Role{Name: name}, inline: map[string]snapshot.PolicyDocument{}}
		a.roles[name] = r
	}
	if arn != "" {
		r.role.ARN = arn
	}
	return r
}

func (a *Recognizer) policy(arn, name, def string) *policyEvidence {
	p, ok := a.policies[arn]
	if !ok {
		p = &policyEvidence{arn: arn}
		a.policies[arn] = p
	}
	if name != "" {
		p.name = name
	}
	if def != "" {
		p.defaultVersion = def
	}
	return p
}

// orphan keeps a list that names no role; it is attributed once every
// file is read.
func (a *Recognizer) orphan(file, kind string, names, arns []string) {
	a.orphans = append(a.orphans, orphanList{file: file, kind: kind, names: names, arns: arns})
}

// Finish implements collectors.Recognizer: it joins the evidence into the
// snapshot, whose targets are resolved, and reports to gaps what it cannot
// attribute and what the evidence lacks.
func (a *Recognizer) Finish(s *snapshot.Snapshot, gaps collectors.EvidenceGaps) {
	if !a.seen {
		return
	}
	out := snapshot.NewAWS()
	a.attribute(gaps)
	a.attributeVersions(gaps)
	if a.caller != nil {
		out.Account, out.Caller = collectors.String(a.caller["Account"]), collectors.String(a.caller["Arn"])
		out.Partition = arnPart(out.Caller, 1)
	}
	out.Cluster = a.cluster
	if out.Account == "" && a.cluster != nil {
		out.Account, out.Partition = arnPart(a.cluster.ARN, 4), arnPart(a.cluster.ARN, 1)
	}
	gap := gaps.Missing
	if a.cluster == nil {
		gap(KindCluster, "", "the evidence holds no EKS cluster: add aws eks describe-cluster --name <cluster>")
	}
	a.oidc(out, gap)
	a.associations(out, gap)
	for _, re := range a.roles {
		if re.role.ARN == "" {
			continue
		}
		out.Roles[re.role.ARN] = a.joinRole(re)
	}
	a.missingRoles(s, out, gap)
	for name, b := range a.buckets {
		out.Buckets[name] = b
	}
	for _, f := range a.looseBuckets {
		gaps.File(f, 0, "unrecognised", "a bucket policy names no bucket: put it in a folder buckets/<bucket>/")
	}
	for _, b := range collectors.BackupBuckets(s) {
		if _, ok := out.Buckets[b]; !ok {
			gap(KindBucket, b, fmt.Sprintf("the evidence holds no policy of bucket %s: add aws s3api get-bucket-policy --bucket %s --output json as buckets/%s/policy.json (see the README)", b, b, b))
		}
	}
	s.AWS = out
}

// isBucketPolicy tells get-bucket-policy's {"Policy": "<JSON text>"} (or
// null) from get-policy's {"Policy": {...}}.
func isBucketPolicy(v any) bool {
	switch v.(type) {
	case string, nil:
		return true
	}
	return false
}

// bucketFolder is the bucket a file's folder names: buckets/<bucket>/...
func bucketFolder(file string) string {
	parts := strings.Split(filepath.ToSlash(file), "/")
	for i := len(parts) - 2; i >= 1; i-- {
		if parts[i-1] == "buckets" {
			return parts[i]
		}
	}
	return ""
}

func (a *Recognizer) oidc(out *snapshot.AWS, gap func(kind, name, msg string)) {
	for arn, p := range a.providers {
		if d, ok := a.clientIDs[p.URL]; ok {
			p.ClientIDs = d.clientIDs
		}
		out.OIDCProviders[arn] = p
	}
	// A get-open-id-connect-provider output names no ARN: derive it from the
	// account.
	for url, d := range a.clientIDs {
		if a.listed || out.Account == "" {
			continue
		}
		arn := fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", cmp.Or(out.Partition, "aws"), out.Account, url)
		out.OIDCProviders[arn] = snapshot.OIDCProvider{ARN: arn, URL: url, ClientIDs: d.clientIDs, Source: d.loc}
	}
	if !a.listed {
		gap(KindProvider, "", "the evidence holds no list of IAM OIDC providers: add aws iam list-open-id-connect-providers")
	}
}

func (a *Recognizer) associations(out *snapshot.AWS, gap func(kind, name, msg string)) {
	if !a.assocSeen {
		gap(KindAssociation, "", "the evidence holds no EKS Pod Identity associations: add aws eks list-pod-identity-associations --cluster-name <cluster>")
		return
	}
	ids := map[string]bool{}
	for id := range a.assocList {
		ids[id] = true
	}
	for id := range a.assocFull {
		ids[id] = true
	}
	for id := range ids {
		as, ok := a.assocFull[id]
		if !ok {
			gap(KindAssociation, "", fmt.Sprintf("the role of association %s is not in the evidence: add aws eks describe-pod-identity-association --cluster-name <cluster> --association-id %s", id, id))
			continue
		}
		snapshot.Put(out.PodIdentityAssociations, as.Namespace, as.ServiceAccount, as)
	}
}

// joinRole completes a role with its policies; a part the evidence lacks
// becomes an unreadable document that names the file to add.
func (a *Recognizer) joinRole(re *roleEvidence) snapshot.Role {
	role := re.role
	role.Inline, role.Attached = []snapshot.PolicyDocument{}, []snapshot.PolicyDocument{}
	names := re.names
	if !re.named {
		role.Inline = append(role.Inline, snapshot.PolicyDocument{Name: "(inline policies)",
			Error: fmt.Sprintf("the list of inline policies is not in the evidence: add aws iam list-role-policies --role-name %s", role.Name)})
		names = nil
		for n := range re.inline {
			names = append(names, n)
		}
	}
	if re.named && len(names) == 0 {
		for n := range re.inline {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		d, ok := re.inline[n]
		if !ok {
			d = snapshot.PolicyDocument{Name: n, Error: fmt.Sprintf("not in the evidence: add aws iam get-role-policy --role-name %s --policy-name %s", role.Name, n)}
		}
		role.Inline = append(role.Inline, d)
	}
	if !re.listed {
		role.Attached = append(role.Attached, snapshot.PolicyDocument{Name: "(attached policies)",
			Error: fmt.Sprintf("the list of attached policies is not in the evidence: add aws iam list-attached-role-policies --role-name %s", role.Name)})
	}
	for _, arn := range re.attached {
		role.Attached = append(role.Attached, a.managed(arn))
	}
	if re.boundary != "" {
		b := a.managed(re.boundary)
		role.Boundary = &b
	}
	return role
}

func (a *Recognizer) managed(arn string) snapshot.PolicyDocument {
	if p, ok := a.policies[arn]; ok && p.doc != nil {
		return *p.doc
	}
	return snapshot.PolicyDocument{ARN: arn, Name: path.Base(arn),
		Error: fmt.Sprintf("not in the evidence: add aws iam get-policy --policy-arn %s and aws iam get-policy-version --policy-arn %s --version-id <default version>", arn, arn)}
}

// missingRoles records a gap for each role the targets that use AWS
// reference (as the live collector reads them) that the evidence lacks.
func (a *Recognizer) missingRoles(s *snapshot.Snapshot, out *snapshot.AWS, gap func(kind, name, msg string)) {
	for _, arn := range referencedRoles(s, out.PodIdentityAssociations) {
		if _, ok := out.Roles[arn]; !ok && arn != "" {
			gap(KindRole, arn, fmt.Sprintf("role %s is not in the evidence: add aws iam get-account-authorization-details, or aws iam get-role --role-name %s", arn, path.Base(arn)))
		}
	}
}

// attribute gives each role-less list (list-role-policies,
// list-attached-role-policies) to the role its directory or file is named
// after, or to the only role in the evidence.
func (a *Recognizer) attribute(gaps collectors.EvidenceGaps) {
	for _, o := range a.orphans {
		re := a.owner(o.file)
		if re == nil {
			gaps.File(o.file, 0, "malformed", fmt.Sprintf("cannot tell which role this %s list belongs to: put the file in a directory named after the role (roles/<role name>/), or name it <role name>.json", o.kind))
			continue
		}
		if o.kind == "PolicyNames" {
			re.named, re.names = true, o.names
		} else {
			re.listed, re.attached = true, o.arns
		}
	}
}

func (a *Recognizer) owner(file string) *roleEvidence {
	for _, c := range []string{path.Base(path.Dir(file)), stem(file)} {
		if re, ok := a.roles[c]; ok {
			return re
		}
	}
	if len(a.roles) == 1 {
		for _, re := range a.roles {
			return re
		}
	}
	return nil
}

// attributeVersions gives each get-policy-version output (which names no
// policy) to the policy beside it or named like its file.
func (a *Recognizer) attributeVersions(gaps collectors.EvidenceGaps) {
	for _, v := range a.versions {
		var match *policyEvidence
		var inDir []*policyEvidence
		for _, p := range a.policies {
			if p.name != "" && (p.name == v.base || p.name == path.Base(v.dir)) {
				match = p
			}
			if p.dir == v.dir {
				inDir = append(inDir, p)
			}
		}
		if match == nil && len(inDir) == 1 {
			match = inDir[0]
		}
		if match == nil {
			gaps.File(v.file, v.loc.Line, "malformed", "cannot tell which policy this policy version belongs to: put it beside the policy's get-policy output, or name it <policy name>.json")
			continue
		}
		if v.isDefault || v.version == match.defaultVersion {
			d := doc(match.name, match.arn, v.doc, v.loc)
			d.Version = v.version
			match.doc = &d
		}
	}
}

func association(m map[string]any, loc *snapshot.Location) snapshot.PodIdentityAssociation {
	return snapshot.PodIdentityAssociation{
		ID: collectors.String(m["associationId"]), ARN: collectors.String(m["associationArn"]), Namespace: collectors.String(m["namespace"]),
		ServiceAccount: collectors.String(m["serviceAccount"]), RoleARN: collectors.String(m["roleArn"]), TargetRoleARN: collectors.String(m["targetRoleArn"]), Source: loc,
	}
}

// doc wraps a policy document as the CLI prints it: a JSON object, or a
// string (URL-encoded or not) that the engine decodes.
func doc(name, arn string, v any, loc *snapshot.Location) snapshot.PolicyDocument {
	d := snapshot.PolicyDocument{Document: v}
	if text, ok := v.(string); ok {
		d = document(text)
	}
	d.Name, d.ARN, d.Source = name, arn, loc
	if v == nil {
		d.Error = "the document is missing from the evidence"
	}
	return d
}

func stem(file string) string {
	b := path.Base(file)
	if i := strings.IndexByte(b, '.'); i > 0 {
		return b[:i]
	}
	return b
}
