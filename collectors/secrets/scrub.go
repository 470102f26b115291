package secrets

import (
	"reflect"
	"strings"

	"github.com/wiscan/wiscan/snapshot"
)

// Scrub passes every string of a snapshot through the credential
// classifier: the one redaction for everything a scan read, from a cluster
// or a cloud, live or from evidence. A string that looks like a credential,
// or holds a token that does, is replaced by its fingerprint.
//
// What evaluation must compare verbatim is kept by an explicit allow-list:
// the snapshot fields tagged `redact:"keep"` (ARNs, account, region,
// issuer, already computed fingerprints), the map fields tagged
// `redact:"keys"` (maps keyed by ARN), and in IAM policy documents the
// structural values (Version, Effect, Action, Resource, Principal and
// their Not forms) and the condition operators and keys. Everything else
// is judged: names, labels, annotations, messages, a statement's Sid, a
// condition's values. Fields tagged `redact:"text"` are free text, whose
// credential-shaped tokens are replaced and the rest kept; `redact:"path"`
// fields are file paths, judged element by element.
func Scrub(s *snapshot.Snapshot) {
	sc := scrubber{seen: map[scrubKey]string{}, layout: map[reflect.Type][]field{}}
	sc.scrub(reflect.ValueOf(s).Elem(), "")
}

// scrubber remembers what each string became: a snapshot repeats its
// names, labels and ARNs once per object.
type scrubber struct {
	seen   map[scrubKey]string
	layout map[reflect.Type][]field
}

// field is an exported struct field and its redact tag.
type field struct {
	index int
	tag   string
}

// fields lists t's exported fields, once per type.
func (sc scrubber) fields(t reflect.Type) []field {
	if fs, ok := sc.layout[t]; ok {
		return fs
	}
	var fs []field
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			fs = append(fs, field{i, f.Tag.Get("redact")})
		}
	}
	sc.layout[t] = fs
	return fs
}

type scrubKey struct{ s, tag, name string }

// scrub rewrites v in place; tag is the redact tag of the field that
// holds it.
func (sc scrubber) scrub(v reflect.Value, tag string) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(sc.scrubString(v.String(), tag, ""))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			sc.scrub(v.Elem(), tag)
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			v.Set(reflect.ValueOf(sc.scrubJSON(v.Elem().Interface(), tag == "policy", "")))
		}
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for _, f := range sc.fields(v.Type()) {
			sc.scrub(v.Field(f.index), f.tag)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			sc.scrub(v.Index(i), tag)
		}
	case reflect.Map:
		sc.scrubMap(v, tag)
	}
}

// scrubMap rewrites a map's values, and its string keys unless tag keeps
// them; a string value is judged with its key as its name (a label's
// value by the label's key).
func (sc scrubber) scrubMap(v reflect.Value, tag string) {
	if v.IsNil() || v.Len() == 0 {
		return
	}
	keyed := v.Type().Key().Kind() == reflect.String
	type rename struct{ from, to reflect.Value }
	var renames []rename
	elem := reflect.New(v.Type().Elem()).Elem()
	iter := v.MapRange()
	for iter.Next() {
		k := iter.Key()
		elem.Set(iter.Value())
		if elem.Kind() == reflect.String && keyed {
			elem.SetString(sc.scrubString(elem.String(), "", k.String()))
		} else {
			sc.scrub(elem, tag)
		}
		v.SetMapIndex(k, elem)
		if keyed && tag != "keys" && tag != "keep" {
			if nk := sc.scrubString(k.String(), "", ""); nk != k.String() {
				to := reflect.New(k.Type()).Elem()
				to.SetString(nk)
				renames = append(renames, rename{k, to})
			}
		}
	}
	for _, r := range renames {
		e := v.MapIndex(r.from)
		v.SetMapIndex(r.from, reflect.Value{})
		v.SetMapIndex(r.to, e)
	}
}

// scrubString is one string as a snapshot may hold it; name is the key it
// was found under, if any.
func (sc scrubber) scrubString(s, tag, name string) string {
	// Nothing shorter than the shortest credential Classify knows is one.
	if len(s) < minCredential || tag == "keep" || strings.HasPrefix(s, RedactedPrefix) {
		return s
	}
	k := scrubKey{s, tag, name}
	if v, ok := sc.seen[k]; ok {
		return v
	}
	v := judge(s, tag, name)
	sc.seen[k] = v
	return v
}

func judge(s, tag, name string) string {
	switch tag {
	case "text":
		return Redact(s)
	case "path":
		return Path(s)
	}
	if v := Value(name, s); v != s {
		return v
	}
	return Redact(s)
}

// policyVerbatim are the keys of an IAM policy document whose values the
// evaluation compares as they are; policyKeys are every key a document
// may hold. Condition blocks keep their operators and keys and judge their
// values.
var (
	policyVerbatim = map[string]bool{
		"Version": true, "Effect": true, "Action": true, "NotAction": true,
		"Resource": true, "NotResource": true, "Principal": true, "NotPrincipal": true,
	}
	policyKeys = map[string]bool{
		"Version": true, "Id": true, "Statement": true, "Sid": true, "Effect": true,
		"Principal": true, "NotPrincipal": true, "Action": true, "NotAction": true,
		"Resource": true, "NotResource": true, "Condition": true,
	}
)

// scrubJSON rewrites a decoded JSON value. In a policy document the
// allow-listed parts are kept; under is the key of the policy member that
// holds v ("Condition" for a condition block's operators, "operator" for
// its keys).
func (sc scrubber) scrubJSON(v any, policy bool, under string) any {
	switch x := v.(type) {
	case string:
		if policy && (policyVerbatim[under] || under == "principal") {
			return x
		}
		return sc.scrubString(x, "", "")
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sc.scrubJSON(e, policy, under)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			nk, sub := sc.policyMember(k, policy, under)
			out[nk] = sc.scrubJSON(e, policy, sub)
		}
		return out
	}
	return v
}

// policyMember is how key k of an object under a policy member is kept,
// and what its value is under.
func (sc scrubber) policyMember(k string, policy bool, under string) (string, string) {
	if !policy {
		return sc.scrubString(k, "", ""), ""
	}
	switch under {
	case "Condition":
		return k, "operator"
	case "operator":
		return k, "condition value"
	case "Principal", "NotPrincipal":
		return k, "principal"
	case "principal", "condition value":
		return sc.scrubString(k, "", ""), under
	}
	if policyKeys[k] {
		return k, k
	}
	return sc.scrubString(k, "", ""), ""
}
