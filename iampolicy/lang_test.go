package iampolicy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// randomGlob draws a short pattern over a, b, * and ?.
func randomGlob(rng *rand.Rand) string {
	n := rng.IntN(5)
	var b strings.Builder
	for range n {
		b.WriteByte("ab*?"[rng.IntN(4)])
	}
	return b.String()
}

// strs are every string over a, b and c up to length n: the brute-force
// universe the exact answers are checked against.
func strs(n int) []string {
	out := []string{""}
	layer := []string{""}
	for range n {
		var next []string
		for _, s := range layer {
			for _, c := range "abc" {
				next = append(next, s+string(c))
			}
		}
		out = append(out, next...)
		layer = next
	}
	return out
}

func TestPatternMatchesGlob(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7)) //nolint:gosec // G404: a seeded generator keeps the draw reproducible
	universe := strs(5)
	for range 500 {
		g := randomGlob(rng)
		p := NewGlob(g, false)
		for _, s := range universe {
			if p.Match(s) != Glob(g, s, false) {
				t.Fatalf("pattern %q on %q: %v, glob matcher %v", g, s, p.Match(s), Glob(g, s, false))
			}
		}
	}
}

// For random regions built with every operation, membership, emptiness
// and witnesses agree with brute force over all short strings; a witness
// is always a member.
func TestRegionAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9)) //nolint:gosec // G404: a seeded generator keeps the draw reproducible
	universe := strs(6)
	randomRegion := func() (Region, func(string) bool) {
		a, b, c := NewGlob(randomGlob(rng), false), NewGlob(randomGlob(rng), false), NewGlob(randomGlob(rng), false)
		switch rng.IntN(4) {
		case 0:
			return Of(a, b), func(s string) bool { return a.Match(s) || b.Match(s) }
		case 1:
			return NoneOf(a, b), func(s string) bool { return !a.Match(s) && !b.Match(s) }
		case 2:
			return Region{{Pos: []Pattern{a, b}, Neg: []Pattern{c}}}, func(s string) bool { return a.Match(s) && b.Match(s) && !c.Match(s) }
		}
		return Of(a), a.Match
	}
	for i := range 400 {
		x, inX := randomRegion()
		y, inY := randomRegion()
		var r Region
		var in func(string) bool
		var err error
		switch i % 4 {
		case 0:
			r, in = Union(x, y), func(s string) bool { return inX(s) || inY(s) }
		case 1:
			r, err = Intersect(x, y)
			in = func(s string) bool { return inX(s) && inY(s) }
		case 2:
			r, err = Subtract(x, y)
			in = func(s string) bool { return inX(s) && !inY(s) }
		case 3:
			r, err = Complement(x)
			in = func(s string) bool { return !inX(s) }
		}
		if err != nil {
			t.Fatal(err)
		}
		some := ""
		found := false
		for _, s := range universe {
			if r.Contains(s) != in(s) {
				t.Fatalf("case %d: membership of %q: region %v, brute force %v", i, s, r.Contains(s), in(s))
			}
			if in(s) && !found {
				some, found = s, true
			}
		}
		empty, err := r.Empty()
		if err != nil {
			t.Fatal(err)
		}
		w, ok, err := r.Witness()
		if err != nil {
			t.Fatal(err)
		}
		if ok == empty {
			t.Fatalf("case %d: Empty %v but witness found %v", i, empty, ok)
		}
		if found && empty {
			t.Fatalf("case %d: region said empty, but %q is in it", i, some)
		}
		if ok && !in(w) {
			t.Fatalf("case %d: witness %q is not in the region", i, w)
		}
		if ok && len(w) > len(some) && found {
			t.Fatalf("case %d: witness %q is longer than %q", i, w, some)
		}
	}
}

func TestArnGlobKeepsParts(t *testing.T) {
	p := NewArnGlob("arn:aws:iam::*:role/backup-*")
	for s, want := range map[string]bool{
		"arn:aws:iam::111122223333:role/backup-restore":     true,
		"arn:aws:iam::111122223333:role/backup-a:b":         true,
		"arn:aws:iam::111:222:role/backup-x":                false,
		"arn:aws:iam::111122223333:role/other":              false,
		"arn:aws:iam::111122223333:role/backup-restore/sub": true,
	} {
		if p.Match(s) != want {
			t.Errorf("%s: %v, want %v", s, !want, want)
		}
	}
}

func TestLiteralIsNotAWildcard(t *testing.T) {
	if NewLiteral("system:serviceaccount:*:x", false).Match("system:serviceaccount:ns:x") {
		t.Error("a literal * matched a name")
	}
	if !NewGlob("a${*}b", false).Match("a*b") || NewGlob("a${*}b", false).Match("axb") {
		t.Error("${*} is the literal character *")
	}
	if !NewLiteral("S3:GetObject", true).Match("s3:getobject") {
		t.Error("a folded literal ignores case")
	}
}

func TestWitnessIsReadable(t *testing.T) {
	subjects := NewShape("subject", "system:serviceaccount:", "[abcdefghijklmnopqrstuvwxyz0123456789]", "[abcdefghijklmnopqrstuvwxyz0123456789.-]*", ":", "[abcdefghijklmnopqrstuvwxyz0123456789]", "[abcdefghijklmnopqrstuvwxyz0123456789.-]*")
	policy := NewGlob("system:serviceaccount:mxp-*-system:*-controller", false)
	profile := NewGlob("system:serviceaccount:mxp-*-system:mxp-controller", false)
	r := Region{{Pos: []Pattern{policy, subjects}, Neg: []Pattern{profile}}}
	w, ok, err := r.Witness()
	if err != nil || !ok {
		t.Fatalf("no witness: %v", err)
	}
	if !policy.Match(w) || profile.Match(w) || !subjects.Match(w) {
		t.Fatalf("witness %q is not admitted and outside the profile", w)
	}
	if w != "system:serviceaccount:mxp--system:x-controller" {
		t.Errorf("witness %q", w)
	}
}

// The witness of a region is its shortest member over every cube, the
// first in the readable order among members as short.
func TestWitnessIsShortestOverCubes(t *testing.T) {
	r := Union(Of(NewGlob("aaaa*", false)), Of(NewGlob("b?", false)))
	if w, ok, _ := r.Witness(); !ok || w != "bx" {
		t.Errorf("witness %q, want bx", w)
	}
	r = Union(Of(NewGlob("zz", false)), Of(NewGlob("ab", false)))
	if w, _, _ := r.Witness(); w != "ab" {
		t.Errorf("witness %q, want ab", w)
	}
}
