package secrets

import (
	"math"
	"regexp"
	"strings"
	"unicode"

	"github.com/wiscan/wiscan/snapshot"
)

// The functions below are the one boundary between cluster data and a
// snapshot: the live and the evidence collectors pass every literal they
// keep (labels, annotations, environment values, configuration fields, file
// names) through them, so that the two cannot drift.

// RedactedPrefix starts every value that redaction replaced.
const RedactedPrefix = "redacted:"

// Value returns v as a snapshot may hold it: unchanged, or, when it looks
// like a credential, replaced by the credential's kind and fingerprint.
// name is the key or variable v was found under; it helps to recognise
// secrets whose shape alone is ambiguous.
func Value(name, v string) string {
	if kind, fp, ok := credentialShaped(name, v); ok {
		return RedactedPrefix + kind + ":" + fp
	}
	return v
}

// credentialShaped classifies v: a known cloud credential, or a token of
// high entropy that could be one.
func credentialShaped(name, v string) (kind, fingerprint string, ok bool) {
	if len(strings.TrimSpace(v)) < minCredential {
		return "", "", false
	}
	if creds := Classify(name, []byte(v)); len(creds) > 0 {
		return creds[0].Kind, creds[0].Fingerprint, true
	}
	if m := awsKeyID.FindString(v); m != "" {
		return snapshot.KindAWSAccessKey, Identifier(m), true
	}
	if HighEntropy(v) {
		return "high-entropy", Hash(v), true
	}
	return "", "", false
}

// tokenSep splits a value into the tokens HighEntropy judges.
var tokenSep = regexp.MustCompile(`[\s"'` + "`" + `,;=&?()\[\]{}<>|\\]+`)

// HighEntropy reports whether v holds a token that looks random enough to
// be a key or a password: at least 20 characters of three of the classes
// upper case, lower case, digit and base64 symbol (+ /), and either an
// entropy per character of at least 85 % of the most its length and
// alphabet allow, or a change of class between at least 40 % of adjacent
// characters (random base64 changes class at about 64 %, words in camel
// case at about 20 %). A token is judged whole and, when it holds dots, part
// by part when it holds no slash or colon, so "key.yaml" is judged as "key"
// too. ARNs and email addresses are identifiers, not secrets; a URL is
// judged part by part. TestHighEntropyRecall
// measures how often a random key of each length is caught.
func HighEntropy(v string) bool {
	for _, tok := range tokenSep.Split(v, -1) {
		if _, rest, url := strings.Cut(tok, "://"); url {
			// A URL's parts: a password or key may hide in any of them.
			if HighEntropy(urlSep.ReplaceAllString(rest, " ")) {
				return true
			}
			continue
		}
		if strings.HasPrefix(tok, "arn:") || strings.Contains(tok, "@") {
			continue
		}
		if random(tok) {
			return true
		}
		if strings.Contains(tok, ".") && !strings.ContainsAny(tok, "/:") {
			for _, part := range strings.Split(tok, ".") {
				if random(part) {
					return true
				}
			}
		}
	}
	return false
}

func random(tok string) bool {
	if len(tok) < 20 || classes(tok) < 3 {
		return false
	}
	return entropy(tok) >= 0.85*math.Log2(float64(min(len(tok), alphabet(tok)))) || changes(tok) >= 0.4
}

// alphabet is the size of the alphabet tok is drawn from: the classes it
// uses in full, and every other character it holds once.
func alphabet(tok string) int {
	var size int
	var seen [4]bool
	other := map[rune]bool{}
	for _, r := range tok {
		c := class(r)
		if c < 0 {
			other[r] = true
			continue
		}
		if !seen[c] {
			seen[c] = true
			size += classSize[c]
		}
	}
	return size + len(other)
}

var classSize = [4]int{26, 26, 10, 2}

// class is 0 for upper case, 1 lower case, 2 digit, 3 base64 symbol, -1
// anything else.
func class(r rune) int {
	switch {
	case unicode.IsUpper(r):
		return 0
	case unicode.IsLower(r):
		return 1
	case unicode.IsDigit(r):
		return 2
	case r == '+' || r == '/':
		return 3
	}
	return -1
}

// changes is the share of adjacent pairs of classed characters whose
// classes differ.
func changes(tok string) float64 {
	prev, pairs, changed := -1, 0, 0
	for _, r := range tok {
		c := class(r)
		if c >= 0 && prev >= 0 {
			pairs++
			if c != prev {
				changed++
			}
		}
		prev = c
	}
	if pairs == 0 {
		return 0
	}
	return float64(changed) / float64(pairs)
}

var urlSep = regexp.MustCompile(`[/:@]+`)

func classes(s string) int {
	var seen [4]bool
	n := 0
	for _, r := range s {
		if c := class(r); c >= 0 && !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}

func entropy(s string) float64 {
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

// Labels returns the labels with every value passed through Value. Label
// keys are kept: selectors and controls compare them.
func Labels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = Value(k, v)
	}
	return out
}

// annotationTokens mark an annotation key as one the controls read: the
// clouds' identity annotations, their misspellings (WI-K8S-003 looks for
// them), and the Spaces ones.
var annotationTokens = map[string]bool{
	"eks": true, "amazonaws": true, "amazon": true, "aws": true,
	"azure": true, "gke": true, "gcp": true, "iam": true, "google": true,
	"workload": true, "identity": true, "upbound": true, "spaces": true,
}

var keySep = regexp.MustCompile(`[^a-z0-9]+`)

// KeepAnnotation reports whether an annotation key is one the controls may
// read. Free-text annotations (kubectl.kubernetes.io/last-applied-configuration
// above all, which holds a whole applied manifest) are never kept.
func KeepAnnotation(key string) bool {
	for _, tok := range keySep.Split(strings.ToLower(key), -1) {
		if annotationTokens[tok] {
			return true
		}
	}
	return false
}

// Annotations keeps the annotations KeepAnnotation admits, each value
// passed through Value.
func Annotations(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if KeepAnnotation(k) {
			out[k] = Value(k, v)
		}
	}
	return out
}

// Path redacts each element of a slash-separated path that looks like a
// credential, so that a file named after a secret does not carry it into a
// report.
func Path(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = Value("", s)
	}
	return strings.Join(parts, "/")
}

// maxText bounds a message built from outside data.
const maxText = 300

// Text makes free text from outside (an API server's error message) safe to
// keep: every token that looks like a credential is replaced by its
// fingerprint, and the text is cut at 300 bytes.
func Text(s string) string {
	s = Redact(s)
	if len(s) > maxText {
		s = strings.ToValidUTF8(s[:maxText], "") + "…"
	}
	return s
}

// Redact replaces every access key ID and every high-entropy token in s by
// its fingerprint, and keeps the rest of s as it is.
func Redact(s string) string {
	if awsKeyID.MatchString(s) {
		s = awsKeyID.ReplaceAllStringFunc(s, func(id string) string { return RedactedPrefix + snapshot.KindAWSAccessKey + ":" + Identifier(id) })
	}
	replace := func(tok string) {
		s = strings.ReplaceAll(s, tok, RedactedPrefix+"high-entropy:"+Hash(tok))
	}
	for _, tok := range tokenSep.Split(s, -1) {
		if strings.HasPrefix(tok, RedactedPrefix) {
			continue
		}
		if HighEntropy(tok) {
			replace(tok)
			continue
		}
		// A name joined to another (namespace/name, file:line) is judged
		// on its own as well, so that a credential-shaped part goes
		// whatever it is joined to.
		if parts := partSep.Split(tok, -1); len(parts) > 1 {
			for _, part := range parts {
				if HighEntropy(part) {
					replace(part)
				}
			}
		}
	}
	return s
}

// partSep splits a token into the names it joins.
var partSep = regexp.MustCompile(`[/:]+`)
