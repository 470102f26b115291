package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// canary is a credential-shaped value built at test time: a random
// base64 token the classifier takes for a key, or an access key ID.
func canary(t *testing.T, keyID bool) string {
	t.Helper()
	for {
		b := make([]byte, 30)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		if keyID {
			return "AKIA" + strings.ToUpper(hex.EncodeToString(b[:8]))
		}
		if s := base64.RawURLEncoding.EncodeToString(b); HighEntropy(s) {
			return s
		}
	}
}

// fill sets every string the snapshot type can hold (fields, slice
// elements, map keys and values, pointers followed) to a fresh canary,
// and returns the canaries planted in fields the allow-list keeps.
func fill(t *testing.T, v reflect.Value, tag string, kept map[string]string, path string) {
	switch v.Kind() {
	case reflect.String:
		c := canary(t, len(kept)%2 == 0)
		v.SetString(c)
		if tag == "keep" {
			kept[c] = path
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), tag, kept, path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() && f.Type.Kind() != reflect.Interface {
				fill(t, v.Field(i), f.Tag.Get("redact"), kept, path+"."+f.Name)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), tag, kept, path+"[]")
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(t, k, map[bool]string{true: "keep"}[tag == "keys" || tag == "keep"], kept, path+"{key}")
		e := reflect.New(v.Type().Elem()).Elem()
		fill(t, e, tag, kept, path+"{}")
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// Every string field of every kind the snapshot holds, with a canary in
// it, comes out redacted, except the allow-listed ones, which come out
// verbatim. The snapshot type is walked, so a field added later is tested
// without a change here.
func TestScrubEveryField(t *testing.T) {
	var s snapshot.Snapshot
	kept := map[string]string{}
	fill(t, reflect.ValueOf(&s).Elem(), "", kept, "snapshot")
	Scrub(&s)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, tok := range strings.FieldsFunc(string(b), func(r rune) bool { return strings.ContainsRune(`"{}[],:`, r) }) {
		left[tok] = true
	}
	for c, path := range kept {
		if !left[c] {
			t.Errorf("%s is allow-listed but was changed", path)
		}
		delete(left, c)
	}
	for tok := range left {
		if len(tok) >= 20 && (HighEntropy(tok) || awsKeyID.MatchString(tok)) {
			t.Errorf("a canary survived: %s…", tok[:4])
		}
	}
	if len(kept) == 0 || !strings.Contains(string(b), RedactedPrefix) {
		t.Fatal("nothing planted")
	}
}

// In a policy document, what the evaluation compares stays verbatim
// (Version, Effect, Action, Resource, Principal, condition operators and
// keys) and the rest is judged: the Sid, the Id, condition values, keys
// no policy has.
func TestScrubPolicyDocument(t *testing.T) {
	sid, value, id, odd := canary(t, false), canary(t, true), canary(t, false), canary(t, false)
	doc := map[string]any{
		"Version": "2012-10-17", "Id": id,
		"Statement": []any{map[string]any{
			"Sid": sid, "Effect": "Allow",
			"Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Resource":  []any{"arn:aws:s3:::b/*"},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:userid": value, "oidc:aud": "sts.amazonaws.com"}},
			odd:         "x",
		}},
	}
	s := snapshot.New(time.Unix(0, 0))
	s.AWS = snapshot.NewAWS()
	s.AWS.Roles["arn:aws:iam::111122223333:role/r"] = snapshot.Role{TrustPolicy: &snapshot.PolicyDocument{Document: doc}}
	Scrub(s)
	got := s.AWS.Roles["arn:aws:iam::111122223333:role/r"].TrustPolicy.Document.(map[string]any)
	st := got["Statement"].([]any)[0].(map[string]any)
	cond := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
	b, _ := json.Marshal(got)
	for name, c := range map[string]string{"Sid": sid, "condition value": value, "Id": id, "unknown key": odd} {
		if strings.Contains(string(b), c) {
			t.Errorf("the %s was kept", name)
		}
	}
	if cond["oidc:aud"] != "sts.amazonaws.com" || !strings.HasPrefix(cond["aws:userid"].(string), RedactedPrefix) {
		t.Errorf("condition %v: the keys must stay, the credential-shaped value go", cond)
	}
	if st["Action"] != "sts:AssumeRoleWithWebIdentity" || st["Effect"] != "Allow" || got["Version"] != "2012-10-17" ||
		!reflect.DeepEqual(st["Resource"], []any{"arn:aws:s3:::b/*"}) ||
		!strings.Contains(st["Principal"].(map[string]any)["Federated"].(string), "EXAMPLED539D4633E53DE1B71EXAMPLE") {
		t.Errorf("a structural value changed: %s", b)
	}
}

// Free text keeps its words and loses its credential-shaped tokens; a
// path is judged part by part; a value already redacted is left alone.
func TestScrubTextAndPaths(t *testing.T) {
	c := canary(t, false)
	s := snapshot.New(time.Unix(0, 0))
	s.AddError(snapshot.CollectionError{Message: "get role r: token " + c + " rejected", Source: &snapshot.Location{File: "aws/" + c + ".json"}})
	s.Targets = append(s.Targets, snapshot.Target{Identity: RedactedPrefix + "high-entropy:sha256:0011"})
	Scrub(s)
	e := s.Errors[0]
	if strings.Contains(e.Message, c) || !strings.HasPrefix(e.Message, "get role r: token redacted:") || !strings.HasSuffix(e.Message, " rejected") {
		t.Errorf("message %q", e.Message)
	}
	if !strings.HasPrefix(e.Source.File, "aws/redacted:") {
		t.Errorf("file %q", e.Source.File)
	}
	if s.Targets[0].Identity != RedactedPrefix+"high-entropy:sha256:0011" {
		t.Errorf("a redacted value was redacted again: %q", s.Targets[0].Identity)
	}
}

// BenchmarkScrub scrubs the Kubernetes side of 1,000 control planes: a
// service account, a Deployment and two pods each.
func BenchmarkScrub(b *testing.B) {
	spec := snapshot.PodSpec{
		Labels:         map[string]string{"app": "mxp-controller", "azure.workload.identity/use": "true"},
		ServiceAccount: "mxp-controller",
		Containers: []snapshot.Container{{Name: "mxp-controller", Env: []snapshot.EnvVar{
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::123456789012:role/backup"},
			{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
		}, Mounts: []snapshot.Mount{{Volume: "aws-iam-token", Path: "/var/run/secrets/eks.amazonaws.com/serviceaccount"}}}},
		Volumes: []snapshot.Volume{{Name: "aws-iam-token", Projected: []snapshot.ProjectedSource{{ServiceAccountToken: &snapshot.ProjectedToken{Audience: "sts.amazonaws.com", Path: "token"}}}}},
	}
	for b.Loop() {
		b.StopTimer()
		s := snapshot.New(time.Unix(0, 0))
		for i := range 1000 {
			ns := "mxp-" + strings.Repeat("0", 8) + "-" + hex.EncodeToString([]byte{byte(i >> 8), byte(i)}) + "-system"
			meta := snapshot.Meta{Namespace: ns, Name: "mxp-controller", Labels: map[string]string{"app": "mxp-controller"},
				Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/backup"}}
			snapshot.Put(s.Kubernetes.ServiceAccounts, ns, "mxp-controller", snapshot.ServiceAccount{Meta: meta})
			snapshot.Put(s.Kubernetes.Deployments, ns, "mxp-controller", snapshot.Workload{Meta: meta, Kind: "Deployment", Template: spec})
			for _, p := range []string{"mxp-controller-7d9f8b6c5d-m4n7r", "mxp-controller-7d9f8b6c5d-x2k9q"} {
				snapshot.Put(s.Kubernetes.Pods, ns, p, snapshot.Pod{Meta: meta, Spec: spec, Phase: "Running"})
			}
		}
		b.StartTimer()
		Scrub(s)
	}
}
