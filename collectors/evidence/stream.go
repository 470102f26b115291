package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/wiscan/wiscan/input"
)

// The readers below stream a file: a kind: List (YAML or JSON) or a JSON
// array is read item by item, so that memory follows the largest object,
// not the file.

// errBinary marks content that is not text.
var errBinary = errors.New("binary content (a NUL byte), not read")

// ctxReader ends a read when the scan is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// utf8Text returns r as UTF-8: a UTF-8 byte order mark is dropped, UTF-16
// (with a byte order mark, or recognised by its zero bytes) is converted.
func utf8Text(r io.Reader) (*bufio.Reader, string) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(8)
	var enc transform.Transformer
	name := "UTF-8"
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, name
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc, name = unicode.BOMOverride(unicode.UTF8.NewDecoder()), "UTF-16"
	case alternatingZeros(head, 1):
		enc, name = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder(), "UTF-16LE"
	case alternatingZeros(head, 0):
		enc, name = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder(), "UTF-16BE"
	default:
		return br, name
	}
	return bufio.NewReaderSize(transform.NewReader(br, enc), 64<<10), name
}

// alternatingZeros recognises UTF-16 text without a byte order mark:
// ASCII characters whose zero byte comes second (little endian, zero at 1)
// or first (big endian, zero at 0).
func alternatingZeros(head []byte, zero int) bool {
	if len(head) < 8 {
		return false
	}
	for i := 0; i < len(head); i += 2 {
		if head[i+zero] != 0 || head[i+1-zero] == 0 {
			return false
		}
	}
	return true
}

// firstKey finds the first key of a JSON object at the start of text.
var firstKey = regexp.MustCompile(`^\s*\{\s*"([^"\\]{0,64})"`)

// kubeKeys start a Kubernetes object or list in kubectl's JSON output.
var kubeKeys = map[string]bool{"apiVersion": true, "kind": true, "items": true, "metadata": true}

// sink receives what a stream finds.
type sink interface {
	// value takes one top-level or list-item object with the line it
	// starts on; listKind and listVersion fill in a typed list's items.
	value(line int, m map[string]any, listVersion, listKind string)
	// node takes a whole YAML document (a single object or an AWS CLI
	// output).
	node(n *yaml.Node)
	malformed(line int, msg string)
	// duplicate takes an object in which some object names a key twice,
	// as decoded (the last value kept) for what names it.
	duplicate(line int, m map[string]any, err error)
	// list says a kind: List was read, whatever its number of items: an
	// empty one is an export of a kind with no objects, not a bad file.
	list()
}

// lineReader counts lines as a JSON decoder consumes its input; it keeps
// only the bytes the decoder has read but not yet been asked about.
type lineReader struct {
	r    io.Reader
	base int64
	buf  []byte
	line int
	nul  bool
}

func (t *lineReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if bytes.IndexByte(p[:n], 0) >= 0 {
		t.nul = true
	}
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// lineAt returns the line of the first byte at or after off that is not
// white space or a separator, and forgets the bytes before off.
func (t *lineReader) lineAt(off int64) int {
	// A syntax error's offset may lie before the last offset asked about;
	// the line is then the one already counted.
	i := min(max(int(off-t.base), 0), len(t.buf))
	off = t.base + int64(i)
	t.line += bytes.Count(t.buf[:i], []byte{'\n'})
	t.buf = append(t.buf[:0], t.buf[i:]...)
	t.base = off
	j := 0
	for j < len(t.buf) && strings.IndexByte(" \t\r\n,:", t.buf[j]) >= 0 {
		j++
	}
	return t.line + bytes.Count(t.buf[:j], []byte{'\n'})
}

// streamJSON reads a JSON array of objects, or an object whose items are
// read one by one. Items that carry no kind wait for the list's kind.
func streamJSON(r io.Reader, out sink) error {
	lr := &lineReader{r: r, line: 1}
	dec := json.NewDecoder(lr)
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(lr, dec, err)
	}
	switch tok {
	case json.Delim('['):
		for dec.More() {
			line := lr.lineAt(dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonErr(lr, dec, err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil || m == nil {
				out.malformed(line, "a list item is not an object")
				continue
			}
			item(out, line, raw, m, "", "")
		}
	case json.Delim('{'):
		if err := streamObject(dec, lr, out); err != nil {
			return err
		}
	default:
		return fmt.Errorf("line 1: a JSON %T, not an object or a list of objects", tok)
	}
	if _, err := dec.Token(); err != nil {
		return jsonErr(lr, dec, err)
	}
	if dec.More() {
		return fmt.Errorf("line %d: data after the JSON document", lr.lineAt(dec.InputOffset()))
	}
	if lr.nul {
		return errBinary
	}
	return nil
}

type pendingItem struct {
	line int
	raw  json.RawMessage
	m    map[string]any
}

func streamObject(dec *json.Decoder, lr *lineReader, out sink) error {
	start := lr.line
	head := map[string]any{}
	var dup error
	var pending []pendingItem
	for dec.More() {
		keyLine := lr.lineAt(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(lr, dec, err)
		}
		key, _ := tok.(string)
		kind, _ := head["kind"].(string)
		if _, again := head[key]; again && dup == nil {
			dup = &input.DuplicateKeyError{Line: keyLine, Key: key}
		}
		if key != "items" || (kind != "" && !strings.HasSuffix(kind, "List")) {
			line := lr.lineAt(dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonErr(lr, dec, err)
			}
			if err := nested(raw, line, key); err != nil && dup == nil {
				dup = err
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return jsonErr(lr, dec, err)
			}
			head[key] = v
			continue
		}
		if tok, err = dec.Token(); err != nil {
			return jsonErr(lr, dec, err)
		}
		if tok == nil {
			continue
		}
		if tok != json.Delim('[') {
			return fmt.Errorf("line %d: items is not a list", lr.lineAt(dec.InputOffset()))
		}
		for dec.More() {
			line := lr.lineAt(dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return jsonErr(lr, dec, err)
			}
			// One decoding serves the kind's test and the item.
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil || m == nil {
				out.malformed(line, "a list item is not an object")
				continue
			}
			if hasKind(m) {
				item(out, line, raw, m, "", "")
			} else {
				pending = append(pending, pendingItem{line, raw, m})
			}
		}
		if _, err := dec.Token(); err != nil {
			return jsonErr(lr, dec, err)
		}
	}
	kind, _ := head["kind"].(string)
	version, _ := head["apiVersion"].(string)
	if len(pending) > 0 || !strings.HasSuffix(kind, "List") {
		for _, p := range pending {
			item(out, p.line, p.raw, p.m, version, strings.TrimSuffix(kind, "List"))
		}
	}
	switch {
	case dup != nil:
		out.duplicate(start, head, dup)
	case !strings.HasSuffix(kind, "List"):
		out.value(start, head, "", "")
	default:
		out.list()
	}
	return nil
}

func hasKind(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	version, _ := m["apiVersion"].(string)
	return kind != "" && version != ""
}

// item hands on a list item, raw and decoded.
func item(out sink, line int, raw json.RawMessage, m map[string]any, version, kind string) {
	if !input.MayRepeatKeys(raw, m) {
		out.value(line, m, version, kind)
		return
	}
	if err := nested(raw, line, ""); err != nil {
		if m["kind"] == nil && kind != "" {
			m["kind"], m["apiVersion"] = kind, version
		}
		out.duplicate(line, m, err)
		return
	}
	out.value(line, m, version, kind)
}

// nested checks a value that starts at line, under key of its parent
// ("" for a list item), for an object that names a key twice; the error
// gives the line in the file and the path from the item.
func nested(raw json.RawMessage, line int, key string) error {
	var d *input.DuplicateKeyError
	if !errors.As(input.CheckJSON(raw), &d) {
		return nil
	}
	d.Line += line - 1
	d.First += line - 1
	switch {
	case key == "":
	case d.Path == "":
		d.Path = key
	default:
		d.Path = key + "." + d.Path
	}
	return d
}

func jsonErr(lr *lineReader, dec *json.Decoder, err error) error {
	if lr.nul {
		return errBinary
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("line %d: invalid JSON", lr.lineAt(se.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("line %d: the JSON ends early (truncated)", lr.lineAt(dec.InputOffset()))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("line %d: a JSON %s where %s is expected", lr.lineAt(te.Offset), te.Value, te.Type)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("line %d: cannot read the JSON", lr.lineAt(dec.InputOffset()))
}

// maxLine bounds one line of a YAML file.
const maxLine = 16 << 20

var (
	docSep    = regexp.MustCompile(`^(---|\.\.\.)(\s.*)?$`)
	itemsKey  = regexp.MustCompile(`^items:\s*(#.*)?$`)
	itemStart = regexp.MustCompile(`^( *)- `)
)

// yamlStream reads YAML documents line by line. A document's top-level
// items: sequence is cut into its items, each parsed on its own; any other
// document is parsed whole.
type yamlStream struct {
	out sink
	// the document being read
	start   int
	header  []string
	inItems bool
	indent  int
	chunk   []string
	chunkAt int
	pending []chunkItem
	// items holds when the document had an items: sequence.
	items bool
}

type chunkItem struct {
	line int
	m    map[string]any
}

func streamYAML(r *bufio.Reader, out sink) error {
	y := &yamlStream{out: out, start: 1}
	line := 0
	for {
		text, err := readLine(r)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if text == "" && errors.Is(err, io.EOF) {
			break
		}
		line++
		if strings.IndexByte(text, 0) >= 0 {
			return errBinary
		}
		y.line(line, strings.TrimRight(text, "\r\n"))
		if errors.Is(err, io.EOF) {
			break
		}
	}
	y.endDocument()
	return nil
}

func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		part, err := r.ReadSlice('\n')
		b.Write(part)
		if b.Len() > maxLine {
			return "", fmt.Errorf("a line longer than %d MiB", maxLine>>20)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return b.String(), err
		}
	}
}

func (y *yamlStream) line(n int, text string) {
	if (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...")) && docSep.MatchString(text) {
		y.endDocument()
		y.start = n + 1
		if strings.HasPrefix(text, "---") && strings.TrimSpace(text[3:]) != "" && !strings.HasPrefix(strings.TrimSpace(text[3:]), "#") {
			// A document that starts on the separator line.
			y.start = n
			y.header = append(y.header, strings.TrimSpace(text[3:]))
		}
		return
	}
	if y.inItems {
		var m []string
		if strings.HasPrefix(strings.TrimLeft(text, " "), "- ") {
			m = itemStart.FindStringSubmatch(text)
		}
		if m != nil && y.indent == -1 {
			y.indent = len(m[1])
		}
		switch {
		case m != nil && len(m[1]) == y.indent:
			y.flushItem()
			y.chunk, y.chunkAt = []string{text}, n
			return
		case strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#"):
			if y.chunk != nil {
				y.chunk = append(y.chunk, text)
			}
			return
		case y.indent >= 0 && indentOf(text) > y.indent:
			y.chunk = append(y.chunk, text)
			return
		}
		y.flushItem()
		y.inItems = false
	}
	if strings.HasPrefix(text, "items:") && itemsKey.MatchString(text) {
		y.inItems, y.items, y.indent = true, true, -1
		y.header = append(y.header, "")
		return
	}
	y.header = append(y.header, text)
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// flushItem parses the item just read. Items of a typed list carry no kind;
// they wait for the document's end.
func (y *yamlStream) flushItem() {
	if y.chunk == nil {
		return
	}
	text, line := strings.Join(y.chunk, "\n"), y.chunkAt
	y.chunk = nil
	var seq []map[string]any
	if err := yaml.Unmarshal([]byte(text), &seq); err != nil || len(seq) != 1 || seq[0] == nil {
		y.out.malformed(line, yamlItemReason(err))
		return
	}
	m := seq[0]
	if m["kind"] != nil && m["apiVersion"] != nil {
		y.out.value(line, m, "", "")
		return
	}
	y.pending = append(y.pending, chunkItem{line, m})
}

func yamlItemReason(err error) string {
	if err == nil {
		return "a list item is not an object"
	}
	return yamlReason(err)
}

// endDocument parses the document read so far: whole, or its header once
// its items were handed over.
func (y *yamlStream) endDocument() {
	if y.inItems {
		y.flushItem()
		y.inItems = false
	}
	header := strings.Join(y.header, "\n")
	start, items, pending := y.start, y.items, y.pending
	y.header, y.items, y.pending, y.indent = nil, false, nil, 0
	if strings.TrimSpace(stripComments(header)) == "" && !items {
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(header), &doc); err != nil {
		y.out.malformed(start+yamlLine(err)-1, yamlReason(err))
		return
	}
	if !items {
		shift(&doc, start-1)
		y.out.node(&doc)
		return
	}
	var head map[string]any
	_ = doc.Decode(&head)
	kind, _ := head["kind"].(string)
	version, _ := head["apiVersion"].(string)
	for _, p := range pending {
		if kind == "" || version == "" {
			y.out.malformed(p.line, "a list item without kind and apiVersion")
			continue
		}
		y.out.value(p.line, p.m, version, strings.TrimSuffix(kind, "List"))
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// shift moves a parsed document's line numbers to where it starts in the
// file.
func shift(n *yaml.Node, by int) {
	if n.Line > 0 {
		n.Line += by
	}
	for _, c := range n.Content {
		shift(c, by)
	}
}
