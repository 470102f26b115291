package main

import (
	"io/fs"
)

// fsys is the directory of role files.
type fsys = fs.FS

func readDirNames(dir fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func readFile(dir fs.FS, name string) ([]byte, error) { return fs.ReadFile(dir, name) }
