// Package secrets recognises static cloud credentials in Secret values and
// environment variables. It is the only place that reads such values: what it
// returns holds a kind and a redacted fingerprint, never the value.
package secrets

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wiscan/wiscan/snapshot"
)

var (
	awsKeyID      = regexp.MustCompile(`\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b`)
	awsSecretLine = regexp.MustCompile(`(?im)^\s*aws_secret_access_key\s*=\s*(\S+)`)
	awsKeyIDField = regexp.MustCompile(`(?i)aws_access_key_id["']?\s*[=:]`)
	awsSecretName = regexp.MustCompile(`(?i)(aws.?)?secret.?access.?key|aws.?secret.?key`)
	azSecretName  = regexp.MustCompile(`(?i)client.?secret`)
	azKeyName     = regexp.MustCompile(`(?i)(storage|account).?(access.?)?key`)
	azConnString  = regexp.MustCompile(`(?i)(^|;)\s*(AccountKey|SharedAccessSignature)\s*=`)
	azSAS         = regexp.MustCompile(`(?i)(^|[?&])sig=[^&]+`)
	azSASVersion  = regexp.MustCompile(`(?i)(^|[?&])sv=\d{4}-\d{2}-\d{2}`)
)

// minCredential is the length of the shortest credential Classify knows
// (an Azure client secret); shorter values are not read further.
const minCredential = 16

// Classify returns the static cloud credentials that one named value holds.
// name is the Secret key or environment variable name. The result never
// contains the value or a reversible part of a secret. A value that was
// blanked or replaced by an export filter is judged by ClassifyAll.
func Classify(name string, value []byte) []snapshot.Credential {
	v := strings.TrimSpace(string(value))
	if len(v) < minCredential {
		return nil
	}
	var out []snapshot.Credential
	add := func(kind, cloud, fp string) {
		out = append(out, snapshot.Credential{Kind: kind, Cloud: cloud, Key: name, Fingerprint: fp})
	}
	if k, ok := gcpKey(v); ok {
		add(snapshot.KindGCPServiceAccountKey, "gcp", k)
		return out
	}
	switch {
	case awsKeyIDField.MatchString(v) || awsSecretLine.MatchString(v):
		fp := Hash(v)
		if m := awsKeyID.FindStringSubmatch(v); m != nil {
			fp = Identifier(m[1])
		}
		add(snapshot.KindAWSSharedCredentials, "aws", fp)
		return out
	case azConnString.MatchString(v):
		add(snapshot.KindAzureConnectionString, "azure", Hash(v))
		return out
	case azSAS.MatchString(v) && azSASVersion.MatchString(v):
		add(snapshot.KindAzureSASToken, "azure", Hash(v))
		return out
	}
	if m := awsKeyID.FindStringSubmatch(v); m != nil && len(v) <= 64 {
		add(snapshot.KindAWSAccessKey, "aws", Identifier(m[1]))
		return out
	}
	if strings.ContainsAny(v, " \n") {
		return out
	}
	switch {
	case awsSecretName.MatchString(name) && len(v) == 40:
		add(snapshot.KindAWSSecretKey, "aws", Hash(v))
	case azSecretName.MatchString(name) && len(v) >= 16:
		add(snapshot.KindAzureClientSecret, "azure", Hash(v))
	case azKeyName.MatchString(name) && isStorageKey(v):
		add(snapshot.KindAzureStorageKey, "azure", Hash(v))
	}
	return out
}

// RedactedValue is how the evidence export filter writes a Secret value:
// RedactedValue + "<kind or ->:<fingerprint>", the kind being what the
// filter recognised in the value, if anything.
const RedactedValue = "wiscan:redacted:"

// Key names that hold a credential whatever their value looks like.
var (
	awsKeyIDName = regexp.MustCompile(`(?i)^(aws.?)?access.?key.?id$`)
	azConnName   = regexp.MustCompile(`(?i)connection.?string`)
	azSASName    = regexp.MustCompile(`(?i)sas.?token`)
	gcpKeyName   = regexp.MustCompile(`(?i)(^|[._-])(private.?key|service.?account(.?key)?|sa.?key|credentials?|key)\.json$|^private.?key$`)
)

// knownKinds are the kinds a filter's hint may name.
var knownKinds = map[string]string{
	snapshot.KindAWSAccessKey: "aws", snapshot.KindAWSSecretKey: "aws", snapshot.KindAWSSharedCredentials: "aws",
	snapshot.KindAzureClientSecret: "azure", snapshot.KindAzureStorageKey: "azure", snapshot.KindAzureConnectionString: "azure",
	snapshot.KindAzureSASToken: "azure", snapshot.KindGCPServiceAccountKey: "gcp",
}

// withheld judges a value that is not there: empty, blanked (***,
// REDACTED) or written by the export filter. ok is false for a real value.
func withheld(name, v string) ([]snapshot.Credential, bool) {
	hint, fp := "", "value not exported"
	switch rest, filtered := strings.CutPrefix(v, RedactedValue); {
	case filtered:
		kind, f, _ := strings.Cut(rest, ":")
		if _, known := knownKinds[kind]; known {
			hint = kind
		}
		if f != "" {
			fp = f
		}
	case v == "", strings.Trim(v, "*xX•") == "", strings.EqualFold(v, "redacted"), strings.EqualFold(v, "<redacted>"):
	default:
		return nil, false
	}
	kind := hint
	if kind == "" {
		kind = kindByName(name)
	}
	if kind == "" {
		return []snapshot.Credential{}, true
	}
	return []snapshot.Credential{{Kind: kind, Cloud: knownKinds[kind], Key: name, Fingerprint: fp}}, true
}

// kindByName is the credential a key name says it holds, or "".
func kindByName(name string) string {
	switch {
	case awsSecretName.MatchString(name):
		return snapshot.KindAWSSecretKey
	case awsKeyIDName.MatchString(name):
		return snapshot.KindAWSAccessKey
	case azSecretName.MatchString(name):
		return snapshot.KindAzureClientSecret
	case azConnName.MatchString(name):
		return snapshot.KindAzureConnectionString
	case azSASName.MatchString(name):
		return snapshot.KindAzureSASToken
	case azKeyName.MatchString(name):
		return snapshot.KindAzureStorageKey
	case gcpKeyName.MatchString(name):
		return snapshot.KindGCPServiceAccountKey
	}
	return ""
}

// ClassifyAll classifies every key of a Secret's data, in key order.
// Unlike Classify, it judges a withheld value by its key name.
func ClassifyAll(data map[string][]byte) []snapshot.Credential {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []snapshot.Credential{}
	for _, k := range keys {
		// A Secret value that was blanked or replaced by the export
		// filter is judged by its key name (and the filter's hint), never
		// passed for want of the value.
		if c, ok := withheld(k, strings.TrimSpace(string(data[k]))); ok {
			out = append(out, c...)
			continue
		}
		out = append(out, Classify(k, data[k])...)
	}
	return out
}

// Identifier redacts a credential identifier that is not itself secret (an
// AWS access key ID, a GCP key ID) to its first and last four characters.
func Identifier(id string) string {
	if len(id) <= 8 {
		return Hash(id)
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// Hash is the fingerprint of a secret value: a truncated SHA-256, enough to
// tell two values apart and to match a value a user holds, never to recover
// it.
func Hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// gcpKey recognises a Google service-account key file and fingerprints it by
// its key ID and service-account email, both of which are identifiers.
func gcpKey(v string) (string, bool) {
	if !strings.HasPrefix(v, "{") {
		return "", false
	}
	var k struct {
		Type         string `json:"type"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
	}
	if json.Unmarshal([]byte(v), &k) != nil || k.Type != "service_account" || k.PrivateKey == "" {
		return "", false
	}
	fp := Hash(k.PrivateKey)
	if k.PrivateKeyID != "" {
		fp = Identifier(k.PrivateKeyID)
	}
	if k.ClientEmail != "" {
		fp += " (" + k.ClientEmail + ")"
	}
	return fp, true
}

// isStorageKey reports whether v has the shape of an Azure storage account
// key: base64 of 64 bytes.
func isStorageKey(v string) bool {
	b, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(b) == 64
}

// PublicEnv maps the environment variables whose values are identifiers,
// paths or endpoints that the controls compare, never secrets, to the shape
// such a value has. Only these keep their literal value in a snapshot, and
// only when the value has that shape and does not look like a credential.
var PublicEnv = map[string]*regexp.Regexp{
	"AWS_ROLE_ARN":                           arnShape,
	"AWS_WEB_IDENTITY_TOKEN_FILE":            pathShape,
	"AWS_REGION":                             regionShape,
	"AWS_DEFAULT_REGION":                     regionShape,
	"AWS_STS_REGIONAL_ENDPOINTS":             wordShape,
	"AWS_CONTAINER_CREDENTIALS_FULL_URI":     urlShape,
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": pathShape,
	"AZURE_CLIENT_ID":                        idShape,
	"AZURE_TENANT_ID":                        idShape,
	"AZURE_FEDERATED_TOKEN_FILE":             pathShape,
	"AZURE_AUTHORITY_HOST":                   urlShape,
	"GOOGLE_APPLICATION_CREDENTIALS":         pathShape,
	"GOOGLE_CLOUD_PROJECT":                   projectShape,
	"CLOUDSDK_CORE_PROJECT":                  projectShape,
}

// Shapes of public values; surrounding white space is allowed so that the
// controls can flag it.
var (
	arnShape     = regexp.MustCompile(`^\s*arn:[\x21-\x7e]+\s*$`)
	pathShape    = regexp.MustCompile(`^\s*[A-Za-z0-9_./~-]+\s*$`)
	regionShape  = regexp.MustCompile(`^\s*[a-z0-9-]{1,32}\s*$`)
	wordShape    = regexp.MustCompile(`^\s*[A-Za-z]{1,32}\s*$`)
	urlShape     = regexp.MustCompile(`^\s*https?://[\x21-\x7e]+\s*$`)
	idShape      = regexp.MustCompile(`^\s*[A-Za-z0-9.-]{1,253}\s*$`)
	projectShape = regexp.MustCompile(`^\s*[a-z0-9.:-]{1,100}\s*$`)
)

// Env reduces a literal environment value to what a snapshot may hold: a
// credential becomes its classification; a public variable keeps its value
// when the value has the expected shape, else a redacted fingerprint; any
// other literal keeps only the fact that it was set.
func Env(name, value string) snapshot.EnvVar {
	key := name + "\x00" + value
	if e, ok := publicEnv.Load(key); ok {
		return e.(snapshot.EnvVar)
	}
	e := env(name, value)
	// A variable kept as it is (a public value such as a role ARN, the
	// same in every control plane) is remembered; nothing secret or
	// redacted is.
	if e.Credential == nil && e.Value == value && publicEnvSize.Load() < maxPublicEnv {
		if _, loaded := publicEnv.LoadOrStore(key, e); !loaded {
			publicEnvSize.Add(1)
		}
	}
	return e
}

// publicEnv remembers the classification of public variables, so that a
// value repeated in every control plane is matched against the credential
// shapes once; it holds at most maxPublicEnv entries.
var (
	publicEnv     sync.Map
	publicEnvSize atomic.Int64
)

const maxPublicEnv = 4096

func env(name, value string) snapshot.EnvVar {
	e := snapshot.EnvVar{Name: name, HasValue: true}
	if rest, filtered := strings.CutPrefix(strings.TrimSpace(value), RedactedValue); filtered {
		// Written by the export filter: its hint is all there is.
		kind, fp, _ := strings.Cut(rest, ":")
		if cloud, known := knownKinds[kind]; known {
			e.Credential = &snapshot.Credential{Kind: kind, Cloud: cloud, Key: name, Fingerprint: fp}
		} else {
			e.Value = RedactedPrefix + "exported-without-value"
		}
		return e
	}
	if creds := Classify(name, []byte(value)); len(creds) > 0 {
		e.Credential = &creds[0]
		return e
	}
	shape, public := PublicEnv[name]
	switch {
	case !public:
	case !shape.MatchString(value):
		e.Value = RedactedPrefix + "unexpected-value:" + Hash(value)
	default:
		e.Value = Value(name, value)
	}
	return e
}
