package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrDuplicateKey marks a JSON or YAML object that names one key twice:
// decoders keep one of the values, so the document means something other
// than what one reader of it sees.
var ErrDuplicateKey = errors.New("duplicate key")

// DuplicateKeyError says where a key is given a second time: the line
// (1-based) of the second occurrence, the path of the object that holds
// it (items[3].data), and the key.
type DuplicateKeyError struct {
	Line  int
	Path  string
	Key   string
	First int
}

func (e *DuplicateKeyError) Error() string {
	where := "the top-level object"
	if e.Path != "" {
		where = e.Path
	}
	first := ""
	if e.First > 0 {
		first = fmt.Sprintf(" (first at line %d)", e.First)
	}
	return fmt.Sprintf("line %d: %s names key %q twice%s", e.Line, where, e.Key, first)
}

func (e *DuplicateKeyError) Unwrap() error { return ErrDuplicateKey }

// frame is one open object or array while a document is scanned.
type frame struct {
	object bool
	path   string
	keys   map[string]int
	key    string
	index  int
}

// CheckJSON reports the first object in the JSON document b that names a
// key twice, as a *DuplicateKeyError; it returns nil for a document
// without one, and leaves syntax errors to the decoder that follows.
func CheckJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []*frame
	lines := newLineIndex(b)
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '}' || t == ']' {
				stack = stack[:len(stack)-1]
				continue
			}
			stack = append(stack, &frame{object: t == '{', path: childPath(top), keys: map[string]int{}})
			continue
		case string:
			if top != nil && top.object && isKey(b, dec.InputOffset()) {
				line := lines.at(keyStart(b, off))
				if first, dup := top.keys[t]; dup {
					return &DuplicateKeyError{Line: line, Path: top.path, Key: t, First: first}
				}
				top.keys[t] = line
				top.key = t
				continue
			}
		}
		if top != nil && !top.object {
			top.index++
		}
	}
}

// childPath is the path of a value that starts inside parent.
func childPath(parent *frame) string {
	switch {
	case parent == nil:
		return ""
	case parent.object:
		if parent.path == "" {
			return parent.key
		}
		return parent.path + "." + parent.key
	}
	p := parent.path + "[" + strconv.Itoa(parent.index) + "]"
	parent.index++
	return p
}

// isKey tells an object's key from a string value: a key is followed by a
// colon.
func isKey(b []byte, off int64) bool {
	rest := bytes.TrimLeft(b[off:], " \t\r\n")
	return len(rest) > 0 && rest[0] == ':'
}

// keyStart is the offset of the quote that opens the token read from off
// (the decoder's offset may stand before a separator and spaces).
func keyStart(b []byte, off int64) int {
	i := int(off)
	for i < len(b) && strings.IndexByte(" \t\r\n,", b[i]) >= 0 {
		i++
	}
	return i
}

// lineIndex maps offsets to lines.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	var nl []int
	for i, c := range b {
		if c == '\n' {
			nl = append(nl, i)
		}
	}
	return nl
}

// at is the 1-based line of offset off.
func (l lineIndex) at(off int) int {
	lo, hi := 0, len(l)
	for lo < hi {
		m := (lo + hi) / 2
		if l[m] < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo + 1
}

// CheckNode reports the first mapping in a decoded YAML (or JSON read as
// YAML) document that names a key twice.
func CheckNode(n *yaml.Node) error {
	return checkNode(n, "")
}

func checkNode(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkNode(c, path); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkNode(c, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if first, dup := seen[k.Value]; dup {
				return &DuplicateKeyError{Line: k.Line, Path: path, Key: k.Value, First: first}
			}
			seen[k.Value] = k.Line
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if err := checkNode(n.Content[i+1], sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// MayRepeatKeys is a quick test that a JSON document decoded into v (as
// map[string]any and []any values) could name a key twice: it counts the
// keys in the text, each string followed by a colon outside any string,
// and the entries of v's objects. Each key named twice makes the text's
// count the larger; when the counts agree no object repeats a key, and
// CheckJSON need not run. A count it cannot make (text that is not one
// JSON value) says it may.
func MayRepeatKeys(b []byte, v any) bool {
	keys, ok := countKeys(b)
	return !ok || keys != entries(v)
}

// countKeys counts the strings of b followed by a colon.
func countKeys(b []byte) (int, bool) {
	n := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		// The string's end: the next quote not escaped.
		j := i + 1
		for ; j < len(b); j++ {
			if b[j] == '\\' {
				j++
				continue
			}
			if b[j] == '"' {
				break
			}
		}
		if j >= len(b) {
			return 0, false
		}
		i = j
		for k := j + 1; k < len(b); k++ {
			switch b[k] {
			case ' ', '\t', '\r', '\n':
				continue
			case ':':
				n++
			}
			break
		}
	}
	return n, true
}

// entries counts the entries of every object in v.
func entries(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := len(x)
		for _, e := range x {
			n += entries(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += entries(e)
		}
		return n
	}
	return 0
}
