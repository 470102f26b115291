package report

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

func renderMarkdown(t *testing.T, r Report, o Options) (md, html string) {
	t.Helper()
	var b bytes.Buffer
	if err := (Markdown{W: &b, Options: o}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	var h bytes.Buffer
	// GitHub renders job summaries as GitHub Flavored Markdown.
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(b.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	return b.String(), h.String()
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`<t[dh][ >]`)
)

// Rendered as GitHub renders job summaries, the summary states the
// verdict and the counts, has a table per kind of result with every row as
// wide as its head, and no value from the cluster becomes markup: no
// tag, image, link or extra cell.
func TestMarkdownSummary(t *testing.T) {
	md, html := renderMarkdown(t, hostileReport(), Options{FailOn: High, FailOnUnknown: true})
	for _, want := range []string{
		"<strong>FAIL: findings at or above high</strong>",
		"<h3>Findings (2)</h3>", "<h3>Unknown for want of data (1)</h3>", "<h3>Waived (1)</h3>",
		"<td>agreed with the house</td>", "<td>waivers.yaml:4</td>",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"profile spaces-billing matched no namespaces",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the rendered summary lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script", "<img", "<a href", "\x1b", "\x07"} {
		if strings.Contains(html, bad) {
			t.Errorf("a value became markup (%q):\n%s", bad, html)
		}
	}
	tables := strings.Split(html, "<table>")[1:]
	if len(tables) != 4 {
		t.Fatalf("%d tables, want the counts and three result tables:\n%s", len(tables), md)
	}
	for i, tb := range tables {
		rows := rowRE.FindAllStringSubmatch(tb, -1)
		width := len(cellRE.FindAllString(rows[0][1], -1))
		for _, row := range rows[1:] {
			if n := len(cellRE.FindAllString(row[1], -1)); n != width {
				t.Errorf("table %d: a row of %d cells under a head of %d: %s", i, n, width, row[1])
			}
		}
	}
}

// Each table stops at MaxMarkdownRows and says how many more the JSON
// report has; without a gate the verdict is a plain report.
func TestMarkdownBounded(t *testing.T) {
	r := Report{Summary: Summary{Controls: map[Status]int{}, Findings: map[Severity]int{}}}
	for i := range MaxMarkdownRows + 7 {
		r.Findings = append(r.Findings, Finding{ControlID: "WI-K8S-010", Status: Fail, Severity: Critical, Message: fmt.Sprint("secret ", i), Resource: Resource{Kind: "Secret", Namespace: "ns", Name: fmt.Sprint("s", i)}})
	}
	md, html := renderMarkdown(t, r, Options{})
	if n := strings.Count(html, "<td>critical</td>"); n != MaxMarkdownRows {
		t.Errorf("%d rows, want %d", n, MaxMarkdownRows)
	}
	if !strings.Contains(md, "…and 7 more in the JSON report.") || !strings.Contains(md, "**REPORT**") {
		t.Errorf("the cut or the verdict is not said:\n%.300s", md[len(md)-300:])
	}
}

// The summary lists findings as the table does: the highest severity
// first, where the report lists them by namespace (the medium finding's
// namespace, default, comes first there).
func TestMarkdownOrder(t *testing.T) {
	md, _ := renderMarkdown(t, hostileReport(), Options{FailOn: High})
	high, medium := strings.Index(md, "| high | WI-K8S-002"), strings.Index(md, "| medium | WI-K8S-013")
	if high < 0 || medium < 0 || high > medium {
		t.Errorf("high at %d, medium at %d:\n%s", high, medium, md)
	}
}
