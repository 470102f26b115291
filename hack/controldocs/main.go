// Command controldocs writes docs/controls: one Markdown page a built-in
// control, from its policy's METADATA, and an index. A test holds the
// committed pages to what this writes.
//
//	go run ./hack/controldocs
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
)

func main() {
	if err := run("docs/controls"); err != nil {
		fmt.Fprintln(os.Stderr, "controldocs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	e, err := scan.NewEvaluator(context.Background(), scan.Config{})
	if err != nil {
		return err
	}
	cs := e.Controls()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	for _, c := range cs {
		if err := os.WriteFile(filepath.Join(dir, c.ID+".md"), []byte(report.ControlDoc(c)), 0o600); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(report.ControlsIndex(cs)), 0o600)
}
