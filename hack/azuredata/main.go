// Command azuredata turns Azure's published facts into the data files
// that analysis/azure embeds:
//
//   - the built-in role definitions (the JSON that az role definition
//     list prints, as the iam-dataset repository keeps it in
//     azure/built-in-roles-raw.json) into a compact table of each role's
//     ID, name and permissions, sorted by ID, with the source and date;
//
//   - with -operations, Microsoft Learn's "Azure permissions for Storage"
//     page (its markdown source) into the list of Microsoft.Storage
//     actions and data actions, with the source and date in its header.
//
//     go run ./hack/azuredata -source URL -date YYYY-MM-DD < built-in-roles-raw.json > analysis/azure/data/builtin-roles.json
//     go run ./hack/azuredata -operations -source URL -date YYYY-MM-DD < storage.md > analysis/azure/data/operations.txt
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
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
	ops := flag.Bool("operations", false, "read the Storage permissions page instead of role definitions")
	flag.Parse()
	do := run
	if *ops {
		do = operations
	}
	if err := do(os.Stdin, os.Stdout, *source, *date); err != nil {
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

// operations reads the permissions page's Microsoft.Storage section: its
// table rows name actions until the DataAction header row, then data
// actions. Each is written once, in the page's order.
func operations(in io.Reader, w io.Writer, source, date string) error {
	if source == "" || date == "" {
		return fmt.Errorf("-source and -date are required")
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	var out []string
	seen := map[string]bool{}
	inStorage, data := false, false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			inStorage, data = strings.TrimSpace(line[3:]) == "Microsoft.Storage", false
			continue
		case !inStorage:
			continue
		case strings.Contains(line, "**DataAction**"):
			data = true
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "Microsoft.Storage/") {
			continue
		}
		kind := "action"
		if data {
			kind = "data"
		}
		op := kind + " " + strings.TrimSpace(cells[1])
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("no Microsoft.Storage operation found: not the Storage permissions page")
	}
	head := fmt.Sprintf(`# Microsoft.Storage resource provider operations: every action and data
# action Azure RBAC knows for the provider, one per line, "action NAME" or
# "data NAME". Wildcards in role definitions are expanded against this list.
# Source: %s, read %s (make azure-data).
`, source, date)
	_, err = io.WriteString(w, head+strings.Join(out, "\n")+"\n")
	return err
}
