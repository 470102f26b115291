package iampolicy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The semantics corpus: each case is a set of policies, one question and
// the answer AWS gives, with the AWS documentation page that says so.
// Questions are one request (what IAM decides), a role's access to a
// bucket (the missing and excess grants of WI-AWS-007 and -008), or a
// trust policy's IRSA analysis (WI-AWS-004 to -006).

type semCase struct {
	Name     string            `json:"name"`
	Doc      string            `json:"doc"`
	Identity []json.RawMessage `json:"identity"`
	Boundary json.RawMessage   `json:"boundary"`
	Bucket   json.RawMessage   `json:"bucket"`
	Trust    json.RawMessage   `json:"trust"`

	S3          *semS3      `json:"s3"`
	WebIdentity *semWeb     `json:"webIdentity"`
	Request     *semRequest `json:"request"`
	Want        string      `json:"want"`

	Access *semAccess `json:"access"`
	IRSA   *semIRSA   `json:"irsa"`
}

type semS3 struct {
	Action, Resource, Region string
}

type semWeb struct {
	Provider, Sub, Aud string
}

type semRequest struct {
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Principal *RequestPrincipal   `json:"principal"`
	Context   map[string][]string `json:"context"`
	Open      bool                `json:"open"`
}

type semAccess struct {
	Bucket    string   `json:"bucket"`
	Missing   []string `json:"missing"`
	Excess    *bool    `json:"excess"`
	Witness   string   `json:"witness"`
	Undecided bool     `json:"undecided"`
}

type semIRSA struct {
	Subjects   []string `json:"subjects"`
	Scope      []string `json:"scope"`
	Broad      bool     `json:"broad"`
	NoAudience bool     `json:"noAudience"`
	Denied     []string `json:"denied"`
	Undecided  bool     `json:"undecided"`
}

const (
	semRole     = "arn:aws:iam::111122223333:role/backup"
	semIssuer   = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	semProvider = "arn:aws:iam::111122223333:oidc-provider/" + semIssuer
)

var semNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func loadSemantics(t *testing.T) []semCase {
	t.Helper()
	files, err := filepath.Glob("testdata/semantics/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var all []semCase
	for _, f := range files {
		b, err := os.ReadFile(f) //nolint:gosec // G304: a file the test itself wrote or ships
		if err != nil {
			t.Fatal(err)
		}
		var cs []semCase
		if err := json.Unmarshal(b, &cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range cs {
			cs[i].Name = filepath.Base(f) + ": " + cs[i].Name
		}
		all = append(all, cs...)
	}
	return all
}

// policyOf reads a policy given as a statement list or a whole document.
func policyOf(t *testing.T, raw json.RawMessage) *Policy {
	t.Helper()
	doc := strings.TrimSpace(string(raw))
	if strings.HasPrefix(doc, "[") {
		doc = `{"Version":"2012-10-17","Statement":` + doc + `}`
	}
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("policy %s: %v", raw, err)
	}
	return p
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func (c semCase) set(t *testing.T) PolicySet {
	var ps PolicySet
	for i, raw := range c.Identity {
		ps.Identity = append(ps.Identity, Named{Kind: "inline", Name: fmt.Sprintf("p%d", i), Policy: policyOf(t, raw)})
	}
	if present(c.Trust) {
		ps.Identity = append(ps.Identity, Named{Kind: "trust", Policy: policyOf(t, c.Trust)})
	}
	if present(c.Boundary) {
		ps.Boundary = &Named{Kind: "boundary", Name: "b", Policy: policyOf(t, c.Boundary)}
	}
	if present(c.Bucket) {
		ps.Resource = &Named{Kind: "bucket", Name: "bucket", Policy: policyOf(t, c.Bucket)}
	}
	return ps
}

func TestSemanticsCorpus(t *testing.T) {
	cases := loadSemantics(t)
	if len(cases) < 80 {
		t.Errorf("the corpus has %d cases, want at least 80", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if !strings.HasPrefix(c.Doc, "https://docs.aws.amazon.com/") {
				t.Errorf("no AWS documentation page: %q", c.Doc)
			}
			switch {
			case c.Access != nil:
				c.checkAccess(t)
			case c.IRSA != nil:
				c.checkIRSA(t)
			default:
				c.checkDecision(t)
			}
		})
	}
}

func (c semCase) checkDecision(t *testing.T) {
	var r Request
	switch {
	case c.S3 != nil:
		r = Environment{Now: semNow, Region: c.S3.Region}.S3(semRole, c.S3.Action, c.S3.Resource)
	case c.WebIdentity != nil:
		provider := c.WebIdentity.Provider
		if provider == "" {
			provider = semProvider
		}
		r = Environment{Now: semNow, Region: "us-east-1"}.WebIdentity(&RequestPrincipal{Type: "Federated", ID: provider}, semIssuer, c.WebIdentity.Sub, c.WebIdentity.Aud)
	case c.Request != nil:
		r = Request{Action: c.Request.Action, Resource: c.Request.Resource, Principal: c.Request.Principal, Context: c.Request.Context, Open: c.Request.Open}
	default:
		t.Fatal("no question")
	}
	ps := c.set(t)
	// The bucket policy names who may: the workload's role.
	ps.Caller = &RequestPrincipal{Type: "AWS", ID: semRole}
	rs, err := ps.Decide(r)
	if err != nil {
		t.Fatal(err)
	}
	got := map[Decision]string{Allowed: "allow", ImplicitDeny: "deny", Indeterminate: "undecided"}[rs.Decision()]
	if got != c.Want {
		t.Errorf("got %s, want %s (undecided: %s)", got, c.Want, rs.Undecided)
	}
}

func (c semCase) checkAccess(t *testing.T) {
	ps := c.set(t)
	in := AccessInput{Partition: "aws", Bucket: c.Access.Bucket, RoleARN: semRole, Identity: ps.Identity, Boundary: ps.Boundary,
		Env: Environment{Now: semNow, Region: "us-east-1"}}
	if ps.Resource != nil {
		in.BucketPolicy = ps.Resource.Policy
	}
	r := Access(in)
	var missing []string
	for _, m := range r.Missing {
		if m.Decision != Indeterminate {
			missing = append(missing, m.Action)
		}
	}
	slices.Sort(missing)
	want := slices.Clone(c.Access.Missing)
	slices.Sort(want)
	if !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v (%+v)", missing, want, r.Missing)
	}
	if c.Access.Excess != nil && (len(r.Excess) > 0) != *c.Access.Excess {
		t.Errorf("excess %+v, want excess %v (undecided %v)", r.Excess, *c.Access.Excess, r.Undecided)
	}
	if c.Access.Witness != "" && !slices.ContainsFunc(r.Excess, func(e Excess) bool {
		return strings.Contains(e.Action+" on "+e.Resource+"; "+e.Detail, c.Access.Witness)
	}) {
		t.Errorf("excess %+v, want the witness %q", r.Excess, c.Access.Witness)
	}
	undecided := len(r.Undecided) > 0
	for _, m := range r.Missing {
		if m.Decision == Indeterminate {
			undecided = true
		}
	}
	if undecided != c.Access.Undecided {
		t.Errorf("undecided %v (%v, %+v), want %v", undecided, r.Undecided, r.Missing, c.Access.Undecided)
	}
	// Every witness is a request the policies allow and least privilege
	// does not need.
	for _, e := range r.Excess {
		rs, err := newAccess(in).decide(e.Action)
		if err != nil || !rs.Allowed.Contains(e.Resource) {
			t.Errorf("witness %s on %s is not allowed", e.Action, e.Resource)
		}
	}
}

func (c semCase) checkIRSA(t *testing.T) {
	p := policyOf(t, c.Trust)
	r := IRSA(p, IRSAInput{ProviderARN: semProvider, Issuer: semIssuer, Subjects: c.IRSA.Subjects, Scope: c.IRSA.Scope,
		Env: Environment{Now: semNow, Region: "us-east-1"}})
	var denied []string
	for _, d := range r.Denied {
		if d.Decision != Indeterminate {
			denied = append(denied, d.Subject)
		}
	}
	if (len(r.Broad) > 0) != c.IRSA.Broad || (len(r.NoAudience) > 0) != c.IRSA.NoAudience || !slices.Equal(denied, c.IRSA.Denied) {
		t.Errorf("broad %+v, no audience %v (%q), denied %v; want broad %v, no audience %v, denied %v", r.Broad, r.NoAudience, r.Audience, denied, c.IRSA.Broad, c.IRSA.NoAudience, c.IRSA.Denied)
	}
	undecided := len(r.BroadUndecided)+len(r.AudienceUndecided) > 0 || len(denied) < len(r.Denied)
	if undecided != c.IRSA.Undecided {
		t.Errorf("undecided %v (%v %v), want %v", undecided, r.BroadUndecided, r.AudienceUndecided, c.IRSA.Undecided)
	}
	// A broad witness is a real subject, admitted, and outside the scope.
	for _, b := range r.Broad {
		if strings.Contains(b.Reason, "identity provider") {
			continue
		}
		if !Subjects.Match(b.Subject) {
			t.Errorf("witness %q is not a service-account subject", b.Subject)
		}
		for _, s := range c.IRSA.Scope {
			if NewGlob(s, false).Match(b.Subject) {
				t.Errorf("witness %q is inside the scope %s", b.Subject, s)
			}
		}
		req := Environment{Now: semNow, Region: "us-east-1"}.WebIdentity(&RequestPrincipal{Type: "Federated", ID: semProvider}, semIssuer, b.Subject, IRSAAudience)
		if p.Evaluate(req).Decision != Allowed {
			t.Errorf("witness %q is not admitted", b.Subject)
		}
	}
}

// Every action pattern in the corpus names at least one known action, so
// that a typo in a test cannot pass for a pattern that matches nothing.
func TestCorpusActionsAreKnown(t *testing.T) {
	for _, c := range loadSemantics(t) {
		raws := append(slices.Clone(c.Identity), c.Boundary, c.Bucket, c.Trust)
		for _, raw := range raws {
			if !present(raw) {
				continue
			}
			for _, st := range policyOf(t, raw).Statements {
				for _, a := range append(slices.Clone(st.Action), st.NotAction...) {
					service, _, _ := strings.Cut(strings.ToLower(a), ":")
					if (service == "s3" || service == "sts" || a == "*") && len(ExpandActions(a)) == 0 {
						t.Errorf("%s: action pattern %q matches no known action", c.Name, a)
					}
				}
			}
		}
	}
}

func TestActionData(t *testing.T) {
	levels := map[string]bool{"Read": true, "Write": true, "List": true, "Tagging": true, "Permissions management": true}
	seen := map[string]bool{}
	for _, a := range Actions() {
		service, name, ok := strings.Cut(a.Name, ":")
		if !ok || (service != "s3" && service != "sts") || name == "" || HasWildcard(a.Name) || !levels[a.Level] {
			t.Errorf("malformed entry %+v", a)
		}
		if seen[strings.ToLower(a.Name)] {
			t.Errorf("duplicate %s", a.Name)
		}
		seen[strings.ToLower(a.Name)] = true
	}
	for _, must := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", WebIdentityAction, AssumeRoleAction, TagSessionAction} {
		if !seen[strings.ToLower(must)] {
			t.Errorf("%s is not in the list", must)
		}
	}
	if n := len(ExpandActions("s3:Get*")); n < 50 {
		t.Errorf("s3:Get* expands to %d actions", n)
	}
}
