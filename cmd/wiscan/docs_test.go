package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
)

// docs/controls holds one page per control, as the controls' METADATA
// writes it now (go run ./hack/controldocs refreshes them), and nothing
// else; the alerts' runbook links name those pages, and the scan alerts'
// sections of docs/alerts.md.
func TestControlDocs(t *testing.T) {
	e, err := scan.NewEvaluator(context.Background(), scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "controls")
	want := map[string]string{"README.md": report.ControlsIndex(e.Controls())}
	for _, c := range e.Controls() {
		want[c.ID+".md"] = report.ControlDoc(c)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if _, ok := want[en.Name()]; !ok {
			t.Errorf("docs/controls/%s documents no control", en.Name())
		}
	}
	for name, page := range want {
		b, err := os.ReadFile(filepath.Join(dir, name)) //nolint:gosec // G304: the project's docs
		if err != nil || string(b) != page {
			t.Errorf("docs/controls/%s is missing or stale: go run ./hack/controldocs (%v)", name, err)
		}
	}
	alerts, err := os.ReadFile(filepath.Join("..", "..", "charts", "wiscan", "templates", "_alerts.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`runbook_url: [^\n]*`).FindAllString(string(alerts), -1)
	if n := strings.Count(string(alerts), "- alert: "); len(links) != n || n == 0 {
		t.Fatalf("%d runbook links, want one per alert: %v", len(links), links)
	}
	guide, _ := os.ReadFile(filepath.Join("..", "..", "docs", "alerts.md"))
	for _, l := range links {
		switch {
		case strings.Contains(l, report.DocsURL+"/{{ $labels.control }}.md"):
		case strings.Contains(l, "/docs/alerts.md#"):
			anchor := l[strings.Index(l, "#")+1 : len(l)-1]
			if !strings.Contains(strings.ToLower(string(guide)), "## "+anchor) {
				t.Errorf("docs/alerts.md has no section for %s", anchor)
			}
		default:
			t.Errorf("a runbook link to neither a control page nor docs/alerts.md: %s", l)
		}
	}
}
