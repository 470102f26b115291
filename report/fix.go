package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// FixAction is one kind of repair, from a closed list: remediation plans
// and appliers switch on it.
type FixAction string

// The fix actions.
const (
	// Annotate sets annotation Key to Value on the object.
	Annotate FixAction = "annotate"
	// Label sets label Key to Value on the object.
	Label FixAction = "label"
	// RenameKey moves an annotation or label from From to Key, in the map
	// In names.
	RenameKey FixAction = "rename-key"
	// Restart restarts a workload so that new pods pick up their binding.
	Restart FixAction = "restart"
	// TrustSubject adds Subjects to the role's trust policy.
	TrustSubject FixAction = "trust-subject"
	// TrustProvider trusts the cluster's OIDC Provider in the role's
	// trust policy.
	TrustProvider FixAction = "trust-provider"
	// Associate creates an EKS Pod Identity association for the service
	// account in Cluster, to Role.
	Associate FixAction = "associate"
	// Grant grants Actions on Resources to the identity.
	Grant FixAction = "grant"
	// Federate creates a federated identity credential on the managed
	// Identity for Issuer, the one subject in Subjects and Audience.
	Federate FixAction = "federate"
	// AssignRole assigns Role (a role definition's GUID) to Principal
	// at Scope.
	AssignRole FixAction = "assign-role"
	// Unassign removes the role assignment named by Assignment, once a
	// narrower one is in place: a step by hand.
	Unassign FixAction = "unassign"
	// Bind adds Member with Role to the IAM policy of the Google service
	// account or bucket.
	Bind FixAction = "bind"
	// NodePoolMetadata sets the workload metadata mode Value on a GKE
	// node pool of Cluster; it recreates the pool's nodes.
	NodePoolMetadata FixAction = "node-pool-metadata"
	// DeleteKey deletes the user-managed key Key of a Google service
	// account: a step by hand, once nothing uses it.
	DeleteKey FixAction = "delete-key"
	// SetField sets the string Field (a dotted path in the object, such as
	// spec.objectStorage.config.region) from From to Value.
	SetField FixAction = "set-field"
	// UseIdentity switches a backup configuration's credentials to
	// InjectedIdentity, dropping its Secret reference.
	UseIdentity FixAction = "use-identity"
	// RemoveCredentials removes from a workload's pod template what reads
	// static credentials: Remove names each piece (env:<container>:<name>,
	// envFrom:<container>:<Secret>, volume:<name>).
	RemoveCredentials FixAction = "remove-credentials" //nolint:gosec // G101: the name of an action, not a credential
	// DeleteSecret deletes a Secret that holds static credentials; the
	// credential itself is revoked at the cloud by hand.
	DeleteSecret FixAction = "delete-secret"
	// DisableSharedKey turns shared-key access off on the storage account
	// Name, so that its static keys stop working.
	DisableSharedKey FixAction = "disable-shared-key"
	// Unbind removes Member's Role at Scope (projects/P, folders/F,
	// organizations/O, buckets/B) once Member holds object use on each
	// bucket of Resources (buckets/B).
	Unbind FixAction = "unbind"
	// NoHostNetwork runs a workload's pods without hostNetwork.
	NoHostNetwork FixAction = "no-host-network"
	// Narrow grants the role exactly Actions on Resources, then removes
	// Policy ("inline policy NAME" or "managed policy ARN"), which grants
	// beyond them.
	Narrow FixAction = "narrow"
)

// FixActions lists every action.
func FixActions() []FixAction {
	return []FixAction{Annotate, Label, RenameKey, Restart, TrustSubject, TrustProvider, Associate, Grant, Federate, AssignRole, Unassign, Bind, NodePoolMetadata, DeleteKey,
		SetField, UseIdentity, RemoveCredentials, DeleteSecret, DisableSharedKey, Unbind, NoHostNetwork, Narrow}
}

// Fix is what would repair a finding: one action on one object, with its
// parameters, and the command a person would run where one does it.
type Fix struct {
	Action FixAction `json:"action"`
	// Kind, Namespace and Name are the object the action changes.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Parameters, as the action reads them.
	Key  string `json:"key,omitempty"`
	From string `json:"from,omitempty"`
	// In is the map a renamed or set key is in: annotations, labels, or
	// the pod template's (template.annotations, template.labels); an
	// annotation or label without it is the object's own.
	In string `json:"in,omitempty"`
	// Field is the dotted path of the field set-field sets.
	Field string `json:"field,omitempty"`
	// Remove names what remove-credentials removes.
	Remove []string `json:"remove,omitempty"`
	// Policy names the policy narrow removes.
	Policy    string   `json:"policy,omitempty"`
	Value     string   `json:"value,omitempty"`
	Subjects  []string `json:"subjects,omitempty"`
	Provider  string   `json:"provider,omitempty"`
	Role      string   `json:"role,omitempty"`
	Cluster   string   `json:"cluster,omitempty"`
	Actions   []string `json:"actions,omitempty"`
	Resources []string `json:"resources,omitempty"`
	// Azure: the managed identity's resource ID, the issuer and audience
	// of a federated credential, the principal (object) ID, the scope of
	// a role assignment, and the ID of an assignment.
	Identity   string `json:"identity,omitempty"`
	Issuer     string `json:"issuer,omitempty"`
	Audience   string `json:"audience,omitempty"`
	Principal  string `json:"principal,omitempty"`
	Scope      string `json:"scope,omitempty"`
	Assignment string `json:"assignment,omitempty"`
	// GCP: the member an IAM binding adds (serviceAccount:..., or a
	// principal identifier).
	Member string `json:"member,omitempty"`
	// Command is the one command that applies the fix by hand, if any.
	Command string `json:"command,omitempty"`
}

// Check says what a fix lacks for its action.
func (f Fix) Check() error {
	if !slices.Contains(FixActions(), f.Action) {
		return fmt.Errorf("fix action %q: want one of %s", f.Action, joinActions())
	}
	if f.Kind == "" || f.Name == "" {
		return fmt.Errorf("fix %s: needs the kind and name of the object it changes", f.Action)
	}
	var missing []string
	need := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	switch f.Action {
	case Annotate, Label:
		need(f.Key != "", "key")
		need(f.In == "" || slices.Contains(KeyMaps(), f.In), "in ("+strings.Join(KeyMaps(), ", ")+", or none)")
	case SetField:
		need(f.Field != "", "field")
	case RemoveCredentials:
		need(len(f.Remove) > 0, "remove")
	case Narrow:
		need(len(f.Actions) > 0, "actions")
		need(len(f.Resources) > 0, "resources")
		need(f.Policy != "", "policy")
	case Unbind:
		need(f.Member != "", "member")
		need(f.Role != "", "role")
		need(f.Scope != "", "scope")
	case RenameKey:
		need(f.Key != "", "key")
		need(f.From != "", "from")
		need(slices.Contains(KeyMaps(), f.In), "in ("+strings.Join(KeyMaps(), ", ")+")")
	case TrustSubject:
		need(len(f.Subjects) > 0, "subjects")
	case TrustProvider:
		need(f.Provider != "", "provider")
	case Associate:
		need(f.Cluster != "", "cluster")
	case Grant:
		need(len(f.Actions) > 0, "actions")
		need(len(f.Resources) > 0, "resources")
	case Federate:
		need(f.Identity != "", "identity")
		need(f.Issuer != "", "issuer")
		need(len(f.Subjects) == 1, "subjects (one)")
		need(f.Audience != "", "audience")
	case AssignRole:
		need(f.Principal != "", "principal")
		need(f.Role != "", "role")
		need(f.Scope != "", "scope")
	case Unassign:
		need(f.Assignment != "", "assignment")
	case Bind:
		need(f.Role != "", "role")
		need(f.Member != "", "member")
	case NodePoolMetadata:
		need(f.Cluster != "", "cluster")
		need(f.Value != "", "value")
	case DeleteKey:
		need(f.Key != "", "key")
	}
	if len(missing) > 0 {
		return fmt.Errorf("fix %s: needs %s", f.Action, strings.Join(missing, ", "))
	}
	return nil
}

// KeyMaps are the maps a renamed key may be in.
func KeyMaps() []string {
	return []string{"annotations", "labels", "template.annotations", "template.labels"}
}

func joinActions() string {
	var s []string
	for _, a := range FixActions() {
		s = append(s, string(a))
	}
	return strings.Join(s, ", ")
}

// FindingKey is a finding's stable identity: the control, the resource,
// and what is wrong with it as the control names it (no counts, no
// message). Messages may change between versions; keys may not.
func FindingKey(control string, r Resource, problem string) string {
	k := control + "|" + r.Kind + "/" + r.Namespace + "/" + r.Name
	if problem != "" {
		k += "|" + problem
	}
	return k
}

// Fingerprint is a short hash of a key, for SARIF, waivers and baselines.
func Fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
