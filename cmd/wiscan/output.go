package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/wiscan/wiscan/report"
)

// output is one --format: a format written to stdout or a file; or the
// metrics pushed to a Pushgateway.
type output struct {
	format report.Format
	path   string // empty for stdout
	push   *report.Pushgateway
}

func parseFormats(specs []string) ([]output, error) {
	var out []output
	for _, s := range specs {
		name, path, _ := strings.Cut(s, "=")
		f, ok := report.LookupFormat(name)
		if !ok {
			return nil, usageErr("--output %q: want one of %s, optionally =FILE", s, strings.Join(report.FormatNames(), ", "))
		}
		if path == "-" {
			path = ""
		}
		out = append(out, output{format: f, path: path})
	}
	var stdout []string
	for _, o := range out {
		if o.path == "" {
			stdout = append(stdout, o.format.Name)
		}
	}
	if len(stdout) > 1 {
		return nil, usageErr("--output: %s would all go to stdout, where they would run together; give all but one a file (FORMAT=FILE)", strings.Join(stdout, ", "))
	}
	return out, nil
}

func (a *app) write(ctx context.Context, r report.Report, outs []output, g gate) error {
	var errs []error
	for _, o := range outs {
		if o.push != nil {
			if err := o.push.Push(ctx, r, report.Options{FailOn: g.failOn, FailOnUnknown: g.failOnUnknown, ReportAPI: g.reportAPI}); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		w, err := a.create(o.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		opts := report.Options{FailOn: g.failOn, FailOnUnknown: g.failOnUnknown, ReportAPI: g.reportAPI}
		if o.path == "" {
			opts.Color = isTerminal(a.stdout) && os.Getenv("NO_COLOR") == ""
			opts.Width = a.width()
		}
		if err := o.format.New(w, opts).Write(ctx, r); err != nil {
			w.abort()
			errs = append(errs, fmt.Errorf("write %s: %w", o.format.Name, err))
			continue
		}
		if err := w.commit(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// width is the terminal's width for the table on stdout: its size when
// stdout is a terminal, else COLUMNS when set, else 0 (lines whole).
func (a *app) width() int {
	if f, ok := a.stdout.(*os.File); ok && isTerminal(f) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

// outFile is an output being written: commit makes it final, abort drops
// it and leaves what was there before.
type outFile struct {
	io.Writer
	commit func() error
	abort  func()
}

// create opens path for writing, or stdout for "" and "-". A regular file
// (or a new one) is written to a temporary file beside it and renamed into
// place when complete, so that a failure never leaves a half report and an
// old report survives it. A device, FIFO or socket (/dev/stdout, a process
// substitution) is written directly, never replaced; a symbolic link is
// written through to its target.
func (a *app) create(path string) (*outFile, error) {
	if path == "" || path == "-" {
		return &outFile{Writer: a.stdout, commit: func() error { return nil }, abort: func() {}}, nil
	}
	target := linkTarget(path)
	info, err := os.Stat(target)
	mode := fs.FileMode(0o644)
	switch {
	case err == nil && info.IsDir():
		return nil, fmt.Errorf("write %s: is a folder", path)
	case err == nil && !info.Mode().IsRegular():
		f, err := os.OpenFile(target, os.O_WRONLY, 0) //nolint:gosec // G304: the output the user names, a device or FIFO written in place
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return &outFile{Writer: f, commit: func() error { return closeErr(path, f.Close()) }, abort: func() { _ = f.Close() }}, nil
	case err == nil:
		mode = info.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	abort := func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	commit := func() error {
		err := f.Sync()
		if err == nil {
			err = f.Chmod(mode)
		}
		if err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Rename(f.Name(), target)
		}
		if err != nil {
			abort()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	return &outFile{Writer: f, commit: commit, abort: abort}, nil
}

// linkTarget follows symbolic links to the file they name, dangling ones
// included, so that writing never replaces a link.
func linkTarget(path string) string {
	for range 40 {
		info, err := os.Lstat(path)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			return path
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return path
}

func closeErr(path string, err error) error {
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
