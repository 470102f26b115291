package azure

import (
	"fmt"
	"strings"
	"unicode"
)

// A role assignment's condition is written in Azure's condition language
// (ABAC, version 2.0), not CEL. wiscan decides the part of it that storage
// grants use: ActionMatches, and comparisons of a container's name
// (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name])
// with StringEquals, StringLike, StringStartsWith and their negations
// (StringNotEquals, StringNotLike, StringNotStartsWith), combined with AND,
// OR and NOT (! too), in parentheses. Anything else (a blob path, a tag, a
// principal or environment attribute, SubOperationMatches, another
// operator) is indeterminate, and the result names it.

// containerName is the attribute of a container's name.
const containerName = "microsoft.storage/storageaccounts/blobservices/containers:name"

// tri is a three-valued truth: a condition may be true, false, or not
// decidable from what wiscan knows.
type tri int

const (
	no tri = iota
	yes
	maybe
)

func (t tri) not() tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return maybe
}

func and(a, b tri) tri {
	switch {
	case a == no || b == no:
		return no
	case a == yes && b == yes:
		return yes
	}
	return maybe
}

func or(a, b tri) tri {
	switch {
	case a == yes || b == yes:
		return yes
	case a == no && b == no:
		return no
	}
	return maybe
}

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
}

// evalCondition decides cond for req: yes, no or maybe, with the parts
// that left it undecided. A condition that does not parse is an error.
func evalCondition(cond string, req request) (tri, []string, error) {
	toks, err := tokenize(cond)
	if err != nil {
		return maybe, nil, err
	}
	c := &condition{toks: toks, req: req}
	v, err := c.or()
	if err != nil {
		return maybe, nil, err
	}
	if c.pos != len(c.toks) {
		return maybe, nil, fmt.Errorf("condition: unexpected %q", c.toks[c.pos])
	}
	return v, c.undecided, nil
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

func (c *condition) or() (tri, error) {
	v, err := c.and()
	for err == nil && (strings.EqualFold(c.peek(), "OR") || c.peek() == "||") {
		c.next()
		var w tri
		w, err = c.and()
		v = or(v, w)
	}
	return v, err
}

func (c *condition) and() (tri, error) {
	v, err := c.unary()
	for err == nil && (strings.EqualFold(c.peek(), "AND") || c.peek() == "&&") {
		c.next()
		var w tri
		w, err = c.unary()
		v = and(v, w)
	}
	return v, err
}

func (c *condition) unary() (tri, error) {
	switch t := c.peek(); {
	case t == "!" || strings.EqualFold(t, "NOT"):
		c.next()
		v, err := c.unary()
		return v.not(), err
	case t == "(":
		c.next()
		v, err := c.or()
		if err != nil {
			return maybe, err
		}
		if c.next() != ")" {
			return maybe, fmt.Errorf("condition: a parenthesis is not closed")
		}
		return v, nil
	}
	return c.atom()
}

// atom is ActionMatches{'...'}, SubOperationMatches{'...'}, or an
// attribute, an operator and a value or a set of values.
func (c *condition) atom() (tri, error) {
	t := c.next()
	switch {
	case strings.EqualFold(t, "ActionMatches") || strings.EqualFold(t, "SubOperationMatches"):
		vals, err := c.values()
		if err != nil {
			return maybe, err
		}
		if strings.EqualFold(t, "SubOperationMatches") {
			c.undecided = append(c.undecided, "SubOperationMatches")
			return maybe, nil
		}
		v := no
		for _, p := range vals {
			if match(p, c.req.action) {
				v = yes
			}
		}
		return v, nil
	case strings.HasPrefix(t, "@"):
		op := c.next()
		vals, err := c.values()
		if err != nil {
			return maybe, err
		}
		return c.compare(t, op, vals), nil
	}
	return maybe, fmt.Errorf("condition: unexpected %q", t)
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

// compare decides an attribute comparison; only a container's name is
// known.
func (c *condition) compare(attr, op string, vals []string) tri {
	name := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(attr, "@"), "Resource["), "]"))
	if !strings.HasPrefix(attr, "@Resource[") || name != containerName || c.req.container == "" {
		c.undecided = append(c.undecided, attr+" "+op)
		return maybe
	}
	negated := strings.Contains(op, "Not")
	base := strings.Replace(op, "Not", "", 1)
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
			return maybe
		}
		if hit {
			v = yes
		}
	}
	if negated {
		return v.not()
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
