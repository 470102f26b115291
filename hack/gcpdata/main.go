// Command gcpdata turns Google's published predefined IAM roles (one JSON
// file a role, as `gcloud iam roles describe` prints it and the
// iam-dataset repository keeps them in gcp/roles) into the table that
// analysis/gcp embeds: every predefined role, one a line, with its
// storage.* permissions (a role without any is listed alone, so that it is
// known to grant no storage access), sorted, under a header that names the
// source and date.
//
//	go run ./hack/gcpdata -source URL -date YYYY-MM-DD DIR > analysis/gcp/data/roles.txt
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type role struct {
	Name                string   `json:"name"`
	IncludedPermissions []string `json:"includedPermissions"`
	Deleted             bool     `json:"deleted"`
}

func main() {
	source := flag.String("source", "", "where the roles come from")
	date := flag.String("date", "", "when they were read (YYYY-MM-DD)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gcpdata -source URL -date YYYY-MM-DD DIR")
		os.Exit(2)
	}
	if err := run(os.DirFS(flag.Arg(0)), os.Stdout, *source, *date); err != nil {
		fmt.Fprintln(os.Stderr, "gcpdata:", err)
		os.Exit(1)
	}
}

func run(dir fsys, w io.Writer, source, date string) error {
	if source == "" || date == "" {
		return errors.New("-source and -date are required")
	}
	names, err := readDirNames(dir)
	if err != nil {
		return err
	}
	var lines []string
	for _, n := range names {
		if filepath.Ext(n) != ".json" {
			continue
		}
		b, err := readFile(dir, n)
		if err != nil {
			return err
		}
		var r role
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if !strings.HasPrefix(r.Name, "roles/") || r.Deleted {
			continue
		}
		fields := []string{r.Name}
		for _, p := range r.IncludedPermissions {
			if strings.HasPrefix(p, "storage.") {
				fields = append(fields, p)
			}
		}
		sort.Strings(fields[1:])
		lines = append(lines, strings.Join(fields, " "))
	}
	if len(lines) == 0 {
		return errors.New("no role definitions found")
	}
	sort.Strings(lines)
	_, err = fmt.Fprintf(w, "# GCP predefined roles, one a line: the role's name, then its storage.*\n# permissions (a role with none is listed alone: it is known to grant no\n# storage access).\n# Source: %s\n# Date: %s\n%s\n", source, date, strings.Join(lines, "\n"))
	return err
}
