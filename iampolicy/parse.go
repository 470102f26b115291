// Package iampolicy parses AWS IAM policy documents and evaluates requests
// against them: the one place where wiscan implements IAM's policy grammar
// and evaluation logic. Documents are accepted in every shape IAM accepts
// (Statement as object or array, elements as string or array, URL-encoded
// text as the IAM API returns it) and are never trusted to be well formed:
// a problem is reported with the statement it concerns, and evaluation turns
// a statement it cannot decide into an indeterminate result, never a pass.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// ErrMalformed marks a document that is not a policy at all.
var ErrMalformed = errors.New("malformed policy document")

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
	// Problems are statement-level defects; the statements they name are
	// evaluated as indeterminate where the defect matters.
	Problems []Problem
	// Size is the document's length in characters, white space excluded, as
	// IAM counts it against its quotas.
	Size int
}

// Problem is a defect in one statement.
type Problem struct {
	// Statement is the statement's reference (see Statement.Ref), or empty
	// for the document as a whole.
	Statement string
	Msg       string
}

func (p Problem) String() string {
	if p.Statement == "" {
		return p.Msg
	}
	return p.Statement + ": " + p.Msg
}

// Effect is Allow or Deny.
type Effect string

// Effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one normalised statement. Element lists are nil when the
// element is absent.
type Statement struct {
	// Index is the statement's position, from 0.
	Index        int
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
	// Broken is set when the statement has a problem that makes it
	// impossible to evaluate; it then never decides a request definitely.
	Broken bool
}

// Ref names the statement for people: its Sid when it has one, else its
// position counted from 1.
func (s Statement) Ref() string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %q", s.Sid)
	}
	return fmt.Sprintf("statement #%d", s.Index+1)
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	// Any is the "*" principal (also written {"AWS": "*"}).
	Any           bool
	AWS           []string
	Federated     []string
	Service       []string
	CanonicalUser []string
}

// Condition is one operator and key with its values.
type Condition struct {
	// Operator is the operator as written, e.g. ForAnyValue:StringLikeIfExists.
	Operator string
	// Base is the operator without set prefix and IfExists, e.g. StringLike.
	Base string
	// Set is "", "ForAnyValue" or "ForAllValues".
	Set      string
	IfExists bool
	// Key is the condition key as written; keys compare case-insensitively.
	Key    string
	Values []string
	// Known is false for an operator IAM does not define.
	Known bool
}

// Parse reads a document as IAM stores it: JSON text, URL-encoded or not.
func Parse(doc string) (*Policy, error) {
	text := strings.TrimSpace(doc)
	if text != "" && !strings.HasPrefix(text, "{") {
		if dec, err := url.QueryUnescape(text); err == nil {
			text = strings.TrimSpace(dec)
		}
	}
	var v any
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, jsonReason(err))
	}
	if d.More() {
		return nil, fmt.Errorf("%w: data after the document", ErrMalformed)
	}
	return ParseValue(v)
}

// jsonReason describes a JSON error without quoting the document.
func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "truncated or empty JSON"
	}
	return "invalid JSON"
}

// ParseValue reads a document already decoded from JSON (as the AWS CLI
// prints it).
func ParseValue(v any) (*Policy, error) {
	if s, ok := v.(string); ok {
		return Parse(s)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: want a JSON object, got %s", ErrMalformed, typeName(v))
	}
	p := &Policy{Size: size(v)}
	for k, val := range doc {
		switch k {
		case "Version":
			p.Version, _ = val.(string)
		case "Id":
			p.ID, _ = val.(string)
		case "Statement":
		default:
			p.problem("", fmt.Sprintf("unknown element %q", k))
		}
	}
	raw, present := doc["Statement"]
	if !present {
		return nil, fmt.Errorf("%w: no Statement element", ErrMalformed)
	}
	var list []any
	switch s := raw.(type) {
	case []any:
		list = s
	case map[string]any:
		list = []any{s}
	default:
		return nil, fmt.Errorf("%w: Statement is %s, want an object or array", ErrMalformed, typeName(raw))
	}
	for i, item := range list {
		p.Statements = append(p.Statements, p.statement(i, item))
	}
	return p, nil
}

func (p *Policy) problem(stmt, msg string) {
	p.Problems = append(p.Problems, Problem{Statement: stmt, Msg: msg})
}

func (p *Policy) statement(i int, v any) Statement {
	st := Statement{Index: i}
	m, ok := v.(map[string]any)
	if !ok {
		st.Broken = true
		p.problem(st.Ref(), fmt.Sprintf("is %s, want an object", typeName(v)))
		return st
	}
	st.Sid, _ = m["Sid"].(string)
	bad := func(msg string) {
		st.Broken = true
		p.problem(st.Ref(), msg)
	}
	switch e, _ := m["Effect"].(string); e {
	case "Allow", "Deny":
		st.Effect = Effect(e)
	default:
		bad(fmt.Sprintf("Effect %q, want Allow or Deny", e))
	}
	var err error
	for _, el := range []struct {
		name string
		dst  *[]string
	}{{"Action", &st.Action}, {"NotAction", &st.NotAction}, {"Resource", &st.Resource}, {"NotResource", &st.NotResource}} {
		if raw, present := m[el.name]; present {
			if *el.dst, err = strings1(raw); err != nil {
				bad(fmt.Sprintf("%s: %v", el.name, err))
			}
		}
	}
	if (st.Action == nil) == (st.NotAction == nil) {
		bad("needs exactly one of Action and NotAction")
	}
	if st.Resource != nil && st.NotResource != nil {
		bad("has both Resource and NotResource")
	}
	// IAM takes a resource as * or an ARN; anything else is not guessed
	// at (a bucket name, an s3:// URL).
	for _, r := range append(slices.Clone(st.Resource), st.NotResource...) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			bad(fmt.Sprintf("resource %q is not an ARN", r))
			break
		}
	}
	for _, a := range append(slices.Clone(st.Action), st.NotAction...) {
		if a != "*" && !strings.Contains(a, ":") {
			bad(fmt.Sprintf("action %q has no service prefix", a))
			break
		}
	}
	for _, el := range []struct {
		name string
		dst  **Principal
	}{{"Principal", &st.Principal}, {"NotPrincipal", &st.NotPrincipal}} {
		if raw, present := m[el.name]; present {
			if *el.dst, err = principal(raw); err != nil {
				bad(fmt.Sprintf("%s: %v", el.name, err))
			}
		}
	}
	if raw, present := m["Condition"]; present {
		st.Conditions, err = conditions(raw)
		if err != nil {
			bad(fmt.Sprintf("Condition: %v", err))
		}
		for _, c := range st.Conditions {
			if !c.Known {
				bad(fmt.Sprintf("unknown condition operator %q", c.Operator))
			}
		}
	}
	for k := range m {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition":
		default:
			bad(fmt.Sprintf("unknown element %q", k))
		}
	}
	return st
}

// strings1 reads an element that is a string or an array of strings.
func strings1(v any) ([]string, error) {
	switch s := v.(type) {
	case string:
		return []string{s}, nil
	case []any:
		out := make([]string, 0, len(s))
		for _, item := range s {
			str, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("holds %s, want strings", typeName(item))
			}
			out = append(out, str)
		}
		if len(out) == 0 {
			return nil, errors.New("is empty")
		}
		return out, nil
	}
	return nil, fmt.Errorf("is %s, want a string or array of strings", typeName(v))
}

func principal(v any) (*Principal, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, fmt.Errorf("string %q, only \"*\" may stand alone", s)
		}
		return &Principal{Any: true}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("is %s, want \"*\" or an object", typeName(v))
	}
	p := &Principal{}
	for k, raw := range m {
		vals, err := strings1(raw)
		if err != nil {
			return nil, fmt.Errorf("%s %w", k, err)
		}
		switch k {
		case "AWS":
			p.AWS = vals
			if len(vals) == 1 && vals[0] == "*" {
				p.Any = true
			}
		case "Federated":
			p.Federated = vals
		case "Service":
			p.Service = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return p, nil
}

func conditions(v any) ([]Condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("is %s, want an object", typeName(v))
	}
	var out []Condition
	for _, op := range slices.Sorted(maps.Keys(m)) {
		keys, ok := m[op].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is %s, want an object of keys", op, typeName(m[op]))
		}
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			vals, err := conditionValues(keys[key])
			if err != nil {
				return nil, fmt.Errorf("%s %s %w", op, key, err)
			}
			c := splitOperator(op)
			c.Key, c.Values = key, vals
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues reads condition values; IAM accepts strings, numbers and
// booleans, alone or in an array.
func conditionValues(v any) ([]string, error) {
	one := func(x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case bool:
			return fmt.Sprint(t), nil
		case json.Number:
			return t.String(), nil
		case float64:
			return fmt.Sprint(t), nil
		}
		return "", fmt.Errorf("holds %s, want strings, numbers or booleans", typeName(x))
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// operators are the base condition operators IAM defines.
var operators = setOf(
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
)

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

func splitOperator(op string) Condition {
	c := Condition{Operator: op}
	base := op
	for _, set := range []string{"ForAnyValue:", "ForAllValues:"} {
		if strings.HasPrefix(base, set) {
			c.Set = strings.TrimSuffix(set, ":")
			base = strings.TrimPrefix(base, set)
		}
	}
	if strings.HasSuffix(base, "IfExists") && base != "Null" {
		c.IfExists = true
		base = strings.TrimSuffix(base, "IfExists")
	}
	c.Base = base
	c.Known = operators[base] && (!c.IfExists || base != "Null")
	return c
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// size counts the document's characters as IAM does for its quotas: the
// compact JSON text without white space.
func size(v any) int {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return 0
	}
	n := 0
	for _, r := range b.String() {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}
