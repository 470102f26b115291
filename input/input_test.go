package input

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Each case names the line, object and key of the second occurrence; the
// clean documents, nested keys of the same name in other objects among
// them, pass.
func TestCheckJSON(t *testing.T) {
	cases := []struct {
		name, doc string
		want      *DuplicateKeyError
	}{
		{"clean", `{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}`, nil},
		{"same key in sibling objects", `[{"k": 1}, {"k": 2}]`, nil},
		{"string value equal to a key", `{"a": "b", "b": "a"}`, nil},
		{"top level", "{\n\"data\": {\"k\": \"dg==\"},\n\"data\": {}\n}", &DuplicateKeyError{Line: 3, Key: "data", First: 2}},
		{"kubectl list item", "{\"items\": [\n {\"kind\": \"Secret\"},\n {\"kind\": \"Secret\",\n  \"data\": {\"a\": \"x\"},\n  \"data\": {}}\n]}",
			&DuplicateKeyError{Line: 5, Path: "items[1]", Key: "data", First: 4}},
		{"nested under a key", `{"Statement": [{"Condition": {"StringEquals": {"aud": "x", "aud": "y"}}}]}`,
			&DuplicateKeyError{Line: 1, Path: "Statement[0].Condition.StringEquals", Key: "aud", First: 1}},
		{"escaped spelling of the same key", `{"a": 1, "\u0061": 2}`, &DuplicateKeyError{Line: 1, Key: "a", First: 1}},
		{"after scalars in an array", `[1, "x", {"b": 1, "b": 2}]`, &DuplicateKeyError{Line: 1, Path: "[2]", Key: "b", First: 1}},
		{"syntax error is left to the decoder", `{"a": `, nil},
		{"a document that ends on a key", `{"a"`, nil},
		// Spaces before the line break that precedes the key: the line is
		// the key's.
		{"key after trailing spaces", "{\"a\": 1,   \n\"a\": 2}", &DuplicateKeyError{Line: 2, Key: "a", First: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckJSON([]byte(c.doc))
			if c.want == nil {
				if err != nil {
					t.Fatalf("got %v, want none", err)
				}
				return
			}
			var got *DuplicateKeyError
			if !errors.As(err, &got) || !errors.Is(err, ErrDuplicateKey) {
				t.Fatalf("got %v, want %+v", err, c.want)
			}
			if *got != *c.want {
				t.Errorf("got %+v, want %+v", *got, *c.want)
			}
		})
	}
}

func TestDuplicateKeyMessage(t *testing.T) {
	// Without the first occurrence's line, none is claimed.
	if got := (&DuplicateKeyError{Line: 3, Key: "k"}).Error(); got != `line 3: the top-level object names key "k" twice` {
		t.Errorf("got %q", got)
	}
	err := CheckJSON([]byte("{\"items\": [{\"data\": 1,\n\"data\": 2}]}"))
	const want = `line 2: items[0] names key "data" twice (first at line 1)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestCheckNode(t *testing.T) {
	var n yaml.Node
	// yaml.v3 keeps both keys in a node: the check must find them.
	if err := yaml.Unmarshal([]byte("{\"Role\": {\"RoleName\": \"a\",\n \"RoleName\": \"b\"}}"), &n); err != nil {
		t.Fatal(err)
	}
	err := CheckNode(&n)
	var d *DuplicateKeyError
	if !errors.As(err, &d) || d.Line != 2 || d.Path != "Role" || d.Key != "RoleName" {
		t.Errorf("got %v", err)
	}
	// In a list item too.
	if err := yaml.Unmarshal([]byte("a: [{b: 1}, {c: 1, c: 2}]\n"), &n); err != nil {
		t.Fatal(err)
	}
	if err := CheckNode(&n); !errors.As(err, &d) || d.Path != "a[1]" || d.Key != "c" {
		t.Errorf("list item: %v", err)
	}
	if err := yaml.Unmarshal([]byte("a: [{b: 1}, {b: 2}]\n"), &n); err != nil {
		t.Fatal(err)
	}
	if err := CheckNode(&n); err != nil {
		t.Errorf("clean document: %v", err)
	}
}

func TestReadFileBound(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 11)), 0o600); err != nil {
		t.Fatal(err)
	}
	l := Limit{What: "a test file", Bytes: 10}
	_, err := ReadFile(t.Context(), p, l)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than 10 bytes, the limit for a test file") {
		t.Errorf("over the bound: %v", err)
	}
	l.Bytes = 11
	if b, err := ReadFile(t.Context(), p, l); err != nil || len(b) != 11 {
		t.Errorf("at the bound: %d bytes, %v", len(b), err)
	}
	// An endless device ends at the bound, not when memory runs out.
	if _, err := ReadFile(t.Context(), "/dev/zero", Profile); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("/dev/zero: %v", err)
	}
}

// A FIFO nobody writes blocks the open; one whose writer sends nothing
// blocks the read. The context ends both.
func TestReadFileCancelled(t *testing.T) {
	dir := t.TempDir()
	for _, writer := range []bool{false, true} {
		p := filepath.Join(dir, map[bool]string{false: "no-writer", true: "silent-writer"}[writer])
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		if writer {
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0) //nolint:gosec // G304: the test's own FIFO
				if err == nil {
					t.Cleanup(func() { _ = w.Close() })
				}
			}()
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(ctx, p, Waivers)
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("%s: returned before the cancel: %v", p, err)
		case <-time.After(100 * time.Millisecond):
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %v, want the cancel naming the file", p, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: still reading a minute after the cancel", p)
		}
	}
}

// MayRepeatKeys says no exactly when no object names a key twice: keys in
// strings, escapes and nesting do not fool its count.
func TestMayRepeatKeys(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"a": 1, "b": {"c": [1, {"d": 2}]}}`:          false,
		`{"a": 1, "a": 2}`:                             true,
		`{"a": {"b": 1, "b": 1}}`:                      true,
		`[{"x": 1}, {"x": 2}]`:                         false,
		`{"s": "a \"quoted\": colon", "t": "\\"}`:      false,
		`{"s": "x", "k" : {"k": "v"}, "l": ["a:", 1]}`: false,
		`{"k" : 1, "k"` + "\n" + `: 2}`:                true,
		`{"a": "unterminated}`:                         true,
	} {
		var v any
		_ = json.Unmarshal([]byte(doc), &v)
		if got := MayRepeatKeys([]byte(doc), v); got != want {
			t.Errorf("%s: %v, want %v", doc, got, want)
		}
		if !want {
			if err := CheckJSON([]byte(doc)); err != nil {
				t.Errorf("%s: CheckJSON %v", doc, err)
			}
		}
	}
}

// MayRepeatKeys never says no to a document CheckJSON finds a repeated
// key in.
func FuzzMayRepeatKeys(f *testing.F) {
	for _, seed := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `{"s":"\"k\":","k":1}`, `[{"x":1},{"x":1}]`, `{"u":"\u0022","u":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if CheckJSON(b) != nil && !MayRepeatKeys(b, v) {
			t.Errorf("%s: a repeated key CheckJSON finds, MayRepeatKeys misses", b)
		}
	})
}
