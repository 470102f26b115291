package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wiscan/wiscan/report"
)

// output is one --format: a format written to stdout or a file.
type output struct {
	format string
	path   string // empty for stdout
}

var formats = []string{"table", "json"}

func parseFormats(specs []string) ([]output, error) {
	var out []output
	for _, s := range specs {
		name, path, _ := strings.Cut(s, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(formats, name) {
			return nil, usageErr("--format %q: want one of %s, optionally =FILE", s, strings.Join(formats, ", "))
		}
		if path == "-" {
			path = ""
		}
		out = append(out, output{format: name, path: path})
	}
	return out, nil
}

func (a *app) write(ctx context.Context, r report.Report, outs []output, failOn report.Severity) error {
	var errs []error
	for _, o := range outs {
		w, done, err := a.create(o.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var wr report.Writer
		switch o.format {
		case "table":
			wr = report.Table{W: w, Color: o.path == "" && isTerminal(a.stdout) && os.Getenv("NO_COLOR") == "", FailOn: failOn}
		case "json":
			wr = report.JSON{W: w}
		}
		if err := wr.Write(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", o.format, err))
		}
		if err := done(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// create opens path for writing, or stdout for "" and "-". The file is
// written beside its final name and renamed when done, so that a failed
// write never leaves a half report.
func (a *app) create(path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", path, err)
	}
	done := func() error {
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Rename(f.Name(), path); err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	return f, done, nil
}
