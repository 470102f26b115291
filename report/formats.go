package report

import (
	"io"
	"slices"
	"strings"
)

// Options are what a writer may need besides the report: the exit gate
// the table states, and, when it writes to a terminal, colours and width.
type Options struct {
	FailOn        Severity
	FailOnUnknown bool
	Color         bool
	// Width is the terminal's width; 0 leaves lines whole.
	Width int
	// ReportAPI is the group of the policyreport format's objects
	// (wgpolicyk8s.io, the default, or openreports.io).
	ReportAPI string
}

// Format is one output format: its name on the command line, a few words
// for --help, and the writer it makes.
type Format struct {
	Name string
	Help string
	New  func(w io.Writer, o Options) Writer
}

// formats is the one table of output formats: the CLI's --output, its
// help and its validation read it.
var formats = []Format{
	{Name: "table", Help: "a table for people", New: func(w io.Writer, o Options) Writer {
		return Table{W: w, FailOn: o.FailOn, FailOnUnknown: o.FailOnUnknown, Color: o.Color, Width: o.Width}
	}},
	{Name: "json", Help: "the whole report as JSON, format " + SchemaVersion, New: func(w io.Writer, _ Options) Writer {
		return JSON{W: w}
	}},
	{Name: "sarif", Help: "SARIF 2.1.0 for code scanning", New: func(w io.Writer, _ Options) Writer {
		return SARIF{W: w}
	}},
	{Name: "junit", Help: "JUnit XML, a test case per control (failed at or above --fail-on)", New: func(w io.Writer, o Options) Writer {
		return JUnit{W: w, FailOn: o.FailOn}
	}},
	{Name: "markdown", Help: "a Markdown summary for a CI job page", New: func(w io.Writer, o Options) Writer {
		return Markdown{W: w, Options: o}
	}},
	{Name: "policyreport", Help: "PolicyReport objects (" + PolicyReportAPIVersion + ", or " + OpenReportsAPIVersion + " with --policyreport-api), one per target namespace and one for the cluster, as a YAML stream for kubectl apply", New: func(w io.Writer, o Options) Writer {
		return PolicyReports{W: w, API: o.ReportAPI}
	}},
	{Name: "prometheus", Help: "metrics in Prometheus' text format", New: func(w io.Writer, o Options) Writer {
		return Prometheus{W: w, Options: o}
	}},
}

// Formats returns every output format, in table order.
func Formats() []Format { return slices.Clone(formats) }

// LookupFormat returns the format named name, in any case.
func LookupFormat(name string) (Format, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// FormatNames lists the formats' names, in table order.
func FormatNames() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.Name
	}
	return out
}

// FormatHelp describes the formats for --help: "table (a table for
// people), json (...)".
func FormatHelp() string {
	parts := make([]string, len(formats))
	for i, f := range formats {
		parts[i] = f.Name + " (" + f.Help + ")"
	}
	return strings.Join(parts, ", ")
}
