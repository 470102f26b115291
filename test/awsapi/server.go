// Package awsapi is an HTTP server that speaks the wire protocols of the AWS
// APIs wiscan reads, so that tests point the real AWS SDK clients at it:
// IAM's and STS's Query protocol (form-encoded requests, XML replies,
// percent-encoded policy documents, as the services send them), EKS's
// REST-JSON protocol and S3's REST protocol for bucket policies. Replies are
// modelled on the examples of the AWS API references. It counts the calls
// it serves, and can refuse or throttle chosen operations.
package awsapi

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Role is an IAM role. Documents are JSON text.
type Role struct {
	Name     string
	Trust    string
	Inline   map[string]string
	Attached []string
	Boundary string
}

// Policy is a managed policy's default version.
type Policy struct {
	Name     string
	Version  string
	Document string
}

// Association is an EKS Pod Identity association.
type Association struct {
	ID, Namespace, ServiceAccount, RoleARN string
}

// Server is the fake AWS endpoint. Set its fields before the first call.
type Server struct {
	URL       string
	Account   string
	Cluster   string
	Issuer    string
	Roles     map[string]Role
	Policies  map[string]Policy
	Providers map[string][]string // ARN to client IDs
	Assocs    []Association
	Buckets   map[string]string // bucket to policy JSON; "" for none
	// Deny answers AccessDenied to these operations.
	Deny map[string]bool
	// Throttle answers a throttling error to the first n calls of an
	// operation.
	Throttle map[string]int
	// Delay holds the reply to an operation back this long, or until the
	// client gives up.
	Delay map[string]time.Duration

	mu     sync.Mutex
	calls  map[string]int
	writes []Write
}

// Write is one change a client asked for: the operation, what it names,
// and the document or body it sent.
type Write struct {
	Op, Target, Document string
}

// SetTrust replaces a role's trust policy, as another writer would.
func (s *Server) SetTrust(role, doc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.Roles[role]
	r.Trust = doc
	s.Roles[role] = r
}

// Writes returns the changes served, in order.
func (s *Server) Writes() []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes)
}

// Start runs a server with an empty account 123456789012 until the test
// ends.
func Start(t testing.TB) *Server {
	s := &Server{
		Account: "123456789012", Cluster: "spaces",
		Issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
		Roles:  map[string]Role{}, Policies: map[string]Policy{}, Providers: map[string][]string{},
		Buckets: map[string]string{}, Deny: map[string]bool{}, Throttle: map[string]int{}, Delay: map[string]time.Duration{}, calls: map[string]int{},
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Env points the AWS SDK at the server through the standard environment,
// with the documented example credentials.
func (s *Server) Env(t testing.TB) {
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}

// ProviderARN is the IAM OIDC provider ARN of the cluster's issuer.
func (s *Server) ProviderARN() string {
	return "arn:aws:iam::" + s.Account + ":oidc-provider/" + strings.TrimPrefix(s.Issuer, "https://")
}

// RoleARN is the ARN of a role name in the account.
func (s *Server) RoleARN(name string) string { return "arn:aws:iam::" + s.Account + ":role/" + name }

// Calls returns the operations served, by name (retries included).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// Total is the number of calls served.
func (s *Server) Total() int {
	n := 0
	for _, v := range s.Calls() {
		n += v
	}
	return n
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/clusters"):
		s.eks(w, r)
	case r.Method == http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.query(w, r.PostForm)
	case r.URL.Query().Has("policy"):
		s.bucketPolicy(w, r)
	default:
		http.Error(w, "unsupported request "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
	}
}

// admit counts a call, waits the configured delay and answers the
// configured refusal, if any.
func (s *Server) admit(op string) (code string, throttled bool) {
	s.mu.Lock()
	d := s.Delay[op]
	s.mu.Unlock()
	time.Sleep(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	if s.Throttle[op] > 0 {
		s.Throttle[op]--
		return "", true
	}
	if s.Deny[op] {
		return "AccessDenied", false
	}
	return "", false
}

const (
	iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// query serves IAM's and STS's Query protocol.
func (s *Server) query(w http.ResponseWriter, f url.Values) {
	op := f.Get("Action")
	ns := iamNS
	if op == "GetCallerIdentity" {
		ns = stsNS
	}
	if code, throttled := s.admit(op); throttled {
		queryError(w, ns, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	} else if code != "" {
		queryError(w, ns, http.StatusForbidden, code, "User: arn:aws:iam::"+s.Account+":user/auditor is not authorized to perform: iam:"+op)
		return
	}
	var result string
	switch op {
	case "GetCallerIdentity":
		result = el("Arn", "arn:aws:iam::"+s.Account+":user/auditor") + el("UserId", "AIDASAMPLEUSERID") + el("Account", s.Account)
	case "GetRole":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		result = s.roleXML(role)
	case "ListRolePolicies":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		result = el("PolicyNames", members(slices.Sorted(maps.Keys(role.Inline)), func(n string) string { return n })) + el("IsTruncated", "false")
	case "GetRolePolicy":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		doc, ok := role.Inline[f.Get("PolicyName")]
		if !ok {
			queryError(w, ns, http.StatusNotFound, "NoSuchEntity", "The role policy with name "+f.Get("PolicyName")+" cannot be found.")
			return
		}
		result = el("RoleName", role.Name) + el("PolicyName", f.Get("PolicyName")) + el("PolicyDocument", url.QueryEscape(doc))
	case "ListAttachedRolePolicies":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		result = el("AttachedPolicies", members(role.Attached, func(arn string) string {
			return el("PolicyName", arn[strings.LastIndex(arn, "/")+1:]) + el("PolicyArn", arn)
		})) + el("IsTruncated", "false")
	case "GetPolicy":
		p, ok := s.policy(w, f)
		if !ok {
			return
		}
		arn := f.Get("PolicyArn")
		result = el("Policy", el("PolicyName", p.Name)+el("DefaultVersionId", p.Version)+el("PolicyId", "ANPAEXAMPLEPOLICYID01")+
			el("Path", "/")+el("Arn", arn)+el("AttachmentCount", "1")+el("IsAttachable", "true")+el("CreateDate", "2026-10-01T09:00:00Z"))
	case "GetPolicyVersion":
		p, ok := s.policy(w, f)
		if !ok {
			return
		}
		result = el("PolicyVersion", el("Document", url.QueryEscape(p.Document))+el("VersionId", p.Version)+el("IsDefaultVersion", "true")+el("CreateDate", "2026-10-01T09:00:00Z"))
	case "UpdateAssumeRolePolicy":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		s.mu.Lock()
		role.Trust = f.Get("PolicyDocument")
		s.Roles[role.Name] = role
		s.writes = append(s.writes, Write{Op: op, Target: role.Name, Document: role.Trust})
		s.mu.Unlock()
	case "PutRolePolicy":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		s.mu.Lock()
		inline := maps.Clone(role.Inline)
		if inline == nil {
			inline = map[string]string{}
		}
		inline[f.Get("PolicyName")] = f.Get("PolicyDocument")
		role.Inline = inline
		s.Roles[role.Name] = role
		s.writes = append(s.writes, Write{Op: op, Target: role.Name + "/" + f.Get("PolicyName"), Document: f.Get("PolicyDocument")})
		s.mu.Unlock()
	case "DeleteRolePolicy":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		s.mu.Lock()
		inline := maps.Clone(role.Inline)
		delete(inline, f.Get("PolicyName"))
		role.Inline = inline
		s.Roles[role.Name] = role
		s.writes = append(s.writes, Write{Op: op, Target: role.Name + "/" + f.Get("PolicyName")})
		s.mu.Unlock()
	case "DetachRolePolicy":
		role, ok := s.role(w, f)
		if !ok {
			return
		}
		s.mu.Lock()
		role.Attached = slices.DeleteFunc(slices.Clone(role.Attached), func(a string) bool { return a == f.Get("PolicyArn") })
		s.Roles[role.Name] = role
		s.writes = append(s.writes, Write{Op: op, Target: role.Name + " " + f.Get("PolicyArn")})
		s.mu.Unlock()
	case "ListOpenIDConnectProviders":
		result = el("OpenIDConnectProviderList", members(slices.Sorted(maps.Keys(s.Providers)), func(arn string) string { return el("Arn", arn) }))
	case "GetOpenIDConnectProvider":
		arn := f.Get("OpenIDConnectProviderArn")
		ids, ok := s.Providers[arn]
		if !ok {
			queryError(w, ns, http.StatusNotFound, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
			return
		}
		_, u, _ := strings.Cut(arn, ":oidc-provider/")
		result = el("ClientIDList", members(ids, func(id string) string { return id })) +
			el("ThumbprintList", members([]string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}, func(t string) string { return t })) +
			el("Url", u) + el("CreateDate", "2026-10-01T09:00:00Z")
	default:
		queryError(w, ns, http.StatusBadRequest, "InvalidAction", "Could not find operation "+op)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	// A test server answering the SDK in XML, not a page a browser renders;
	// op is one of the operations matched above.
	_, _ = fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%sResponse>`, //nolint:gosec // G705: see above
		op, ns, op, result, op, op)
}

func (s *Server) role(w http.ResponseWriter, f url.Values) (Role, bool) {
	s.mu.Lock()
	role, ok := s.Roles[f.Get("RoleName")]
	s.mu.Unlock()
	if !ok {
		queryError(w, iamNS, http.StatusNotFound, "NoSuchEntity", "The role with name "+f.Get("RoleName")+" cannot be found.")
	}
	return role, ok
}

func (s *Server) policy(w http.ResponseWriter, f url.Values) (Policy, bool) {
	p, ok := s.Policies[f.Get("PolicyArn")]
	if !ok {
		queryError(w, iamNS, http.StatusNotFound, "NoSuchEntity", "Policy "+f.Get("PolicyArn")+" does not exist or is not attachable.")
	}
	return p, ok
}

func (s *Server) roleXML(r Role) string {
	out := el("Path", "/") + el("AssumeRolePolicyDocument", url.QueryEscape(r.Trust)) + el("MaxSessionDuration", "3600") +
		el("RoleId", "AROAEXAMPLEROLEID0001") + el("RoleName", r.Name) + el("Arn", s.RoleARN(r.Name)) + el("CreateDate", "2026-10-01T09:05:00Z")
	if r.Boundary != "" {
		out += el("PermissionsBoundary", el("PermissionsBoundaryType", "Policy")+el("PermissionsBoundaryArn", r.Boundary))
	}
	return el("Role", out)
}

func queryError(w http.ResponseWriter, ns string, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	typ := "Sender"
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>4c0f1d4e-EXAMPLE</RequestId></ErrorResponse>`, ns, typ, code, esc(msg))
}

func el(name, inner string) string {
	if strings.HasPrefix(inner, "<") || inner == "" {
		return "<" + name + ">" + inner + "</" + name + ">"
	}
	return "<" + name + ">" + esc(inner) + "</" + name + ">"
}

func members(items []string, render func(string) string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("<member>" + render(it) + "</member>")
	}
	return b.String()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// eks serves EKS's REST-JSON protocol.
func (s *Server) eks(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	op := map[int]string{2: "DescribeCluster", 3: "ListPodIdentityAssociations", 4: "DescribePodIdentityAssociation"}[len(parts)]
	if r.Method == http.MethodPost && len(parts) == 3 {
		op = "CreatePodIdentityAssociation"
	}
	if code, throttled := s.admit(op); throttled {
		jsonError(w, http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded")
		return
	} else if code != "" {
		jsonError(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: eks:"+op)
		return
	}
	if parts[1] != s.Cluster {
		jsonError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+parts[1]+".")
		return
	}
	arn := "arn:aws:eks:us-east-1:" + s.Account + ":cluster/" + s.Cluster
	var body any
	switch op {
	case "DescribeCluster":
		body = map[string]any{"cluster": map[string]any{"name": s.Cluster, "arn": arn, "version": "1.33", "status": "ACTIVE",
			"identity": map[string]any{"oidc": map[string]any{"issuer": s.Issuer}}}}
	case "CreatePodIdentityAssociation":
		var in struct{ Namespace, ServiceAccount, RoleArn string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			jsonError(w, http.StatusBadRequest, "InvalidParameterException", err.Error())
			return
		}
		s.mu.Lock()
		a := Association{ID: fmt.Sprintf("a-%017d", len(s.Assocs)+1), Namespace: in.Namespace, ServiceAccount: in.ServiceAccount, RoleARN: in.RoleArn}
		s.Assocs = append(s.Assocs, a)
		s.writes = append(s.writes, Write{Op: op, Target: in.Namespace + "/" + in.ServiceAccount, Document: in.RoleArn})
		s.mu.Unlock()
		body = map[string]any{"association": map[string]any{"clusterName": s.Cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount,
			"roleArn": a.RoleARN, "associationArn": arn + "/" + a.ID, "associationId": a.ID}}
	case "ListPodIdentityAssociations":
		// EKS answers an empty list, not null, when there is none.
		list := []any{}
		q := r.URL.Query()
		for _, a := range s.Assocs {
			if (q.Get("namespace") != "" && q.Get("namespace") != a.Namespace) || (q.Get("serviceAccount") != "" && q.Get("serviceAccount") != a.ServiceAccount) {
				continue
			}
			list = append(list, map[string]any{"clusterName": s.Cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount,
				"associationArn": arn + "/" + a.ID, "associationId": a.ID})
		}
		body = map[string]any{"associations": list}
	case "DescribePodIdentityAssociation":
		for _, a := range s.Assocs {
			if a.ID == parts[3] {
				body = map[string]any{"association": map[string]any{"clusterName": s.Cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount,
					"roleArn": a.RoleARN, "associationArn": arn + "/" + a.ID, "associationId": a.ID, "createdAt": 1.7599e9, "modifiedAt": 1.7599e9}}
			}
		}
		if body == nil {
			jsonError(w, http.StatusNotFound, "ResourceNotFoundException", "Association not found: "+parts[3])
			return
		}
	default:
		jsonError(w, http.StatusNotFound, "ResourceNotFoundException", "unsupported path")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// bucketPolicy serves S3's GetBucketPolicy (path-style addressing).
func (s *Server) bucketPolicy(w http.ResponseWriter, r *http.Request) {
	bucket := strings.Trim(r.URL.Path, "/")
	if code, throttled := s.admit("GetBucketPolicy"); throttled {
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	} else if code != "" {
		s3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	p, ok := s.Buckets[bucket]
	switch {
	case !ok:
		s3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	case p == "":
		s3Error(w, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(p))
	}
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`, code, esc(msg))
}
