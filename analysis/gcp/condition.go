package gcp

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/parser"
)

// IAM conditions are CEL over the attributes IAM offers. wiscan declares
// them all, so that a valid condition is never taken for a malformed one,
// and decides the forms it can reason about over every request the
// workload makes: tests of resource.name against a literal (startsWith,
// endsWith, contains, ==, !=) symbolically over every object name under
// the workload's prefix; resource.type, resource.service and the listing
// prefix (api.getAttribute('storage.googleapis.com/objectListPrefix'))
// exactly; request.time at the scan time. Anything else (tags, other API
// attributes) is an unknown it names.

// ObjectListPrefix is the API attribute a list request's prefix is in.
const ObjectListPrefix = "storage.googleapis.com/objectListPrefix"

var (
	envOnce sync.Once
	celEnv  *cel.Env
	envErr  error
)

func env() (*cel.Env, error) {
	envOnce.Do(func() {
		obj := cel.MapType(cel.StringType, cel.DynType)
		celEnv, envErr = cel.NewEnv(
			cel.Variable("resource", obj),
			cel.Variable("request", obj),
			cel.Variable("api", obj),
			cel.Variable("destination", obj),
			cel.Variable("origin", obj),
			cel.Function("getAttribute", cel.MemberOverload("api_get_attribute", []*cel.Type{obj, cel.StringType, cel.DynType}, cel.DynType,
				cel.FunctionBinding(getAttribute))),
			cel.Function("matchTag", cel.MemberOverload("resource_match_tag", []*cel.Type{obj, cel.StringType, cel.StringType}, cel.BoolType)),
			cel.Function("matchTagId", cel.MemberOverload("resource_match_tag_id", []*cel.Type{obj, cel.StringType, cel.StringType}, cel.BoolType)),
			cel.Function("hasTagKey", cel.MemberOverload("resource_has_tag_key", []*cel.Type{obj, cel.StringType}, cel.BoolType)),
			cel.Function("hasTagKeyId", cel.MemberOverload("resource_has_tag_key_id", []*cel.Type{obj, cel.StringType}, cel.BoolType)),
			cel.Function("extract", cel.MemberOverload("string_extract", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType)),
			cel.Function("inIpRange", cel.Overload("in_ip_range", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType)),
		)
	})
	return celEnv, envErr
}

// getAttribute answers api.getAttribute(name, default) from the api map
// of the request being judged.
func getAttribute(args ...ref.Val) ref.Val {
	if m, ok := args[0].(traits.Mapper); ok {
		if v, found := m.Find(args[1]); found {
			return v
		}
	}
	return args[2]
}

// Request is what the workload asks of one permission: objects under the
// prefix of the bucket, or (for storage.objects.list) a listing of the
// bucket under the prefix.
type Request struct {
	Bucket, Prefix string
	List           bool
	Now            time.Time
}

func (r Request) bucketName() string { return "projects/_/buckets/" + r.Bucket }

// objects is the prefix every object name the workload needs starts with.
func (r Request) objects() string { return r.bucketName() + "/objects/" + r.Prefix }

// Verdict is a condition's answer for every request of a kind.
type Verdict struct {
	// Status is all (it holds for every request), refuses (it refuses
	// the Witness) or unknown (Why says what is undecided).
	Status  string
	Witness string
	Why     string
	// AtScanTime says the verdict rests on request.time, judged at the
	// scan time; ChangesAt is the first time named in the condition after
	// it, when the verdict may change.
	AtScanTime bool
	ChangesAt  string
}

// Condition is a parsed, type-checked IAM condition.
type Condition struct {
	text     string
	root     *formula
	atoms    []atom
	times    []time.Time
	usesTime bool
}

// ParseCondition parses and type-checks an IAM condition's expression.
func ParseCondition(expr string) (*Condition, error) {
	e, err := env()
	if err != nil {
		return nil, err
	}
	checked, iss := e.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("condition does not compile: %s", strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	if !checked.OutputType().IsExactType(cel.BoolType) && !checked.OutputType().IsExactType(cel.DynType) {
		return nil, fmt.Errorf("condition is of type %s, not bool", checked.OutputType())
	}
	native := checked.NativeRep()
	c := &Condition{text: expr}
	c.root = c.build(native.Expr(), native.SourceInfo())
	return c, nil
}

// formula is a condition as a Boolean combination of atoms.
type formula struct {
	op    byte // '&' and, '|' or, '!' not, 'c' constant, 'a' atom
	kids  []*formula
	value bool
	atom  int
}

type atomKind int

const (
	nameAtom     atomKind = iota // resource.name against a literal
	concreteAtom                 // decided by evaluation per request
	unknownAtom                  // depends on what wiscan cannot know
)

type atom struct {
	kind atomKind
	// op and lit for a name atom: ==, !=, startsWith, endsWith, contains.
	op, lit string
	// prog evaluates a concrete atom; attr names an unknown one.
	prog cel.Program
	attr string
}

func (c *Condition) build(e ast.Expr, info *ast.SourceInfo) *formula {
	if e.Kind() == ast.CallKind {
		call := e.AsCall()
		switch call.FunctionName() {
		case "_&&_", "_||_":
			op := byte('&')
			if call.FunctionName() == "_||_" {
				op = '|'
			}
			f := &formula{op: op}
			for _, a := range call.Args() {
				f.kids = append(f.kids, c.build(a, info))
			}
			return f
		case "!_":
			return &formula{op: '!', kids: []*formula{c.build(call.Args()[0], info)}}
		}
	}
	if e.Kind() == ast.LiteralKind {
		if b, ok := e.AsLiteral().(types.Bool); ok {
			return &formula{op: 'c', value: bool(b)}
		}
	}
	c.atoms = append(c.atoms, c.classify(e, info))
	return &formula{op: 'a', atom: len(c.atoms) - 1}
}

// classify makes an atom of a Boolean sub-expression.
func (c *Condition) classify(e ast.Expr, info *ast.SourceInfo) atom {
	if op, lit, ok := nameTest(e); ok {
		return atom{kind: nameAtom, op: op, lit: lit}
	}
	attrs := map[string]bool{}
	c.walk(e, attrs)
	var unknown []string
	for a := range attrs {
		if !decidable[a] {
			unknown = append(unknown, a)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return atom{kind: unknownAtom, attr: strings.Join(unknown, ", ")}
	}
	text, err := parser.Unparse(e, info)
	if err != nil {
		return atom{kind: unknownAtom, attr: "an expression wiscan cannot restate"}
	}
	envv, _ := env()
	checked, iss := envv.Compile(text)
	if iss.Err() != nil {
		return atom{kind: unknownAtom, attr: text}
	}
	prog, err := envv.Program(checked)
	if err != nil {
		return atom{kind: unknownAtom, attr: text}
	}
	return atom{kind: concreteAtom, prog: prog}
}

// decidable are the attributes a concrete atom may read.
var decidable = map[string]bool{
	"resource.type": true, "resource.service": true, "request.time": true,
	"api.getAttribute('" + ObjectListPrefix + "')": true,
}

// walk collects the attributes an expression reads, and the times it
// names.
func (c *Condition) walk(e ast.Expr, attrs map[string]bool) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if s.Operand().Kind() == ast.IdentKind {
			attrs[s.Operand().AsIdent()+"."+s.FieldName()] = true
			if s.Operand().AsIdent() == "request" && s.FieldName() == "time" {
				c.usesTime = true
			}
			return
		}
		c.walk(s.Operand(), attrs)
	case ast.IdentKind:
		attrs[e.AsIdent()] = true
	case ast.CallKind:
		call := e.AsCall()
		if call.IsMemberFunction() && call.Target().Kind() == ast.IdentKind {
			name := call.Target().AsIdent() + "." + call.FunctionName()
			if call.FunctionName() == "getAttribute" && len(call.Args()) > 0 && call.Args()[0].Kind() == ast.LiteralKind {
				if s, ok := call.Args()[0].AsLiteral().(types.String); ok {
					name = fmt.Sprintf("api.getAttribute('%s')", string(s))
				}
			}
			attrs[name] = true
			for _, a := range call.Args()[1:] {
				c.walk(a, attrs)
			}
			return
		}
		if call.FunctionName() == "timestamp" && len(call.Args()) == 1 && call.Args()[0].Kind() == ast.LiteralKind {
			if s, ok := call.Args()[0].AsLiteral().(types.String); ok {
				if t, err := time.Parse(time.RFC3339Nano, string(s)); err == nil {
					c.times = append(c.times, t)
				}
			}
		}
		if call.IsMemberFunction() {
			c.walk(call.Target(), attrs)
		}
		for _, a := range call.Args() {
			c.walk(a, attrs)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			c.walk(el, attrs)
		}
	}
}

// nameTest recognises resource.name compared with a string literal.
func nameTest(e ast.Expr) (op, lit string, ok bool) {
	if e.Kind() != ast.CallKind {
		return "", "", false
	}
	call := e.AsCall()
	args := call.Args()
	switch f := call.FunctionName(); {
	case (f == "startsWith" || f == "endsWith" || f == "contains") && call.IsMemberFunction() && len(args) == 1:
		if isResourceName(call.Target()) {
			if s, ok := stringLit(args[0]); ok {
				return f, s, true
			}
		}
	case (f == "_==_" || f == "_!=_") && len(args) == 2:
		for i := range 2 {
			if isResourceName(args[i]) {
				if s, ok := stringLit(args[1-i]); ok {
					return strings.Trim(f, "_"), s, true
				}
			}
		}
	}
	return "", "", false
}

func isResourceName(e ast.Expr) bool {
	if e.Kind() != ast.SelectKind {
		return false
	}
	s := e.AsSelect()
	return s.FieldName() == "name" && s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == "resource"
}

func stringLit(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// truth is a name atom's truth over every object name under a prefix:
// always, never, or free (true for some names, false for others).
type truth int

const (
	free truth = iota
	always
	never
)

func nameTruth(op, lit, under string) truth {
	switch op {
	case "startsWith":
		switch {
		case strings.HasPrefix(under, lit):
			return always
		case strings.HasPrefix(lit, under):
			return free
		}
		return never
	case "endsWith":
		if lit == "" {
			return always
		}
		return free
	case "contains":
		if strings.Contains(under, lit) {
			return always
		}
		return free
	case "==", "!=":
		t := never
		if strings.HasPrefix(lit, under) {
			t = free
		}
		if op == "!=" {
			return map[truth]truth{never: always, free: free}[t]
		}
		return t
	}
	return free
}

func nameHolds(op, lit, name string) bool {
	switch op {
	case "startsWith":
		return strings.HasPrefix(name, lit)
	case "endsWith":
		return strings.HasSuffix(name, lit)
	case "contains":
		return strings.Contains(name, lit)
	case "==":
		return name == lit
	}
	return name != lit
}

// maxFree bounds the atoms enumerated: 2^16 assignments.
const maxFree = 16

// Decide judges the condition for every request r stands for.
func (c *Condition) Decide(r Request) Verdict {
	v := Verdict{}
	if c.usesTime {
		v.AtScanTime = true
		for _, t := range slices.SortedFunc(slices.Values(c.times), time.Time.Compare) {
			if t.After(r.Now) {
				v.ChangesAt = t.UTC().Format(time.RFC3339)
				break
			}
		}
	}
	act := c.activation(r, r.bucketName())
	fixed := map[int]bool{}
	var names, unknowns []int
	var unknownAttrs []string
	for i, a := range c.atoms {
		switch a.kind {
		case concreteAtom:
			out, _, err := a.prog.Eval(act)
			b, ok := out.(types.Bool)
			if err != nil || !ok {
				// An error in IAM makes the condition false: so it is here.
				fixed[i] = false
				continue
			}
			fixed[i] = bool(b)
		case nameAtom:
			if r.List {
				fixed[i] = nameHolds(a.op, a.lit, r.bucketName())
				continue
			}
			switch nameTruth(a.op, a.lit, r.objects()) {
			case always:
				fixed[i] = true
			case never:
				fixed[i] = false
			default:
				names = append(names, i)
			}
		case unknownAtom:
			unknowns = append(unknowns, i)
			unknownAttrs = append(unknownAttrs, a.attr)
		}
	}
	if len(names)+len(unknowns) > maxFree {
		v.Status, v.Why = "unknown", fmt.Sprintf("the condition has more than %d tests wiscan would have to combine", maxFree)
		return v
	}
	// Every assignment of the free name tests: the condition holds for
	// every needed object if it holds under each, whatever the unknowns;
	// it refuses one for sure if some realisable assignment makes it false
	// whatever the unknowns.
	holdsAll := true
	for mask := 0; mask < 1<<len(names); mask++ {
		assign := maps(fixed)
		for j, i := range names {
			assign[i] = mask&(1<<j) != 0
		}
		t, f := c.outcomes(assign, unknowns)
		if f {
			holdsAll = false
		}
		if t || !f {
			continue
		}
		// False whatever the unknowns: find an object name realising it.
		if w, ok := c.realise(assign, names, r); ok {
			v.Status, v.Witness = "refuses", w
			return v
		}
	}
	if holdsAll {
		v.Status = "all"
		return v
	}
	v.Status = "unknown"
	if len(unknownAttrs) > 0 {
		slices.Sort(unknownAttrs)
		v.Why = "the condition reads " + strings.Join(slices.Compact(unknownAttrs), "; ") + ", which wiscan does not know"
	} else {
		v.Why = "wiscan could not decide the condition's tests of resource.name over the objects the workload needs"
	}
	return v
}

func maps(m map[int]bool) map[int]bool {
	out := make(map[int]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// outcomes says whether the formula can be true, and can be false, over
// the assignments of the unknown atoms.
func (c *Condition) outcomes(assign map[int]bool, unknowns []int) (canTrue, canFalse bool) {
	for mask := 0; mask < 1<<len(unknowns); mask++ {
		for j, i := range unknowns {
			assign[i] = mask&(1<<j) != 0
		}
		if c.root.eval(assign) {
			canTrue = true
		} else {
			canFalse = true
		}
		if canTrue && canFalse {
			return
		}
	}
	return
}

func (f *formula) eval(assign map[int]bool) bool {
	switch f.op {
	case '&':
		for _, k := range f.kids {
			if !k.eval(assign) {
				return false
			}
		}
		return true
	case '|':
		for _, k := range f.kids {
			if k.eval(assign) {
				return true
			}
		}
		return false
	case '!':
		return !f.kids[0].eval(assign)
	case 'c':
		return f.value
	}
	return assign[f.atom]
}

// realise builds an object name under the workload's prefix whose name
// tests come out as assigned, and checks it test by test.
func (c *Condition) realise(assign map[int]bool, names []int, r Request) (string, bool) {
	under := r.objects()
	for _, cand := range c.candidates(assign, names, under) {
		if !strings.HasPrefix(cand, under) {
			continue
		}
		ok := true
		for _, i := range names {
			a := c.atoms[i]
			if nameHolds(a.op, a.lit, cand) != assign[i] {
				ok = false
				break
			}
		}
		if ok {
			return strings.TrimPrefix(cand, r.bucketName()+"/objects/"), true
		}
	}
	return "", false
}

// fillers are the characters tried to step off a literal's path.
const fillers = "xz0q9_-."

func (c *Condition) candidates(assign map[int]bool, names []int, under string) []string {
	var out []string
	base := under
	var ends, contains []string
	for _, i := range names {
		a := c.atoms[i]
		want := assign[i]
		switch {
		case a.op == "==" && want, a.op == "!=" && !want:
			out = append(out, a.lit)
		case a.op == "startsWith" && want && len(a.lit) > len(base):
			base = a.lit
		case a.op == "endsWith" && want:
			ends = append(ends, a.lit)
		case a.op == "contains" && want:
			contains = append(contains, a.lit)
		}
	}
	slices.SortFunc(ends, func(a, b string) int { return len(b) - len(a) })
	tail := strings.Join(contains, "")
	if len(ends) > 0 {
		tail += ends[0]
	}
	for _, f := range fillers {
		out = append(out, base+string(f)+tail, base+string(f)+tail+string(f), base+tail+string(f))
	}
	return append(out, base+tail)
}

// activation is the request's attributes for a concrete atom.
func (c *Condition) activation(r Request, name string) map[string]any {
	resource := map[string]any{"name": name, "service": "storage.googleapis.com", "type": "storage.googleapis.com/Bucket"}
	apiAttrs := map[string]any{}
	if r.List {
		apiAttrs[ObjectListPrefix] = r.Prefix
	} else {
		resource["type"] = "storage.googleapis.com/Object"
	}
	return map[string]any{
		"resource": resource,
		"request":  map[string]any{"time": types.Timestamp{Time: r.Now}},
		"api":      apiAttrs,
	}
}
