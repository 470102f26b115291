package clouds

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

// The snapshot schema names the same clouds and methods as the table, so
// that a cloud added here cannot be refused (or a removed one accepted) by
// the schema.
func TestSchemaAgrees(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum  []string `json:"enum"`
				Items struct {
					Enum []string `json:"enum"`
				} `json:"items"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(snapshot.Schema, &doc); err != nil {
		t.Fatal(err)
	}
	withEmpty := func(xs []string) []string { return slices.Sorted(slices.Values(append([]string{""}, xs...))) }
	sorted := func(xs []string) []string { return slices.Sorted(slices.Values(xs)) }
	checks := []struct {
		where string
		got   []string
		want  []string
	}{
		{"profile.cloud", doc.Defs["profile"].Properties["cloud"].Enum, withEmpty(Names())},
		{"profile.method", doc.Defs["profile"].Properties["method"].Enum, withEmpty(Methods())},
		{"target.cloud", doc.Defs["target"].Properties["cloud"].Enum, withEmpty(Names())},
		{"target.method", doc.Defs["target"].Properties["method"].Enum, withEmpty(Methods())},
		{"target.annotated", doc.Defs["target"].Properties["annotated"].Items.Enum, sorted(Names())},
		{"credential.cloud", doc.Defs["credential"].Properties["cloud"].Enum, sorted(Names())},
	}
	for _, c := range checks {
		if got := sorted(c.got); !slices.Equal(got, c.want) {
			t.Errorf("schema %s lists %q, the clouds table %q", c.where, got, c.want)
		}
	}
}

// Every method belongs to one cloud, every name is unique, and a method
// without the annotation says what binds instead.
func TestTableConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.Name] || c.Name == "" || c.Title == "" || c.Annotation.Key == "" || c.Format.Pattern == "" {
			t.Errorf("cloud %+v: a name, title, annotation and format are required, the name once", c)
		}
		seen[c.Name] = true
		if c.AnnotationMethod() == "" {
			t.Errorf("cloud %s has no method that binds through its annotation", c.Name)
		}
		for _, m := range c.Methods {
			if seen["method "+m.Name] {
				t.Errorf("method %s listed twice", m.Name)
			}
			seen["method "+m.Name] = true
			if got, _ := OfMethod(m.Name); got.Name != c.Name {
				t.Errorf("method %s: OfMethod gives %q, want %s", m.Name, got.Name, c.Name)
			}
			if !m.Annotation && (m.Binding == "" || m.Unread == "") {
				t.Errorf("method %s binds on the cloud side but does not say how (binding) or where it is read (unread)", m.Name)
			}
		}
	}
	for _, p := range []string{"AWS", " aws ", "Azure", "GCP"} {
		if _, ok := OfProvider(p); !ok {
			t.Errorf("provider %q not recognised", p)
		}
	}
	if _, ok := OfProvider("minio"); ok {
		t.Error("provider minio recognised")
	}
}
