package azure

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/wiscan/wiscan/iampolicy"
)

// A role assignment's condition is written in Azure's condition language
// (ABAC, version 2.0), not CEL. wiscan decides the part of it that storage
// grants use: ActionMatches, and comparisons of a container's name
// (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name])
// or a blob's path (@Resource[...containers/blobs:path]) with
// StringEquals, StringEqualsIgnoreCase, StringLike, StringStartsWith and
// their negations, combined with AND, OR and NOT (! too), in parentheses.
// A condition is evaluated, for one action and container, to the set of
// blob paths it admits (iampolicy's regions: exact, with the shortest
// witness), so that it is decided over every blob the workload needs, not
// over samples. Anything else (a tag, a principal or environment
// attribute, SubOperationMatches, another operator) is indeterminate, and
// the result names it.

// containerName and blobPath are the attributes wiscan decides.
const (
	containerName = "microsoft.storage/storageaccounts/blobservices/containers:name"
	blobPath      = "microsoft.storage/storageaccounts/blobservices/containers/blobs:path"
)

// val is a condition's value over blob paths: the region of paths where it
// holds, or undecided.
type val struct {
	r     iampolicy.Region
	maybe bool
}

func constant(b bool) val {
	if b {
		return val{r: iampolicy.Everything()}
	}
	return val{r: iampolicy.Region{}}
}

var undecidedVal = val{maybe: true}

// blobs are the paths a blob may have: any non-empty string.
var blobs = iampolicy.Of(iampolicy.NewGlob("?*", false))

func (v val) empty() bool {
	e, err := v.r.Empty()
	return !v.maybe && err == nil && e
}

func (v val) universal() bool {
	if v.maybe {
		return false
	}
	c, err := iampolicy.Complement(v.r)
	if err != nil {
		return false
	}
	e, err := c.Empty()
	return err == nil && e
}

func andVal(a, b val) val {
	switch {
	case a.empty() || b.empty():
		return constant(false)
	case a.maybe || b.maybe:
		return undecidedVal
	}
	r, err := iampolicy.Intersect(a.r, b.r)
	if err != nil {
		return undecidedVal
	}
	return val{r: r}
}

func orVal(a, b val) val {
	switch {
	case a.universal() || b.universal():
		return constant(true)
	case a.maybe || b.maybe:
		return undecidedVal
	}
	return val{r: iampolicy.Union(a.r, b.r)}
}

func notVal(a val) val {
	if a.maybe {
		return undecidedVal
	}
	r, err := iampolicy.Complement(a.r)
	if err != nil {
		return undecidedVal
	}
	return val{r: r}
}

// tri is a three-valued truth: a condition may be true, false, or not
// decidable from what wiscan knows.
type tri int

const (
	no tri = iota
	yes
	maybe
)

// request is what a condition is judged for: one data action on one
// container ("" when the container is not known).
type request struct {
	action, container string
}

// condition evaluates a condition's text for a request; undecided names
// each part that could not be decided.
type condition struct {
	toks      []string
	pos       int
	req       request
	undecided []string
	// comparedPaths says a blob path was compared: a refusal then has a
	// witness.
	comparedPaths bool
}

// evalCondition decides cond for req over every blob of the container:
// yes when it admits them all, no when it excludes some (witness names the
// shortest blob path it excludes, when the condition compares paths), or
// maybe, with the parts that left it undecided. A condition that does not
// parse is an error.
func evalCondition(cond string, req request) (tri, string, []string, error) {
	toks, err := tokenize(cond)
	if err != nil {
		return maybe, "", nil, err
	}
	c := &condition{toks: toks, req: req}
	v, err := c.or()
	if err != nil {
		return maybe, "", nil, err
	}
	if c.pos != len(c.toks) {
		return maybe, "", nil, fmt.Errorf("condition: unexpected %q", c.toks[c.pos])
	}
	if v.maybe {
		if len(c.undecided) == 0 {
			c.undecided = append(c.undecided, "too complex to decide")
		}
		return maybe, "", c.undecided, nil
	}
	// The blobs are every non-empty path; those the condition refuses:
	refused, err := iampolicy.Subtract(blobs, v.r)
	if err != nil {
		return maybe, "", []string{"too complex to decide"}, nil
	}
	excluded := refused
	w, some, err := excluded.Witness()
	switch {
	case err != nil:
		return maybe, "", []string{"too complex to decide"}, nil
	case !some:
		return yes, "", nil, nil
	case !c.comparedPaths:
		return no, "", nil, nil
	}
	return no, w, nil, nil
}

func (c *condition) peek() string {
	if c.pos < len(c.toks) {
		return c.toks[c.pos]
	}
	return ""
}

func (c *condition) next() string {
	t := c.peek()
	c.pos++
	return t
}

func (c *condition) or() (val, error) {
	v, err := c.and()
	for err == nil && (strings.EqualFold(c.peek(), "OR") || c.peek() == "||") {
		c.next()
		var w val
		w, err = c.and()
		v = orVal(v, w)
	}
	return v, err
}

func (c *condition) and() (val, error) {
	v, err := c.unary()
	for err == nil && (strings.EqualFold(c.peek(), "AND") || c.peek() == "&&") {
		c.next()
		var w val
		w, err = c.unary()
		v = andVal(v, w)
	}
	return v, err
}

func (c *condition) unary() (val, error) {
	switch t := c.peek(); {
	case t == "!" || strings.EqualFold(t, "NOT"):
		c.next()
		v, err := c.unary()
		return notVal(v), err
	case t == "(":
		c.next()
		v, err := c.or()
		if err != nil {
			return undecidedVal, err
		}
		if c.next() != ")" {
			return undecidedVal, fmt.Errorf("condition: a parenthesis is not closed")
		}
		return v, nil
	}
	return c.atom()
}

// atom is ActionMatches{'...'}, SubOperationMatches{'...'}, or an
// attribute, an operator and a value or a set of values.
func (c *condition) atom() (val, error) {
	t := c.next()
	switch {
	case strings.EqualFold(t, "ActionMatches") || strings.EqualFold(t, "SubOperationMatches"):
		vals, err := c.values()
		if err != nil {
			return undecidedVal, err
		}
		if strings.EqualFold(t, "SubOperationMatches") {
			c.undecided = append(c.undecided, "SubOperationMatches")
			return undecidedVal, nil
		}
		return constant(slices.ContainsFunc(vals, func(p string) bool { return match(p, c.req.action) })), nil
	case strings.HasPrefix(t, "@"):
		op := c.next()
		vals, err := c.values()
		if err != nil {
			return undecidedVal, err
		}
		return c.compare(t, op, vals), nil
	}
	return undecidedVal, fmt.Errorf("condition: unexpected %q", t)
}

// values reads 'a' or {'a', 'b'}.
func (c *condition) values() ([]string, error) {
	if c.peek() != "{" {
		v := c.next()
		if !quoted(v) {
			return nil, fmt.Errorf("condition: want a quoted value")
		}
		return []string{unquote(v)}, nil
	}
	c.next()
	var out []string
	for {
		v := c.next()
		if !quoted(v) {
			return nil, fmt.Errorf("condition: want a quoted value in braces")
		}
		out = append(out, unquote(v))
		switch c.next() {
		case ",":
		case "}":
			return out, nil
		default:
			return nil, fmt.Errorf("condition: a brace is not closed")
		}
	}
}

// compare decides an attribute comparison: a container's name against the
// backup container, a blob's path as the region of paths it admits.
func (c *condition) compare(attr, op string, vals []string) val {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(attr, "@"), "Resource["), "]"))
	negated := strings.Contains(op, "Not")
	base := strings.Replace(op, "Not", "", 1)
	if strings.HasPrefix(attr, "@Resource[") && name == blobPath {
		return c.pathRegion(attr, op, base, negated, vals)
	}
	if !strings.HasPrefix(attr, "@Resource[") || name != containerName || c.req.container == "" {
		c.undecided = append(c.undecided, attr+" "+op)
		return undecidedVal
	}
	v := no
	for _, want := range vals {
		var hit bool
		switch base {
		case "StringEquals":
			hit = c.req.container == want
		case "StringEqualsIgnoreCase":
			hit = strings.EqualFold(c.req.container, want)
		case "StringLike":
			hit = likeCaseSensitive(want, c.req.container)
		case "StringStartsWith":
			hit = strings.HasPrefix(c.req.container, want)
		default:
			c.undecided = append(c.undecided, attr+" "+op)
			return undecidedVal
		}
		if hit {
			v = yes
		}
	}
	return constant(v == yes != negated)
}

// paths is the region of blob paths a comparison admits.
func (c *condition) pathRegion(attr, op, base string, negated bool, vals []string) val {
	var ps []iampolicy.Pattern
	for _, want := range vals {
		switch base {
		case "StringEquals":
			ps = append(ps, iampolicy.NewLiteral(want, false))
		case "StringEqualsIgnoreCase":
			ps = append(ps, iampolicy.NewLiteral(want, true))
		case "StringLike":
			ps = append(ps, iampolicy.NewGlob(want, false))
		case "StringStartsWith":
			if strings.ContainsAny(want, "*?") {
				c.undecided = append(c.undecided, attr+" "+op+" with a wildcard character")
				return undecidedVal
			}
			ps = append(ps, iampolicy.NewGlob(want+"*", false))
		default:
			c.undecided = append(c.undecided, attr+" "+op)
			return undecidedVal
		}
	}
	c.comparedPaths = true
	v := val{r: iampolicy.Of(ps...)}
	if negated {
		return notVal(v)
	}
	return v
}

// likeCaseSensitive is StringLike: * and ? wildcards, case-sensitive.
func likeCaseSensitive(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if likeCaseSensitive(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && likeCaseSensitive(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && likeCaseSensitive(pattern[1:], s[1:])
}

func quoted(t string) bool { return len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' }

func unquote(t string) string { return t[1 : len(t)-1] }

// tokenize splits a condition into parentheses, braces, commas, !, &&,
// ||, quoted strings, attributes (@Resource[...]) and words.
func tokenize(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		r := rune(s[i])
		switch {
		case unicode.IsSpace(r):
			i++
		case strings.ContainsRune("(){},!", r):
			out = append(out, string(r))
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||"):
			out = append(out, s[i:i+2])
			i += 2
		case r == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("condition: a quote is not closed")
			}
			out = append(out, s[i:i+j+2])
			i += j + 2
		case r == '@':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("condition: an attribute's bracket is not closed")
			}
			out = append(out, s[i:i+j+1])
			i += j + 1
		default:
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("condition: unexpected character at %d", i)
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}
