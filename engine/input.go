package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wiscan/wiscan/snapshot"
)

// Input converts a snapshot into OPA's value form once per evaluation. It
// builds the value directly from the Go structures, by the rules of
// encoding/json (field names and omitempty from the tags, embedded
// structs flattened, nil slices and maps as null, a json.Marshaler's own
// encoding), so that the value equals that of the snapshot's JSON without
// the JSON text and its second parse.
func Input(s *snapshot.Snapshot) (ast.Value, error) {
	c := converter{shared: map[string]*ast.Term{}}
	t, err := c.term(reflect.ValueOf(s))
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return t.Value, nil
}

// inputViaJSON is the reference conversion: the snapshot's JSON, parsed.
func inputViaJSON(s *snapshot.Snapshot) (ast.Value, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	v, err := ast.ValueFromReader(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("convert input: %w", err)
	}
	return v, nil
}

var (
	marshalerType = reflect.TypeFor[json.Marshaler]()
	numberType    = reflect.TypeFor[json.Number]()
)

// maxShared is the longest string whose term a conversion shares among
// its occurrences: names, kinds, phases and keys repeat in every control
// plane, while long values (documents, messages) rarely do.
const maxShared = 64

// converter builds one input. Terms are immutable during evaluation, so
// that equal short strings, the Booleans, null, empty lists and maps, and
// each field's key are one term each, however many objects hold them: a
// Space of thousands of control planes repeats the same names in each.
type converter struct {
	// shared are the terms of the short strings seen so far.
	shared map[string]*ast.Term
}

func (c converter) str(s string) *ast.Term {
	if len(s) > maxShared {
		return ast.StringTerm(validUTF8(s))
	}
	if t, ok := c.shared[s]; ok {
		return t
	}
	t := ast.StringTerm(validUTF8(s))
	c.shared[s] = t
	return t
}

func (c converter) term(v reflect.Value) (*ast.Term, error) {
	if !v.IsValid() {
		return ast.InternedNullTerm, nil
	}
	t := v.Type()
	if t.Implements(marshalerType) && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		return viaJSON(v.Interface())
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(marshalerType) && v.CanAddr() {
		return viaJSON(v.Addr().Interface())
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		return c.term(v.Elem())
	case reflect.String:
		if t == numberType {
			return ast.NumberTerm(json.Number(v.String())), nil
		}
		return c.str(v.String()), nil
	case reflect.Bool:
		return ast.InternedTerm(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ast.NumberTerm(json.Number(strconv.FormatInt(v.Int(), 10))), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return ast.NumberTerm(json.Number(strconv.FormatUint(v.Uint(), 10))), nil
	case reflect.Float32, reflect.Float64:
		return viaJSON(v.Interface())
	case reflect.Slice:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return viaJSON(v.Interface())
		}
		fallthrough
	case reflect.Array:
		if v.Len() == 0 {
			return ast.InternedEmptyArray, nil
		}
		terms := make([]*ast.Term, v.Len())
		for i := range terms {
			e, err := c.term(v.Index(i))
			if err != nil {
				return nil, err
			}
			terms[i] = e
		}
		return ast.ArrayTerm(terms...), nil
	case reflect.Map:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		if t.Key().Kind() != reflect.String {
			return viaJSON(v.Interface())
		}
		if v.Len() == 0 {
			return ast.InternedEmptyObject, nil
		}
		items := make([][2]*ast.Term, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			e, err := c.term(it.Value())
			if err != nil {
				return nil, err
			}
			items = append(items, [2]*ast.Term{c.str(it.Key().String()), e})
		}
		return ast.ObjectTerm(items...), nil
	case reflect.Struct:
		fs := fieldsOf(t)
		items := make([][2]*ast.Term, 0, len(fs))
		for _, f := range fs {
			fv, ok := fieldByIndex(v, f.index)
			if !ok || (f.omitEmpty && isEmpty(fv)) {
				continue
			}
			e, err := c.term(fv)
			if err != nil {
				return nil, err
			}
			items = append(items, [2]*ast.Term{f.key, e})
		}
		return ast.ObjectTerm(items...), nil
	}
	return nil, fmt.Errorf("a %s cannot be an input value", t)
}

// viaJSON converts one value through its JSON: a json.Marshaler (a time)
// and the rare kinds the snapshot does not use.
func viaJSON(x any) (*ast.Term, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	v, err := ast.ValueFromReader(strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

// validUTF8 replaces each byte of invalid UTF-8 with U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// field is one JSON field of a struct type: its name, whether it is left
// out when empty, and where it is (through embedded structs).
type field struct {
	name      string
	key       *ast.Term
	omitEmpty bool
	index     []int
}

var fieldCache sync.Map // reflect.Type → []field

// fieldsOf lists a struct type's JSON fields as encoding/json does for
// the snapshot's types: exported fields, renamed by their tag, "-" left
// out, an untagged embedded struct's fields promoted (a field of the
// outer struct wins over a promoted one of the same name).
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var out []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, index []int, depth int)
	var promoted [][]field
	walk = func(t reflect.Type, index []int, depth int) {
		var embedded []reflect.StructField
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					sf.Index = idx
					embedded = append(embedded, sf)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			f := field{name: name, key: ast.StringTerm(name), omitEmpty: strings.Contains(","+opts+",", ",omitempty,"), index: idx}
			for len(promoted) <= depth {
				promoted = append(promoted, nil)
			}
			promoted[depth] = append(promoted[depth], f)
		}
		for _, sf := range embedded {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			walk(ft, sf.Index, depth+1)
		}
	}
	walk(t, nil, 0)
	// Shallower fields hide deeper ones of the same name.
	for _, level := range promoted {
		for _, f := range level {
			if !seen[f.name] {
				seen[f.name] = true
				out = append(out, f)
			}
		}
	}
	fieldCache.Store(t, out)
	return out
}

// fieldByIndex follows index through embedded structs; a nil embedded
// pointer has no fields.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 {
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					return reflect.Value{}, false
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v, true
}
