package gcp

import (
	_ "embed"
	"slices"
	"strings"
	"sync"

	"github.com/wiscan/wiscan/snapshot"
)

//go:embed data/roles.txt
var rolesTxt string

var (
	rolesOnce  sync.Once
	predefined map[string][]string
)

// Predefined returns a predefined role's storage.* permissions, and
// whether the shipped data knows the role.
func Predefined(role string) ([]string, bool) {
	rolesOnce.Do(func() {
		predefined = map[string][]string{}
		for line := range strings.Lines(rolesTxt) {
			if strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			if len(f) > 0 {
				predefined[f[0]] = f[1:]
			}
		}
	})
	p, ok := predefined[role]
	return p, ok
}

// rolePermissions are the storage.* permissions a role grants: a
// predefined role's from the shipped data, a custom role's as read. ok is
// false when the role is not known.
func rolePermissions(role string, g *snapshot.GCP) (perms []string, ok bool, why string) {
	if strings.HasPrefix(role, "roles/") {
		p, ok := Predefined(role)
		if !ok {
			return nil, false, "role " + role + " is not in the shipped predefined-role data (refresh it with make gcp-data)"
		}
		return p, true, ""
	}
	r, found := g.Roles[role]
	if !found {
		return nil, false, "custom role " + role + " was not read"
	}
	if r.Deleted {
		return nil, true, ""
	}
	out := []string{}
	for _, p := range r.Permissions {
		if strings.HasPrefix(p, "storage.") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, true, ""
}

// readOnly are the verbs of storage permissions that change nothing and
// read no object: a role that holds only these grants no storage access
// in the sense of WI-GCP-007 (roles/viewer lists buckets).
var readOnly = map[string]bool{
	"list": true, "listEffectiveTags": true, "listTagBindings": true, "viewIntelligenceDetails": true,
	"getObjectInsights": true, "getIamPolicy": true, "getIpFilter": true,
}

// storageWitness is a permission that makes a role storage-granting, ""
// for one that is not: an object permission first, else a storage
// permission that is not read-only metadata.
func storageWitness(perms []string) string {
	for _, p := range perms {
		if strings.HasPrefix(p, "storage.objects.") {
			return p
		}
	}
	for _, p := range perms {
		parts := strings.Split(p, ".")
		if !readOnly[parts[len(parts)-1]] && parts[len(parts)-1] != "get" {
			return p
		}
	}
	return ""
}

// objectUse is what a bucket-level grant may hold without being broader
// than the workload's use of objects: Storage Object Admin's permissions
// (the documented role).
func objectUse() map[string]bool {
	p, _ := Predefined("roles/storage.objectAdmin")
	out := map[string]bool{}
	for _, x := range p {
		out[x] = true
	}
	return out
}
