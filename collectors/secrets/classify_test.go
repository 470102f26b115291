package secrets

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Values are built at test time from the providers' documented examples so
// that no literal here passes for a real key.
func TestClassify(t *testing.T) {
	keyID := "AKIA" + "IOSFODNN7EXAMPLE"
	secret := "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
	storageKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("example-storage-key-bytes-", 3)[:64]))
	gcpKey := `{"type": "service_account", "project_id": "my-project", "private_key_id": "0123456789abcdef0123456789abcdef01234567", "private_key": "-----BEGIN PRIVATE KEY-----\nexample\n-----END PRIVATE KEY-----\n", "client_email": "backup@my-project.iam.gserviceaccount.com"}`
	cases := []struct {
		name, key, value string
		kind, fp         string
	}{
		{"access key id", "AWS_ACCESS_KEY_ID", keyID, "aws-access-key", "AKIA…MPLE"},
		{"secret access key by name", "aws_secret_access_key", secret, "aws-secret-key", Hash(secret)},
		{"shared credentials file", "credentials", "[default]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secret + "\n", "aws-shared-credentials", "AKIA…MPLE"},
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
