// Command azuredata turns Azure's published built-in role definitions (the
// JSON that az role definition list prints, as the iam-dataset repository
// keeps it in azure/built-in-roles-raw.json) into the compact table that
// analysis/azure embeds: each role's ID, name and permissions, sorted by
// ID, with the source and date in a header field.
//
//	go run ./hack/azuredata -source URL-or-note -date YYYY-MM-DD < built-in-roles-raw.json > analysis/azure/data/builtin-roles.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

type permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

type role struct {
	Name        string       `json:"name"`
	RoleName    string       `json:"roleName"`
	RoleType    string       `json:"roleType"`
	Permissions []permission `json:"permissions"`
}

type out struct {
	Source string `json:"source"`
	Date   string `json:"date"`
	Roles  []role `json:"roles"`
}

func main() {
	source := flag.String("source", "", "where the definitions come from")
	date := flag.String("date", "", "when they were read (YYYY-MM-DD)")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *source, *date); err != nil {
		fmt.Fprintln(os.Stderr, "azuredata:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, w io.Writer, source, date string) error {
	if source == "" || date == "" {
		return fmt.Errorf("-source and -date are required")
	}
	var roles []role
	if err := json.NewDecoder(in).Decode(&roles); err != nil {
		return fmt.Errorf("read role definitions: %w", err)
	}
	kept := roles[:0]
	for _, r := range roles {
		if r.RoleType == "BuiltInRole" && r.Name != "" {
			for i := range r.Permissions {
				p := &r.Permissions[i]
				for _, l := range []*[]string{&p.Actions, &p.NotActions, &p.DataActions, &p.NotDataActions} {
					if *l == nil {
						*l = []string{}
					}
				}
			}
			kept = append(kept, r)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	// One role a line, so that a refresh reads as a diff of the roles
	// that changed.
	head, err := json.Marshal(out{Source: source, Date: date})
	if err != nil {
		return err
	}
	b := append(head[:len(head)-len(`null}`)], "[\n"...)
	for i, r := range kept {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b = append(b, line...)
		if i < len(kept)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "]}\n"...)
	_, err = w.Write(b)
	return err
}
