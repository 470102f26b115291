// Package remediate turns a report's fixes into a plan: the commands that
// apply each one, for a person to read and run. wiscan itself never runs
// them; a plan is written as a shell script whose every argument is quoted,
// so that no name from the cluster can become a command.
package remediate

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wiscan/wiscan/report"
)

// Step is one change: the command that makes it, or, where no command can
// be written safely from what the plan knows, what to do by hand.
type Step struct {
	// Action is the fix's action.
	Action report.FixAction
	// Object is the object the step changes: kind/namespace/name.
	Object string
	// Args is the command, one argument each; nil for a step by hand.
	Args []string
	// ByHand says what to do when there is no command.
	ByHand string
	// Caution says what else the command does, when it disrupts running
	// workloads, or what it waits for.
	Caution string
	// Needs is the plan flag a step that deletes or narrows needs and was
	// not given: such a step is listed with its command withheld.
	Needs string
	// Patch is a Kubernetes change as a JSON patch whose test operations
	// guard it: it applies only while the object holds what the scan read.
	Patch *Patch
	// Trust is a trust policy's new document, whole, and how it differs
	// from the one the scan read.
	Trust *TrustChange
	// Helm, for an object a Helm release owns, is the release and the
	// values that make the change there; a direct patch would be undone by
	// the release's next upgrade.
	Helm *Helm
	// Fix is the fix the step makes, as the control gave it.
	Fix report.Fix
	// Findings are the keys of the findings the step fixes, and Why their
	// controls and messages.
	Findings []string
	Why      []string
}

// Plan is the steps for a report, in the order to run them: changes to
// the cluster and the cloud first, then the restarts that let running pods
// pick them up, then what waits for the new identity to work (dropping
// static credentials), and deletions last.
type Plan struct {
	Steps []Step
	// Skipped counts the failures no step was planned for, and Waived
	// those a waiver accepts.
	Skipped, Waived int
	// Unplanned says, for each failure without a step and each unknown,
	// why none could be planned.
	Unplanned []Unplanned
}

// Unplanned is a finding no step was planned for, and why.
type Unplanned struct {
	Finding string `json:"finding"`
	Reason  string `json:"reason"`
}

// New plans the fixes of a report's failures from the report alone.
// Findings with the same step share it; waived findings and unknowns get
// none. A report holding a name that Validate refuses gets no plan at all.
func New(r report.Report) (Plan, error) {
	return Make(r, Options{})
}

// Make plans the fixes of a report's failures; with the snapshot the
// report was made from (Options.Snapshot) each step carries the exact
// change, guarded by what the scan read.
func Make(r report.Report, o Options) (Plan, error) {
	if err := Validate(r); err != nil {
		return Plan{}, err
	}
	if o.Snapshot != nil {
		if err := Matches(r, o.Snapshot); err != nil {
			return Plan{}, err
		}
	}
	return build(r, o), nil
}

// build plans a report's fixes without checking its names; quoting alone
// keeps them inert in the script.
func build(r report.Report, o Options) Plan {
	p := Plan{Unplanned: []Unplanned{}}
	st := newState(o)
	index := map[string]int{}
	add := func(s Step, f report.Finding) {
		id := string(s.Action) + "\x00" + s.Object + "\x00" + strings.Join(s.Args, "\x00") + "\x00" + s.ByHand + "\x00" + s.Needs
		i, ok := index[id]
		if !ok {
			i = len(p.Steps)
			index[id] = i
			p.Steps = append(p.Steps, s)
		}
		p.Steps[i].Findings = append(p.Steps[i].Findings, f.Key)
		p.Steps[i].Why = append(p.Steps[i].Why, f.ControlID+": "+f.Message)
	}
	var derived []report.Finding
	for _, f := range r.Findings {
		switch {
		case f.Status == report.Unknown:
			p.Unplanned = append(p.Unplanned, Unplanned{Finding: f.Key, Reason: "unknown: " + f.Message})
			continue
		case f.Status != report.Fail:
			continue
		case f.Waiver != nil:
			p.Waived++
			continue
		case f.Fix == nil:
			derived = append(derived, f)
			continue
		}
		for _, s := range st.steps(*f.Fix, o) {
			add(s, f)
		}
	}
	// Failures whose control gives no fix: a step another finding's fix
	// already makes, or one the state gives.
	for _, f := range derived {
		if i, ok := st.resolvedBy(f, p.Steps); ok {
			p.Steps[i].Findings = append(p.Steps[i].Findings, f.Key)
			p.Steps[i].Why = append(p.Steps[i].Why, f.ControlID+": "+f.Message)
			continue
		}
		if s, ok := st.derive(f); ok {
			add(s, f)
			continue
		}
		p.Skipped++
		p.Unplanned = append(p.Unplanned, Unplanned{Finding: f.Key, Reason: "no fix for " + f.ControlID + ": " + f.Remediation})
	}
	p.Steps = append(p.Steps, st.restarts(p.Steps)...)
	st.gate(p.Steps, r)
	slices.SortStableFunc(p.Steps, func(a, b Step) int {
		return rank(a.Action) - rank(b.Action)
	})
	return p
}

// rank orders the steps: changes, restarts, what waits for the identity
// to work, deletions.
func rank(a report.FixAction) int {
	switch a {
	case report.Restart:
		return 1
	case report.UseIdentity, report.RemoveCredentials, report.Unassign, report.Unbind, report.DisableSharedKey, report.Narrow:
		return 2
	case report.DeleteSecret, report.DeleteKey:
		return 3
	}
	return 0
}

// steps are the steps of one fix: one, or for a fix that narrows a grant
// the narrower grant first and then the removal of the broad one, which
// waits for --allow-narrowing.
func (st *state) steps(f report.Fix, o Options) []Step {
	var out []Step
	switch {
	case f.Action == report.Unassign && f.Principal != "" && f.Role != "" && f.Scope != "":
		out = append(out, st.step(report.Fix{Action: report.AssignRole, Kind: f.Kind, Name: f.Name, Principal: f.Principal, Role: f.Role, Scope: f.Scope}, o))
		s := step(f)
		s.Args, s.ByHand = []string{"az", "role", "assignment", "delete", "--ids=" + f.Assignment}, ""
		return append(out, narrowing(s, o))
	case f.Action == report.Narrow:
		out = append(out, st.step(report.Fix{Action: report.Grant, Kind: f.Kind, Name: f.Name, Role: f.Role, Actions: f.Actions, Resources: f.Resources}, o))
		return append(out, narrowing(step(f), o))
	case f.Action == report.Unbind:
		for _, r := range f.Resources {
			out = append(out, st.step(report.Fix{Action: report.Bind, Kind: "Bucket", Name: strings.TrimPrefix(r, "buckets/"), Member: f.Member, Role: ObjectUser}, o))
		}
		return append(out, narrowing(step(f), o))
	}
	return []Step{st.step(f, o)}
}

// ObjectUser is the bucket role a narrowed grant gives: object use.
const ObjectUser = "roles/storage.objectUser"

// narrowing withholds a step that removes access unless --allow-narrowing
// asks for it.
func narrowing(s Step, o Options) Step {
	if o.AllowNarrowing || s.Args == nil {
		return s
	}
	when := "once the narrower grant above is in place"
	if s.Action == report.DisableSharedKey {
		when = "once nothing uses the account's keys"
	}
	s.Needs, s.ByHand = "--allow-narrowing", when+": "+strings.Join(s.Args, " ")+" (--allow-narrowing plans it)"
	s.Args = nil
	return s
}

// step is the command for one fix: from the report alone, then made exact
// from the state where the plan has it.
func (st *state) step(f report.Fix, o Options) Step {
	s := step(f)
	st.exact(&s, f, o)
	return s
}

// step is the command for one fix, from the report alone.
func step(f report.Fix) (s Step) {
	s = Step{Action: f.Action, Object: object(f), Fix: f}
	defer func() {
		if s.Patch != nil {
			s.Args = s.Patch.args()
		}
	}()
	switch f.Action {
	case report.RenameKey:
		s.Patch, s.ByHand = renameKey(f)
	case report.Annotate, report.Label:
		if f.In != "" && f.In != string(f.Action)+"s" {
			s.Patch, s.ByHand = templateKey(f)
		} else {
			s.Args, s.ByHand = setKey(f)
		}
	case report.Restart:
		s.Args, s.ByHand = restart(f)
	case report.Associate:
		s.Args, s.ByHand = associate(f)
	case report.Grant:
		s.Args, s.ByHand = grant(f)
	case report.TrustSubject:
		s.ByHand = fmt.Sprintf("add to the trust policy of role %s, in the <issuer>:sub condition of its sts:AssumeRoleWithWebIdentity statement, the subjects %s (aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument, edit, then aws iam update-assume-role-policy; wiscan plan --snapshot writes the whole new document)",
			f.Role, strings.Join(f.Subjects, ", "), roleName(f.Role))
	case report.Federate:
		s.Args, s.ByHand = federate(f)
	case report.AssignRole:
		s.Args = []string{"az", "role", "assignment", "create", "--name=" + AssignmentName(f.Scope, f.Principal, f.Role), "--assignee-object-id=" + f.Principal, "--assignee-principal-type=ServicePrincipal",
			"--role=" + f.Role, "--scope=" + f.Scope}
	case report.Unassign:
		s.ByHand = fmt.Sprintf("once the identity holds the role it needs on the storage account, remove role assignment %s (az role assignment delete --ids %s)", f.Assignment, f.Assignment)
	case report.Bind:
		s.Args = bind(f)
	case report.NodePoolMetadata:
		s.Args, s.ByHand = nodePoolMetadata(f)
		s.Caution = "disruptive: GKE recreates every node of the pool to apply this, draining and rescheduling its pods"
	case report.DeleteKey:
		s.Args = []string{"gcloud", "iam", "service-accounts", "keys", "delete", f.Key, "--iam-account=" + f.Name, "--quiet"}
		s.Caution = "whatever still signs in with the key stops working"
	case report.TrustProvider:
		s.ByHand = fmt.Sprintf("let role %s be assumed by the cluster's OIDC provider %s with sts:AssumeRoleWithWebIdentity (aws iam update-assume-role-policy --role-name %s)", f.Role, f.Provider, roleName(f.Role))
	case report.SetField:
		s.ByHand = fmt.Sprintf("set %s of %s to %q (wiscan plan --snapshot writes the patch)", f.Field, s.Object, f.Value)
	case report.UseIdentity:
		s.ByHand = fmt.Sprintf("set spec.objectStorage.credentials.source of %s to InjectedIdentity and remove spec.objectStorage.credentials.secretRef (wiscan plan --snapshot writes the patch)", s.Object)
	case report.RemoveCredentials:
		s.ByHand = fmt.Sprintf("remove from the pod template of %s: %s (wiscan plan --snapshot writes the patch)", s.Object, strings.Join(f.Remove, ", "))
	case report.DeleteSecret:
		s.Args = []string{"kubectl", "delete", "--namespace=" + f.Namespace, "--", "secret", f.Name}
		s.Caution = "then revoke the credential it held at the cloud provider: deleting the Secret leaves the key valid"
	case report.DisableSharedKey:
		s.Args = []string{"az", "storage", "account", "update", "--ids=" + f.Name, "--allow-shared-key-access=false"}
		s.Caution = "the account's keys, and SAS tokens signed with them, stop working: check first that nothing else uses them"
	case report.Unbind:
		s.Args, s.ByHand = unbind(f)
	case report.NoHostNetwork:
		s.Patch, s.ByHand = noHostNetwork(f)
	case report.Narrow:
		s.Args, s.ByHand = narrow(f)
	default:
		s.ByHand = fmt.Sprintf("apply the %s fix to %s by hand", f.Action, s.Object)
	}
	return s
}

func object(f report.Fix) string {
	if f.Namespace == "" {
		return f.Kind + "/" + f.Name
	}
	return f.Kind + "/" + f.Namespace + "/" + f.Name
}

// resource is kubectl's name of a kind, for the kinds fixes change.
var resource = map[string]string{
	"ServiceAccount": "serviceaccount", "Deployment": "deployment", "StatefulSet": "statefulset",
	"DaemonSet": "daemonset", "Job": "job", "CronJob": "cronjob", "Pod": "pod", "Secret": "secret",
	"SharedBackupConfig": "sharedbackupconfigs.spaces.upbound.io", "SpaceBackupConfig": "spacebackupconfigs.spaces.upbound.io",
}

// templatePath is where a workload kind keeps its pod template's metadata,
// as a JSON pointer; a Job's template cannot be changed.
var templatePath = map[string]string{
	"Deployment": "/spec/template/metadata", "StatefulSet": "/spec/template/metadata",
	"DaemonSet": "/spec/template/metadata", "CronJob": "/spec/jobTemplate/spec/template/metadata",
}

// pointer escapes a map key for a JSON pointer (RFC 6901).
func pointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// metadataPath is the JSON pointer of the map a fix names.
func metadataPath(f report.Fix) (string, bool) {
	m, inTemplate := strings.CutPrefix(f.In, "template.")
	if !inTemplate {
		return "/metadata/" + m, true
	}
	base, ok := templatePath[f.Kind]
	return base + "/" + m, ok
}

// renameKey moves a misspelt key's value to the right key in one JSON
// patch, without the plan ever holding the value.
func renameKey(f report.Fix) (*Patch, string) {
	res, known := resource[f.Kind]
	path, ok := metadataPath(f)
	if !known || !ok || f.Namespace == "" {
		return nil, fmt.Sprintf("rename %q to %q in the %s of %s", f.From, f.Key, f.In, object(f))
	}
	return &Patch{Resource: res, Namespace: f.Namespace, Name: f.Name, Ops: []Op{{Op: "move", From: path + "/" + pointer(f.From), Path: path + "/" + pointer(f.Key)}}}, ""
}

// setKey sets an annotation or label on the object itself.
func setKey(f report.Fix) ([]string, string) {
	res, known := resource[f.Kind]
	if !known || f.Namespace == "" || f.Value == "" {
		return nil, fmt.Sprintf("set %s %q on %s to its value", f.Action, f.Key, object(f))
	}
	return []string{"kubectl", string(f.Action), "--namespace=" + f.Namespace, "--overwrite", "--", res, f.Name, f.Key + "=" + f.Value}, ""
}

// templateKey sets an annotation or label in a pod template: one JSON
// patch adds it, which rolls the workload out.
func templateKey(f report.Fix) (*Patch, string) {
	res, known := resource[f.Kind]
	path, ok := metadataPath(f)
	if !known || !ok || f.Namespace == "" || f.Value == "" {
		return nil, fmt.Sprintf("set %s %q to %q in the %s of %s", f.Action, f.Key, f.Value, f.In, object(f))
	}
	return &Patch{Resource: res, Namespace: f.Namespace, Name: f.Name, Ops: []Op{{Op: "add", Path: path + "/" + pointer(f.Key), Value: f.Value}}}, ""
}

// unbind removes a member's role at a project, folder, organization or
// bucket; without a condition only, as the grant wiscan judged had none.
func unbind(f report.Fix) ([]string, string) {
	kind, id, _ := strings.Cut(f.Scope, "/")
	member, role := "--member="+f.Member, "--role="+f.Role
	switch kind {
	case "projects":
		return []string{"gcloud", "projects", "remove-iam-policy-binding", id, member, role, "--condition=None"}, ""
	case "folders":
		return []string{"gcloud", "resource-manager", "folders", "remove-iam-policy-binding", id, member, role, "--condition=None"}, ""
	case "organizations":
		return []string{"gcloud", "organizations", "remove-iam-policy-binding", id, member, role, "--condition=None"}, ""
	case "buckets":
		return []string{"gcloud", "storage", "buckets", "remove-iam-policy-binding", "gs://" + id, member, role}, ""
	}
	return nil, fmt.Sprintf("remove %s's %s at %s", f.Member, f.Role, f.Scope)
}

// narrow removes the policy that grants beyond the profile's access: an
// inline policy deleted, a managed one detached.
func narrow(f report.Fix) ([]string, string) {
	role := "--role-name=" + roleName(f.Role)
	if name, ok := strings.CutPrefix(f.Policy, "inline policy "); ok {
		return []string{"aws", "iam", "delete-role-policy", role, "--policy-name=" + name}, ""
	}
	if arn, ok := strings.CutPrefix(f.Policy, "managed policy "); ok {
		return []string{"aws", "iam", "detach-role-policy", role, "--policy-arn=" + arn}, ""
	}
	return nil, fmt.Sprintf("remove %s from role %s", f.Policy, f.Role)
}

// noHostNetwork drops hostNetwork from a workload's pod template, tested
// to be the true the scan read; the template change rolls the pods out.
func noHostNetwork(f report.Fix) (*Patch, string) {
	base, ok := templatePath[f.Kind]
	if !ok || f.Namespace == "" {
		return nil, fmt.Sprintf("run the pods of %s without hostNetwork", object(f))
	}
	path := strings.TrimSuffix(base, "/metadata") + "/spec/hostNetwork"
	return &Patch{Resource: resource[f.Kind], Namespace: f.Namespace, Name: f.Name, Ops: []Op{{Op: "test", Path: path, Value: true}, {Op: "remove", Path: path}}}, ""
}

// restart starts new pods: a rollout for the kinds that have one, a Job
// from a CronJob now (its schedule would start one later).
func restart(f report.Fix) ([]string, string) {
	switch f.Kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		return []string{"kubectl", "rollout", "restart", "--namespace=" + f.Namespace, "--", resource[f.Kind], f.Name}, ""
	case "CronJob":
		// kubectl create job reads what follows -- as the Job's command,
		// so its one positional argument, a name built from a validated
		// one, stands before the options.
		return []string{"kubectl", "create", "job", jobName(f.Name), "--from=cronjob/" + f.Name, "--namespace=" + f.Namespace}, ""
	}
	return nil, fmt.Sprintf("recreate the pods of %s so that they start with the binding", object(f))
}

// jobName names a Job started from a CronJob, within 63 characters.
func jobName(cronJob string) string {
	const suffix = "-rebound"
	if len(cronJob) > 63-len(suffix) {
		cronJob = strings.TrimRight(cronJob[:63-len(suffix)], "-.")
	}
	return cronJob + suffix
}

// associate creates the Pod Identity association, when the role is known.
func associate(f report.Fix) ([]string, string) {
	if f.Role == "" {
		return nil, fmt.Sprintf("create an EKS Pod Identity association in cluster %s for service account %s in namespace %s, to the role the workload should use", f.Cluster, f.Name, f.Namespace)
	}
	return []string{"aws", "eks", "create-pod-identity-association", "--cluster-name=" + f.Cluster, "--namespace=" + f.Namespace, "--service-account=" + f.Name, "--role-arn=" + f.Role}, ""
}

// GrantPolicyName begins the name of the inline policy a grant writes; a
// hash of the resources ends it, so that grants for two buckets of one role
// do not replace each other, and writing the same grant again replaces it.
const GrantPolicyName = "wiscan-required-access"

func grantPolicyName(resources []string) string {
	sum := sha256.Sum256([]byte(strings.Join(resources, "\n")))
	return GrantPolicyName + "-" + hex.EncodeToString(sum[:4])
}

// grant writes the missing permissions as an inline policy of the role.
func grant(f report.Fix) ([]string, string) {
	role := roleName(cmp.Or(f.Role, f.Name))
	if role == "" {
		return nil, fmt.Sprintf("grant %s on %s", strings.Join(f.Actions, ", "), strings.Join(f.Resources, ", "))
	}
	return []string{"aws", "iam", "put-role-policy", "--role-name=" + role, "--policy-name=" + grantPolicyName(f.Resources), "--policy-document=" + grantDocument(f)}, ""
}

// grantDocument is the inline policy a grant writes: Actions on Resources.
func grantDocument(f report.Fix) string {
	doc, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []map[string]any{{"Effect": "Allow", "Action": f.Actions, "Resource": f.Resources}},
	})
	return string(doc)
}

// roleName is the name in a role ARN (arn:aws:iam::<account>:role/<path/>name).
func roleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	return rest[strings.LastIndex(rest, "/")+1:]
}

// federate creates one control plane's federated credential under a name
// of its own: a create with an existing name replaces that credential, so
// the documented fixed name would take the credential of another control
// plane.
func federate(f report.Fix) ([]string, string) {
	sub, rg, name, ok := identityParts(f.Identity)
	ns, sa, okSubject := subjectParts(f.Subjects[0])
	if !ok || !okSubject {
		return nil, fmt.Sprintf("create a federated credential on identity %s for issuer %s, subject %s, audience %s", f.Identity, f.Issuer, f.Subjects[0], f.Audience)
	}
	return []string{"az", "identity", "federated-credential", "create", "--name=" + CredentialName(ns, sa), "--identity-name=" + name,
		"--resource-group=" + rg, "--subscription=" + sub, "--issuer=" + f.Issuer, "--subject=" + f.Subjects[0], "--audiences=" + f.Audience}, ""
}

// CredentialName is the federated credential name wiscan gives a control
// plane: its namespace and service account, in the characters Azure
// accepts (letters, digits, - and _), at most 120 of them (a hash of the
// whole ends a name that would be longer).
func CredentialName(namespace, serviceAccount string) string {
	name := credentialChars.ReplaceAllString(namespace+"-"+serviceAccount, "-")
	if len(name) <= 120 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:111] + "-" + hex.EncodeToString(sum[:4])
}

var credentialChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// identityParts splits a user-assigned identity's resource ID.
func identityParts(id string) (sub, rg, name string, ok bool) {
	p := strings.Split(id, "/")
	if len(p) != 9 || !strings.EqualFold(p[1], "subscriptions") || !strings.EqualFold(p[3], "resourceGroups") ||
		!strings.EqualFold(p[6], "Microsoft.ManagedIdentity") || !strings.EqualFold(p[7], "userAssignedIdentities") {
		return "", "", "", false
	}
	return p[2], p[4], p[8], true
}

// subjectParts splits system:serviceaccount:<namespace>:<name>.
func subjectParts(s string) (string, string, bool) {
	p := strings.Split(s, ":")
	if len(p) != 4 || p[0] != "system" || p[1] != "serviceaccount" {
		return "", "", false
	}
	return p[2], p[3], true
}

// bind adds a member to the IAM policy of a Google service account or a
// bucket. Every name in it is validated first (Validate), so none starts
// with "-"; --condition=None adds the binding without a condition where
// the policy already holds conditional ones, which gcloud would otherwise
// ask about.
func bind(f report.Fix) []string {
	if f.Kind == "Bucket" {
		return []string{"gcloud", "storage", "buckets", "add-iam-policy-binding", "gs://" + f.Name, "--member=" + f.Member, "--role=" + f.Role}
	}
	return []string{"gcloud", "iam", "service-accounts", "add-iam-policy-binding", f.Name, "--member=" + f.Member, "--role=" + f.Role, "--condition=None"}
}

// nodePoolMetadata moves a node pool to the GKE metadata server.
func nodePoolMetadata(f report.Fix) ([]string, string) {
	p := strings.Split(f.Cluster, "/")
	if len(p) != 6 || p[0] != "projects" || p[2] != "locations" || p[4] != "clusters" {
		return nil, fmt.Sprintf("set the workload metadata of node pool %s of cluster %s to %s", f.Name, f.Cluster, f.Value)
	}
	return []string{"gcloud", "container", "node-pools", "update", f.Name, "--cluster=" + p[5], "--location=" + p[3], "--project=" + p[1], "--workload-metadata=" + f.Value}, ""
}
