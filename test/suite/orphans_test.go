// Package suite checks the test suite itself.
package suite

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// testSources returns the text of every Go test file under dir, and for
// the repository's own testdata also the Makefile (make demo reads it).
func testSources(t *testing.T, dir string, whole bool) string {
	t.Helper()
	var b strings.Builder
	root := dir
	if whole {
		root = repoRoot()
	}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".cache" || d.Name() == ".git" || d.Name() == "testdata" || (!whole && p != root)) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") || (whole && d.Name() == "Makefile") {
			src, err := os.ReadFile(p) //nolint:gosec // G304: the repository's own files
			if err != nil {
				return err
			}
			b.Write(src)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A fixture no test reads is a defect of the suite: every entry of every
// testdata folder is named by a test of its package (the repository's own
// testdata by any test or the Makefile), a fuzz corpus belongs to a fuzz
// test of that name, and Markdown files are the fixtures' documentation.
// Golden files are checked by cmd/wiscan, which records each one it reads.
func TestNoOrphanTestdata(t *testing.T) {
	root := repoRoot()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".cache" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() && d.Name() == "testdata" {
			dirs = append(dirs, p)
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range dirs {
		pkg := filepath.Dir(td)
		whole := pkg == root
		src := testSources(t, pkg, whole)
		entries, err := os.ReadDir(td)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			rel, _ := filepath.Rel(root, filepath.Join(td, e.Name()))
			switch {
			case e.Name() == "golden" && whole:
			case e.Name() == "fuzz":
				fuzz, _ := os.ReadDir(filepath.Join(td, "fuzz"))
				for _, f := range fuzz {
					if !regexp.MustCompile(`func ` + regexp.QuoteMeta(f.Name()) + `\(`).MatchString(src) {
						t.Errorf("%s/%s: no fuzz test %s reads it", rel, f.Name(), f.Name())
					}
				}
			case e.IsDir() && whole:
				// The repository's testdata holds folders of fixtures: each
				// of their entries must be named.
				children, _ := os.ReadDir(filepath.Join(td, e.Name()))
				for _, c := range children {
					if !strings.HasSuffix(c.Name(), ".md") && !strings.Contains(src, "testdata/"+e.Name()+"/"+c.Name()) {
						t.Errorf("%s/%s: no test reads it", rel, c.Name())
					}
				}
			case strings.HasSuffix(e.Name(), ".md"):
			case !strings.Contains(src, "testdata/"+e.Name()) && !strings.Contains(src, `"testdata", "`+e.Name()+`"`):
				t.Errorf("%s: no test reads it", rel)
			}
		}
	}
}
