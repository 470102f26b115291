package azure

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/wiscan/wiscan/snapshot"
)

//go:embed data/operations.txt
var operationsText []byte

//go:embed data/builtin-roles.json
var builtinRolesJSON []byte

// StorageBlobDataContributor is the role the documented setup grants, by
// its ID: display names are compared nowhere.
const StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

// Provider is the one resource provider whose operations the shipped data
// lists; a wildcard is expanded against them, and an operation of another
// provider is not known.
const Provider = "microsoft.storage/"

// known is the shipped data: the provider's operations and the built-in
// role definitions by ID.
type known struct {
	actions, data []string
	roles         map[string]snapshot.RoleDefinition
}

var (
	loadOnce sync.Once
	shipped  known
)

func data() known {
	loadOnce.Do(func() {
		shipped = mustLoad(operationsText, builtinRolesJSON)
	})
	return shipped
}

// mustLoad reads the embedded data; it is part of the binary, and a test
// reads it, so a broken file cannot ship.
func mustLoad(ops, roles []byte) known {
	var k known
	sc := bufio.NewScanner(bytes.NewReader(ops))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, name, ok := strings.Cut(line, " ")
		switch {
		case ok && kind == "action":
			k.actions = append(k.actions, name)
		case ok && kind == "data":
			k.data = append(k.data, name)
		default:
			panic(fmt.Sprintf("operations.txt: line %q: want action NAME or data NAME", line))
		}
	}
	var file struct {
		Roles []struct {
			Name        string                    `json:"name"`
			RoleName    string                    `json:"roleName"`
			Permissions []snapshot.RolePermission `json:"permissions"`
		} `json:"roles"`
	}
	if err := json.Unmarshal(roles, &file); err != nil {
		panic("builtin-roles.json: " + err.Error())
	}
	k.roles = make(map[string]snapshot.RoleDefinition, len(file.Roles))
	for _, r := range file.Roles {
		k.roles[strings.ToLower(r.Name)] = snapshot.RoleDefinition{
			ID: "/providers/Microsoft.Authorization/roleDefinitions/" + r.Name, Name: r.RoleName, Type: "BuiltInRole", Permissions: r.Permissions,
		}
	}
	return k
}

// match reports whether an action pattern (with * for any run of
// characters) matches op; Azure compares operations without case.
func match(pattern, op string) bool {
	p, s := strings.ToLower(pattern), strings.ToLower(op)
	// Iterative glob matching with one backtrack point.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func matchAny(patterns []string, op string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, op) })
}

// grants reports whether a permission block allows op, a data action when
// isData.
func grants(p snapshot.RolePermission, op string, isData bool) bool {
	if isData {
		return matchAny(p.DataActions, op) && !matchAny(p.NotDataActions, op)
	}
	return matchAny(p.Actions, op) && !matchAny(p.NotActions, op)
}

// roleGrants reports whether any permission block of a role allows op.
func roleGrants(r snapshot.RoleDefinition, op string, isData bool) bool {
	return slices.ContainsFunc(r.Permissions, func(p snapshot.RolePermission) bool { return grants(p, op, isData) })
}

// Beyond is what a role allows that another does not: a witness operation,
// or why that cannot be decided.
type Beyond struct {
	// Witness is an operation the role allows and the baseline does not.
	Witness string `json:"witness,omitempty"`
	Data    bool   `json:"data,omitempty"`
	// Undecided names the patterns the shipped operations cannot expand:
	// another provider's, or an operation the data does not list.
	Undecided []string `json:"undecided,omitempty"`
}

// beyond compares role with baseline over every operation the shipped
// data lists: the first one (in the data's order, data actions last) that
// role allows and baseline does not is the witness. A pattern that can
// allow an operation the data does not list (another provider's, or one
// the data lacks) leaves the answer undecided, unless a witness is found.
func beyond(role, baseline snapshot.RoleDefinition) Beyond {
	k := data()
	for _, d := range witnessOrder(k) {
		for _, op := range d.ops {
			if roleGrants(role, op, d.data) && !roleGrants(baseline, op, d.data) {
				return Beyond{Witness: op, Data: d.data}
			}
		}
	}
	var b Beyond
	for _, p := range role.Permissions {
		for _, d := range []struct {
			patterns []string
			ops      []string
			data     bool
		}{{p.Actions, k.actions, false}, {p.DataActions, k.data, true}} {
			for _, pat := range d.patterns {
				if !coveredByData(pat, d.ops) {
					b.Undecided = append(b.Undecided, pat)
				}
			}
		}
	}
	return b
}

// listKeys is the witness that says most: the account's static keys.
const listKeys = "Microsoft.Storage/storageAccounts/listkeys/action"

type opList struct {
	ops  []string
	data bool
}

// witnessOrder is the order operations are tried as witnesses: the
// account keys, then data actions, then the actions on a storage account
// (which apply at its scope), then the provider's other actions.
func witnessOrder(k known) []opList {
	var account, other []string
	for _, op := range k.actions {
		if strings.HasPrefix(strings.ToLower(op), "microsoft.storage/storageaccounts/") {
			account = append(account, op)
		} else {
			other = append(other, op)
		}
	}
	return []opList{{[]string{listKeys}, false}, {k.data, true}, {account, false}, {other, false}}
}

// coveredByData holds when every operation pat can match is one the data
// lists: a literal that it lists, or a wildcard confined to the provider
// the data covers in full.
func coveredByData(pat string, ops []string) bool {
	lower := strings.ToLower(pat)
	if !strings.Contains(lower, "*") {
		return slices.ContainsFunc(ops, func(op string) bool { return strings.EqualFold(op, pat) })
	}
	return strings.HasPrefix(lower, Provider)
}
