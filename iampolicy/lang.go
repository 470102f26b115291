package iampolicy

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file decides questions about sets of strings described by IAM
// patterns exactly, instead of by trying sample strings. A Pattern is a
// sequence of tokens (a literal character, ? for any one character, * for
// any run, or a character class once or repeated); a Cube is the strings
// that match all its positive patterns and none of its negative ones; a
// Region is a union of cubes. Emptiness of a cube is decided by a
// breadth-first search over the product of the patterns' automata, which
// also yields the shortest member as a witness. Characters that no pattern
// names behave alike, so one stands for all of them and the search is
// finite.

// ErrTooComplex is returned when a region grows past what is decided here;
// the question is then left undecided, never answered by a guess.
var ErrTooComplex = errors.New("the policy is too complex to decide exactly")

// maxCubes bounds a region; maxStates bounds one emptiness search.
const (
	maxCubes  = 4096
	maxStates = 200000
)

type tokKind uint8

const (
	tokLit   tokKind = iota // one given character
	tokOne                  // any one character (?)
	tokAny                  // any run of characters (*)
	tokClass                // one character of the class
	tokRun                  // any run of characters of the class
)

type token struct {
	kind  tokKind
	r     rune
	class *class
}

// class is a set of characters, or its complement.
type class struct {
	chars  string
	negate bool
}

func (c *class) has(r rune) bool { return strings.ContainsRune(c.chars, r) != c.negate }

// Pattern is a set of strings described by tokens. Fold makes literal
// characters match either case, as IAM compares action names.
type Pattern struct {
	toks []token
	fold bool
	// text is the pattern as written, for messages.
	text string
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.text }

// NewGlob is an IAM wildcard pattern: * matches any run of characters, ? any
// one. The escapes ${*}, ${?} and ${$} stand for the literal characters.
func NewGlob(text string, fold bool) Pattern {
	p := Pattern{fold: fold, text: text}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case strings.HasPrefix(text[i:], "${*}"), strings.HasPrefix(text[i:], "${?}"), strings.HasPrefix(text[i:], "${$}"):
			p.toks = append(p.toks, token{kind: tokLit, r: rune(text[i+2])})
			i += 4
			continue
		case r == '*':
			p.toks = append(p.toks, token{kind: tokAny})
		case r == '?':
			p.toks = append(p.toks, token{kind: tokOne})
		default:
			p.toks = append(p.toks, token{kind: tokLit, r: r})
		}
		i += size
	}
	return p
}

// NewLiteral is the one string text.
func NewLiteral(text string, fold bool) Pattern {
	p := Pattern{fold: fold, text: text}
	for _, r := range text {
		p.toks = append(p.toks, token{kind: tokLit, r: r})
	}
	return p
}

// NewArnGlob is an ArnLike pattern: each of the six colon-separated parts is
// matched on its own, so a wildcard before the resource part does not
// cross a colon.
func NewArnGlob(text string) Pattern {
	p := Pattern{text: text}
	notColon := &class{chars: ":", negate: true}
	parts := strings.SplitN(text, ":", 6)
	for i, part := range parts {
		if i > 0 {
			p.toks = append(p.toks, token{kind: tokLit, r: ':'})
		}
		for _, t := range NewGlob(part, false).toks {
			if i < 5 {
				switch t.kind {
				case tokAny:
					t = token{kind: tokRun, class: notColon}
				case tokOne:
					t = token{kind: tokClass, class: notColon}
				}
			}
			p.toks = append(p.toks, t)
		}
	}
	return p
}

// NewShape builds a pattern from pieces: literal text, and character classes
// written as [chars] (one of them) or [chars]* (any run of them).
func NewShape(text string, pieces ...string) Pattern {
	p := Pattern{text: text}
	for _, piece := range pieces {
		if strings.HasPrefix(piece, "[") {
			body, run := strings.CutSuffix(piece, "*")
			c := &class{chars: strings.TrimSuffix(strings.TrimPrefix(body, "["), "]")}
			kind := tokClass
			if run {
				kind = tokRun
			}
			p.toks = append(p.toks, token{kind: kind, class: c})
			continue
		}
		p.toks = append(p.toks, NewLiteral(piece, false).toks...)
	}
	return p
}

// Match reports whether s is in the pattern's set.
func (p Pattern) Match(s string) bool {
	set := p.start()
	for _, r := range s {
		set = p.step(set, r)
		if len(set) == 0 {
			return false
		}
	}
	return p.accepts(set)
}

// A state set is the sorted positions in the token list reached so far.
type states []int

func (p Pattern) closure(in []int) states {
	seen := map[int]bool{}
	var out states
	var visit func(int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		out = append(out, i)
		if i < len(p.toks) && (p.toks[i].kind == tokAny || p.toks[i].kind == tokRun) {
			visit(i + 1)
		}
	}
	for _, i := range in {
		visit(i)
	}
	sort.Ints(out)
	return out
}

func (p Pattern) start() states { return p.closure([]int{0}) }

func (p Pattern) step(set states, r rune) states {
	var next []int
	for _, i := range set {
		if i >= len(p.toks) {
			continue
		}
		t := p.toks[i]
		switch t.kind {
		case tokLit:
			if t.r == r || p.fold && unicode.ToLower(t.r) == unicode.ToLower(r) {
				next = append(next, i+1)
			}
		case tokOne:
			next = append(next, i+1)
		case tokAny:
			next = append(next, i)
		case tokClass:
			if t.class.has(r) {
				next = append(next, i+1)
			}
		case tokRun:
			if t.class.has(r) {
				next = append(next, i)
			}
		}
	}
	return p.closure(next)
}

func (p Pattern) accepts(set states) bool {
	return len(set) > 0 && set[len(set)-1] == len(p.toks)
}

// Cube is the strings that match every Pos pattern and no Neg pattern; a
// cube without patterns is every string.
type Cube struct {
	Pos, Neg []Pattern
}

// Region is a union of cubes: nil is the empty set.
type Region []Cube

// Everything is the set of all strings.
func Everything() Region { return Region{{}} }

// Of is the union of the patterns.
func Of(ps ...Pattern) Region {
	r := Region{}
	for _, p := range ps {
		r = append(r, Cube{Pos: []Pattern{p}})
	}
	return r
}

// NoneOf is every string that matches none of the patterns.
func NoneOf(ps ...Pattern) Region { return Region{{Neg: ps}} }

// Union is a ∪ b.
func Union(a, b Region) Region { return append(append(Region{}, a...), b...) }

// Intersect is a ∩ b.
func Intersect(a, b Region) (Region, error) {
	out := Region{}
	for _, x := range a {
		for _, y := range b {
			c := Cube{Pos: append(append([]Pattern{}, x.Pos...), y.Pos...), Neg: append(append([]Pattern{}, x.Neg...), y.Neg...)}
			empty, err := c.empty()
			if err != nil {
				return nil, err
			}
			if !empty {
				out = append(out, c)
			}
			if len(out) > maxCubes {
				return nil, ErrTooComplex
			}
		}
	}
	return out, nil
}

// Complement is every string outside r.
func Complement(r Region) (Region, error) {
	out := Everything()
	for _, c := range r {
		var not Region
		for _, p := range c.Pos {
			not = append(not, Cube{Neg: []Pattern{p}})
		}
		for _, p := range c.Neg {
			not = append(not, Cube{Pos: []Pattern{p}})
		}
		var err error
		if out, err = Intersect(out, not); err != nil {
			return nil, err
		}
		if len(out) == 0 {
			break
		}
	}
	return out, nil
}

// Subtract is a \ b.
func Subtract(a, b Region) (Region, error) {
	if len(a) == 0 || len(b) == 0 {
		return a, nil
	}
	nb, err := Complement(b)
	if err != nil {
		return nil, err
	}
	return Intersect(a, nb)
}

// Witness returns the shortest member of r, if r has one.
func (r Region) Witness() (string, bool, error) {
	best, found := "", false
	for _, c := range r {
		w, ok, err := c.witness()
		if err != nil {
			return "", false, err
		}
		if ok && (!found || len(w) < len(best) || len(w) == len(best) && w < best) {
			best, found = w, true
		}
	}
	return best, found, nil
}

// Empty reports whether r has no member.
func (r Region) Empty() (bool, error) {
	for _, c := range r {
		empty, err := c.empty()
		if err != nil || !empty {
			return false, err
		}
	}
	return true, nil
}

// Contains reports whether s is in r.
func (r Region) Contains(s string) bool {
	for _, c := range r {
		if c.contains(s) {
			return true
		}
	}
	return false
}

func (c Cube) contains(s string) bool {
	for _, p := range c.Pos {
		if !p.Match(s) {
			return false
		}
	}
	for _, p := range c.Neg {
		if p.Match(s) {
			return false
		}
	}
	return true
}

func (c Cube) empty() (bool, error) {
	_, ok, err := c.witness()
	return !ok, err
}

// witness searches the product of the cube's automata breadth-first; the
// first accepting state reached gives the shortest member.
func (c Cube) witness() (string, bool, error) {
	all := append(append([]Pattern{}, c.Pos...), c.Neg...)
	alphabet := alphabetOf(all)
	type node struct {
		sets   []states
		parent int
		r      rune
	}
	startSets := make([]states, len(all))
	for i, p := range all {
		startSets[i] = p.start()
	}
	nodes := []node{{sets: startSets, parent: -1}}
	seen := map[string]bool{key(startSets): true}
	accept := func(sets []states) bool {
		for i, p := range all {
			if acc := p.accepts(sets[i]); acc != (i < len(c.Pos)) {
				return false
			}
		}
		return true
	}
	for head := 0; head < len(nodes); head++ {
		n := nodes[head]
		if accept(n.sets) {
			var rs []rune
			for i := head; nodes[i].parent >= 0; i = nodes[i].parent {
				rs = append(rs, nodes[i].r)
			}
			for l, r := 0, len(rs)-1; l < r; l, r = l+1, r-1 {
				rs[l], rs[r] = rs[r], rs[l]
			}
			return string(rs), true, nil
		}
	next:
		for _, r := range alphabet {
			sets := make([]states, len(all))
			for i, p := range all {
				sets[i] = p.step(n.sets[i], r)
				if i < len(c.Pos) && len(sets[i]) == 0 {
					continue next
				}
			}
			k := key(sets)
			if seen[k] {
				continue
			}
			seen[k] = true
			nodes = append(nodes, node{sets: sets, parent: head, r: r})
			if len(nodes) > maxStates {
				return "", false, ErrTooComplex
			}
		}
	}
	return "", false, nil
}

func key(sets []states) string {
	var b strings.Builder
	for _, s := range sets {
		for _, i := range s {
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(',')
		}
		b.WriteByte(';')
	}
	return b.String()
}

// alphabetOf is every character the patterns name (both cases where they
// fold), every member of their positive classes, and one character none
// of them names, which stands for all such characters. Readable
// characters come first, so that witnesses read well.
func alphabetOf(ps []Pattern) []rune {
	seen := map[rune]bool{}
	var out []rune
	add := func(r rune) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, p := range ps {
		for _, t := range p.toks {
			switch t.kind {
			case tokLit:
				add(t.r)
				if p.fold {
					add(unicode.ToLower(t.r))
					add(unicode.ToUpper(t.r))
				}
			case tokClass, tokRun:
				for _, r := range t.class.chars {
					add(r)
				}
			}
		}
	}
	for _, r := range "xyzqwkvjab0123456789~" {
		if !seen[r] {
			add(r)
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// rank orders characters for witnesses: lower-case letters and digits
// first, then the rest.
func rank(r rune) int {
	switch {
	case r == 'x':
		return 0
	case r >= 'a' && r <= 'z':
		return 1
	case r >= '0' && r <= '9':
		return 2
	case r == '-':
		return 3
	}
	return 4
}
