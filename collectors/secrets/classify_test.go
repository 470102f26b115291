package secrets

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

// Values are built at test time from the providers' documented examples so
// that no literal here passes for a real key.
func TestClassify(t *testing.T) {
	keyID := "AKIA" + "IOSFODNN7EXAMPLE"
	secret := "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
	storageKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("example-storage-key-bytes-", 3)[:64]))
	gcpKey := `{"type": "service_account", "project_id": "my-project", "private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": "-----BEGIN PRIVATE KEY-----\nexample\n-----END PRIVATE KEY-----\n", "client_email": "backup@my-project.iam.gserviceaccount.com"}` //nolint:gosec // G101: the provider's documented example, built at test time
	cases := []struct {
		name, key, value string
		kind, fp         string
	}{
		{"access key id", "AWS_ACCESS_KEY_ID", keyID, "aws-access-key", "AKIA…MPLE"},
		{"secret access key by name", "aws_secret_access_key", secret, "aws-secret-key", Hash(secret)},
		{"shared credentials file", "credentials", "[default]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secret + "\n", "aws-shared-credentials", "AKIA…MPLE"},
		{"shared credentials as JSON", "creds.json", `{"aws_access_key_id": "` + keyID + `"}`, "aws-shared-credentials", "AKIA…MPLE"},
		{"gcp key file", "key.json", gcpKey, "gcp-service-account-key", "0123…4567 (backup@my-project.iam.gserviceaccount.com)"},
		{"azure connection string", "conn", "DefaultEndpointsProtocol=https;AccountName=example;AccountKey=" + storageKey + ";EndpointSuffix=core.windows.net", "azure-connection-string", ""},
		{"azure sas", "sas", "sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2026-12-01T00:00:00Z&sig=example", "azure-sas-token", ""},
		{"azure storage key", "AZURE_STORAGE_KEY", storageKey, "azure-storage-key", ""},
		{"azure client secret", "AZURE_CLIENT_SECRET", "example~client~secret~value", "azure-client-secret", ""},
		// Look-alikes that are not credentials.
		{"tls key", "tls.key", "-----BEGIN EC PRIVATE KEY-----", "", ""},
		{"random 40 chars under an unrelated name", "token", secret, "", ""},
		{"role arn", "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/backup", "", ""},
		{"empty", "AWS_ACCESS_KEY_ID", "", "", ""},
		// A key or variable name is a name: every string a scan reads
		// passes this classifier (Scrub), names among them.
		{"the name of the key id variable", "", "AWS_ACCESS_KEY_ID", "", ""},
		{"the name of the key id field", "", "aws_access_key_id in the default profile", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Classify(c.key, []byte(c.value))
			if c.kind == "" {
				if len(got) != 0 {
					t.Fatalf("classified as %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Kind != c.kind {
				t.Fatalf("got %+v, want kind %s", got, c.kind)
			}
			if c.fp != "" && got[0].Fingerprint != c.fp {
				t.Errorf("fingerprint %q, want %q", got[0].Fingerprint, c.fp)
			}
			if c.value != "" && strings.Contains(got[0].Fingerprint, c.value) {
				t.Error("the fingerprint holds the value")
			}
		})
	}
}

// Env keeps public identity values and drops every other literal.
func TestEnv(t *testing.T) {
	if e := Env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/x"); e.Value == "" {
		t.Error("AWS_ROLE_ARN value dropped")
	}
	if e := Env("DB_PASSWORD", "hunter2"); e.Value != "" || !e.HasValue {
		t.Errorf("a private literal kept: %+v", e)
	}
	// A credential in a public variable is classified, not kept.
	if e := Env("AWS_REGION", "AKIA"+"IOSFODNN7EXAMPLE"); e.Value != "" || e.Credential == nil {
		t.Errorf("credential in a public variable: %+v", e)
	}
}

// A value that is not there (blank, masked, or written by the export
// filter) is judged by the key's name and the filter's hint, never passed.
func TestWithheldValues(t *testing.T) {
	cases := []struct {
		key, value, kind, fingerprint string
	}{
		{"aws_secret_access_key", "", snapshot.KindAWSSecretKey, "value not exported"},
		{"aws_access_key_id", "********", snapshot.KindAWSAccessKey, "value not exported"},
		{"AccountKey", "REDACTED", snapshot.KindAzureStorageKey, "value not exported"},
		{"client_secret", RedactedValue + "-:sha256:0123456789ab", snapshot.KindAzureClientSecret, "sha256:0123456789ab"},
		{"key.json", "", snapshot.KindGCPServiceAccountKey, "value not exported"},
		{"connection-string", "", snapshot.KindAzureConnectionString, "value not exported"},
		// The filter's hint wins over a neutral key name.
		{"credentials", RedactedValue + snapshot.KindAWSSharedCredentials + ":AKIA…MPLE", snapshot.KindAWSSharedCredentials, "AKIA…MPLE"},
		{"config", "", "", ""},
		{"config", RedactedValue + "-:sha256:0123456789ab", "", ""},
		// A hint that is not a known kind is not trusted.
		{"config", RedactedValue + "evil:sha256:0123456789ab", "", ""},
	}
	for _, c := range cases {
		got := ClassifyAll(map[string][]byte{c.key: []byte(c.value)})
		switch {
		case c.kind == "" && len(got) != 0:
			t.Errorf("%s=%q: %+v, want nothing", c.key, c.value, got)
		case c.kind != "" && (len(got) != 1 || got[0].Kind != c.kind || got[0].Fingerprint != c.fingerprint || got[0].Key != c.key):
			t.Errorf("%s=%q: %+v, want %s %s", c.key, c.value, got, c.kind, c.fingerprint)
		}
	}
}

// The export script keeps the values of the same variables the snapshot
// keeps, and no others.
func TestExportScriptPublicEnv(t *testing.T) {
	b, err := os.ReadFile("../../scripts/export-evidence.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^public_env='(\[.*\])'$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no public_env list in the script")
	}
	var names []string
	if err := json.Unmarshal(m[1], &names); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(PublicEnv))
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("the script keeps %v, the snapshot %v", names, want)
	}
}

// Env remembers the classification of public values only: a credential
// or a value it does not keep is classified anew each time and never
// held, and the remembered answer equals a fresh one.
func TestEnvRemembersPublicValuesOnly(t *testing.T) {
	key := "AKIA" + "IOSFODNN7EXAMPLE" // AWS's documented example key ID
	for range 2 {
		if e := Env("AWS_ACCESS_KEY_ID", key); e.Credential == nil {
			t.Fatalf("the key is not found: %+v", e)
		}
		_ = Env("SOME_TOKEN", "opaque-value-of-an-unknown-variable")
	}
	publicEnv.Range(func(k, _ any) bool {
		if strings.Contains(k.(string), key) || strings.Contains(k.(string), "opaque-value") {
			t.Errorf("remembered: %q", k)
		}
		return true
	})
	role := "arn:aws:iam::123456789012:role/backup-restore-role"
	first, again := env("AWS_ROLE_ARN", role), Env("AWS_ROLE_ARN", role)
	if _, ok := publicEnv.Load("AWS_ROLE_ARN\x00" + role); !ok || again != first || Env("AWS_ROLE_ARN", role) != first {
		t.Errorf("the public role ARN: remembered %v, %+v then %+v", ok, first, again)
	}
}
