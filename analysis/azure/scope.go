package azure

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrScope marks a scope that is not an Azure resource ID of a known
// shape.
var ErrScope = errors.New("malformed scope")

// Scope kinds, from the widest.
const (
	Root            = "root"
	ManagementGroup = "management group"
	Subscription    = "subscription"
	ResourceGroup   = "resource group"
	Resource        = "resource"
)

// Scope is a parsed Azure scope: its kind and its path segments.
type Scope struct {
	Kind string
	// segments are the ID's parts, in lower case (Azure compares IDs
	// without case).
	segments []string
}

var (
	guid    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	segment = regexp.MustCompile(`^[^/\s]+$`)
)

// ParseScope parses a scope strictly: /, a management group
// (/providers/Microsoft.Management/managementGroups/<id>), a subscription
// (/subscriptions/<guid>), a resource group, or a resource under one
// (providers/<namespace>/<type>/<name>, with child types and names in
// pairs). Anything else is an error naming what is wrong, never the ID.
func ParseScope(id string) (Scope, error) {
	if id == "/" {
		return Scope{Kind: Root}, nil
	}
	if !strings.HasPrefix(id, "/") || strings.HasSuffix(id, "/") {
		return Scope{}, fmt.Errorf("%w: want a path that starts, and does not end, with /", ErrScope)
	}
	parts := strings.Split(id[1:], "/")
	for _, p := range parts {
		if !segment.MatchString(p) {
			return Scope{}, fmt.Errorf("%w: an empty part or one with a space", ErrScope)
		}
	}
	lower := make([]string, len(parts))
	for i, p := range parts {
		lower[i] = strings.ToLower(p)
	}
	switch {
	case len(parts) == 4 && lower[0] == "providers" && lower[1] == "microsoft.management" && lower[2] == "managementgroups":
		return Scope{Kind: ManagementGroup, segments: lower}, nil
	case lower[0] != "subscriptions" || len(parts) < 2:
		return Scope{}, fmt.Errorf("%w: want /subscriptions/<id>, a management group or /", ErrScope)
	case !guid.MatchString(parts[1]):
		return Scope{}, fmt.Errorf("%w: the subscription is not a GUID", ErrScope)
	case len(parts) == 2:
		return Scope{Kind: Subscription, segments: lower}, nil
	case lower[2] != "resourcegroups" || len(parts) < 4:
		return Scope{}, fmt.Errorf("%w: want resourceGroups/<name> after the subscription", ErrScope)
	case len(parts) == 4:
		return Scope{Kind: ResourceGroup, segments: lower}, nil
	case lower[4] != "providers" || len(parts) < 8 || len(parts)%2 != 0:
		return Scope{}, fmt.Errorf("%w: want providers/<namespace>/<type>/<name>, then types and names in pairs", ErrScope)
	}
	return Scope{Kind: Resource, segments: lower}, nil
}

// Contains reports whether s is t or above it. Root and management
// groups are above every subscription: the hierarchy of management groups
// is not read, and an assignment at one is in a listing for a principal
// only where it applies (assignedTo lists what applies at, above and below
// a scope).
func (s Scope) Contains(t Scope) bool {
	if s.Kind == Root || s.Kind == ManagementGroup {
		return t.Kind != Root && (t.Kind != ManagementGroup || s.Kind == Root || equal(s.segments, t.segments))
	}
	if len(s.segments) > len(t.segments) {
		return false
	}
	return equal(s.segments, t.segments[:len(s.segments)])
}

// Above reports whether s contains t and is not t.
func (s Scope) Above(t Scope) bool {
	return s.Contains(t) && (s.Kind != t.Kind || !equal(s.segments, t.segments))
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Child is the scope of a child resource of s: s/<type>/<name>.
func (s Scope) Child(kind, name string) Scope {
	return Scope{Kind: Resource, segments: append(append([]string{}, s.segments...), strings.ToLower(kind), strings.ToLower(name))}
}
