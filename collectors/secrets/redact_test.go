package secrets

import (
	"crypto/rand"
	"encoding/base64"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// randomKey builds a 40-character value with the alphabet and length of an
// AWS secret access key at test time, so no literal here passes for one.
// The few draws HighEntropy misses (TestHighEntropyRecall measures how
// few) are drawn again, so that each test below is about its own path.
func randomKey(t *testing.T) string {
	t.Helper()
	for {
		b := make([]byte, 30)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		// No slash, so that a URL case below does not depend on the draw.
		k := strings.ReplaceAll(base64.StdEncoding.EncodeToString(b), "/", "+")
		if HighEntropy(k) {
			return k
		}
	}
}

func TestValue(t *testing.T) {
	key := randomKey(t)
	cases := []struct {
		name, key, value string
		redacted         bool
	}{
		{"region", "region", "us-east-1", false},
		{"region with a leading space stays as is", "region", " us-east-1", false},
		{"role ARN", "eks.amazonaws.com/role-arn", "arn:aws:iam::111122223333:role/backup-restore-role", false},
		{"control plane namespace", "kubernetes.io/metadata.name", "mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system", false},
		{"GUID", "azure.workload.identity/client-id", "706c49fa-5bb8-4a7e-9f41-2fc38ef4b065", false},
		{"pod template hash", "pod-template-hash", "7d9f8c6b5", false},
		{"words in a label", "app.kubernetes.io/version", "Release-Candidate-2026-11-29", false},
		{"google service account", "iam.gke.io/gcp-service-account", "backup@my-project.iam.gserviceaccount.com", false},
		{"random key under any name", "note", key, true},
		{"random key inside a role annotation", "eks.amazonaws.com/role-arn", key, true},
		{"access key id anywhere", "x", "id=AKIA" + "IOSFODNN7EXAMPLE;", true},
		{"random key after a prefix", "bucket", "secret=" + key, true},
		{"password in a URL", "endpoint", "https://user:" + key + "@example.com/", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Value(c.key, c.value)
			if c.redacted {
				if !strings.HasPrefix(got, RedactedPrefix) || strings.Contains(got, c.value) {
					t.Fatalf("Value(%q) = %q, want a redacted fingerprint", c.key, got)
				}
				return
			}
			if got != c.value {
				t.Fatalf("Value(%q, %q) = %q, want it unchanged", c.key, c.value, got)
			}
		})
	}
}

// Only the annotations controls read are kept; last-applied-configuration,
// which holds a whole applied Secret, never is.
func TestAnnotations(t *testing.T) {
	key := randomKey(t)
	in := map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"aws_secret_access_key":"` + key + `"}}`,
		"deployment.kubernetes.io/revision":                "3",
		"description":                                      "free text " + key,
		"eks.amazonaws.com/role-arn":                       "arn:aws:iam::111122223333:role/backup",
		"eks.amazon.aws/role-arn":                          "arn:aws:iam::111122223333:role/backup",
		"azure.workload.identity/client-id":                key,
		"spaces.upbound.io/something":                      "x",
	}
	got := Annotations(in)
	want := map[string]bool{"eks.amazonaws.com/role-arn": true, "eks.amazon.aws/role-arn": true, "azure.workload.identity/client-id": true, "spaces.upbound.io/something": true}
	if len(got) != len(want) {
		t.Errorf("kept %v, want the keys %v", got, want)
	}
	for k := range got {
		if !want[k] {
			t.Errorf("kept %s", k)
		}
	}
	if v := got["azure.workload.identity/client-id"]; strings.Contains(v, key) {
		t.Errorf("a kept annotation holds a credential-shaped value: %q", v)
	}
}

// Public variables keep a value only in their expected shape.
func TestEnvShapes(t *testing.T) {
	key := randomKey(t)
	b64 := base64.StdEncoding.EncodeToString([]byte("tenant-secret-material-0123456789"))
	cases := []struct {
		name, value string
		kept        bool
	}{
		{"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/backup", true},
		{"AWS_ROLE_ARN", key, false},
		{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", true},
		{"AWS_REGION", "us-east-1", true},
		{"AWS_REGION", " us-east-1", true},
		{"AZURE_TENANT_ID", "706c49fa-5bb8-4a7e-9f41-2fc38ef4b065", true},
		{"AZURE_TENANT_ID", b64, false},
		{"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/", true},
		{"AZURE_AUTHORITY_HOST", "not a url", false},
		{"GOOGLE_CLOUD_PROJECT", "my-project", true},
	}
	for _, c := range cases {
		e := Env(c.name, c.value)
		if c.kept && e.Value != c.value {
			t.Errorf("%s=%q: kept %q, want the value", c.name, c.value, e.Value)
		}
		if !c.kept && (e.Value == c.value || strings.Contains(e.Value, c.value) || !e.HasValue) {
			t.Errorf("%s=%q: kept %+v, want a redacted value", c.name, c.value, e)
		}
	}
}

func TestText(t *testing.T) {
	key := randomKey(t)
	got := Text(`secrets "x" is forbidden: token ` + key + ` and AKIA` + "IOSFODNN7EXAMPLE")
	if strings.Contains(got, key) || strings.Contains(got, "IOSFODNN7EXAMPLE") {
		t.Errorf("Text kept a credential: %q", got)
	}
	if !strings.Contains(got, `secrets "x" is forbidden`) {
		t.Errorf("Text lost the message: %q", got)
	}
	if long := Text(strings.Repeat("ab ", 500)); len(long) > maxText+len("…") {
		t.Errorf("Text kept %d bytes", len(long))
	}
}

// TestHighEntropyRecall measures, over a fixed draw of random base64 keys
// of each length, the share HighEntropy catches, and holds it to a floor;
// identifiers seen in clusters and clouds must never be taken for keys.
func TestHighEntropyRecall(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2)) //nolint:gosec // G404: a seeded generator keeps the draw reproducible
	const draws = 20000
	floors := map[int]float64{20: 0.95, 30: 0.98, 40: 0.995, 64: 0.999, 100: 1, 200: 1, 400: 1}
	for n, floor := range floors {
		caught := 0
		for range draws {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32()) //nolint:gosec // G115: the value is small by construction
			}
			if HighEntropy(base64.RawStdEncoding.EncodeToString(b)[:n]) {
				caught++
			}
		}
		if got := float64(caught) / draws; got < floor {
			t.Errorf("random keys of %d characters: caught %.4f, want at least %.4f", n, got, floor)
		}
	}
	for _, id := range []string{
		"Release-Candidate-2026-11-29",
		"706c49fa-5bb8-4a7e-9f41-2fc38ef4b065",
		"BackupRestoreController2",
		"backup@my-project.iam.gserviceaccount.com",
		"spaces-backup-bucket-us-east-1-111122223333",
		"ghcr.io/upbound/mxp-controller:v1.9.0",
		"arn:aws:iam::111122223333:role/backup-restore-role",
		"ip-10-0-12-34.us-west-2.compute.internal",
		"mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system",
		"https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
		"/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
	} {
		if HighEntropy(id) {
			t.Errorf("HighEntropy(%q) = true, want an identifier kept", id)
		}
	}
	key := randomKey(t)
	for _, v := range []string{key + ".yaml", "backup." + key, key} {
		if !HighEntropy(v) {
			t.Errorf("HighEntropy(%q) = false", v)
		}
	}
}
