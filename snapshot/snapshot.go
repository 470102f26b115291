// Package snapshot defines the typed, versioned document that collectors fill
// and the policies read as their input, with its JSON Schema and load/save.
//
// Every string in a snapshot is redacted by secrets.Scrub before anything
// reads it; the `redact` tags below are its allow-list: "keep" (compared
// verbatim: ARNs, account, region, issuer, fingerprints), "keys" (a map
// keyed by ARN), "policy" (an IAM policy document), "text" (free text) and
// "path" (a file path). An untagged field is judged whole.
package snapshot

import (
	"slices"
	"sort"
	"time"
)

// SchemaVersion names the snapshot format. It changes with any change of
// its fields, added ones included: the schema admits no field it does not
// name, so a snapshot is read only by a wiscan that knows its version.
const SchemaVersion = "wiscan.io/snapshot/v1alpha4"

// Snapshot is everything a scan knows about the cluster and the clouds. It is
// the input of every policy.
type Snapshot struct {
	SchemaVersion string    `json:"schemaVersion"`
	CollectedAt   time.Time `json:"collectedAt"`
	Source        Source    `json:"source"`
	Profiles      []Profile `json:"profiles"`
	// Targets are the profiles' namespaces, each resolved once to the
	// cloud, method and identity it uses; the policies read these and
	// infer none of it themselves.
	Targets    []Target   `json:"targets"`
	Kubernetes Kubernetes `json:"kubernetes"`
	// AWS is nil when AWS was not collected.
	AWS *AWS `json:"aws,omitempty"`
	// Azure is nil when Azure was not collected.
	Azure *Azure `json:"azure,omitempty"`
	// GCP is nil when GCP was not collected.
	GCP *GCP `json:"gcp,omitempty"`
	// Errors are the gaps: what a collector could not read. Policies turn a
	// gap into an unknown result, never a pass.
	Errors []CollectionError `json:"errors"`
	Stats  []CollectorStats  `json:"stats"`
}

// New returns an empty snapshot with every map allocated.
func New(now time.Time) *Snapshot {
	return &Snapshot{
		SchemaVersion: SchemaVersion,
		CollectedAt:   now.UTC(),
		Profiles:      []Profile{},
		Targets:       []Target{},
		Kubernetes:    NewKubernetes(),
		Errors:        []CollectionError{},
		Stats:         []CollectorStats{},
	}
}

// Source says where the data came from.
type Source struct {
	// Mode is "live" or "evidence".
	Mode string `json:"mode"`
	// SkipCloud lists the clouds not read on purpose (--skip-cloud):
	// their controls are unknown, and say so.
	SkipCloud []string `json:"skipCloud,omitempty"`
	// SkipSecrets says Secrets were not read on purpose (--skip-secrets,
	// the chart's rbac.readSecrets=false): the controls on their content
	// do not apply, and say so.
	SkipSecrets bool `json:"skipSecrets,omitempty"`
	// Namespaces are the namespaces a live scan was confined to
	// (--namespace, namespaced mode): cluster-scoped kinds were not read.
	Namespaces []string `json:"namespaces,omitempty"`
	// Context is the kubeconfig context, in live mode.
	Context string `json:"context,omitempty"`
	// Server is the API server URL, in live mode.
	Server string `json:"server,omitempty"`
	// Evidence is the evidence directory, in evidence mode.
	Evidence string `json:"evidence,omitempty" redact:"path"`
}

// Location points at the file and line an object was read from (evidence
// mode only).
type Location struct {
	File string `json:"file,omitempty" redact:"path"`
	Line int    `json:"line,omitempty"`
}

// Profile is a workload profile in force, with the namespaces it targets.
type Profile struct {
	Name           string         `json:"name"`
	Description    string         `json:"description,omitempty" redact:"text"`
	Namespaces     NamespaceMatch `json:"namespaces"`
	ServiceAccount string         `json:"serviceAccount"`
	Workload       WorkloadMatch  `json:"workload"`
	// Cloud is aws, azure, gcp, or empty to infer it per namespace.
	Cloud string `json:"cloud,omitempty"`
	// Method narrows the cloud's mechanism: irsa, pod-identity,
	// azure-workload-identity, gke-workload-identity, gcp-principal.
	Method string `json:"method,omitempty"`
	// BackupConfig is the Spaces kind that configures this workload's
	// storage (SharedBackupConfig or SpaceBackupConfig), if any.
	BackupConfig string  `json:"backupConfig,omitempty"`
	Storage      Storage `json:"storage"`
	// Access is what the workload needs of its cloud, in terms every cloud
	// maps to its own permissions.
	Access Access `json:"access"`
	// Identity is the cloud identity every target should use, if the
	// profile names one: an IAM role ARN, an Azure client ID or a Google
	// service-account email.
	Identity string `json:"identity,omitempty"`
	// Helm names the values of the Helm chart that sets the workload's
	// identity, for objects a Helm release owns; nil when none does.
	Helm *HelmValues `json:"helm,omitempty"`
	// Targets are the namespaces the profile matched, sorted.
	Targets []string `json:"targets"`
}

// Target is one namespace of one profile, resolved: which cloud and
// method it uses and the identity it is bound to, each with what decided
// it.
type Target struct {
	Profile   string `json:"profile"`
	Namespace string `json:"namespace"`
	// Cloud is the cloud in use, "" when nothing tells; CloudFrom says
	// what told: profile (or --cloud), annotation (the service account
	// carries that cloud's identity annotation and no other's), or
	// backup-config (the one provider every Spaces backup configuration
	// names).
	Cloud     string `json:"cloud"`
	CloudFrom string `json:"cloudFrom,omitempty"`
	// Method is the profile's method, else the cloud's annotation method
	// when the service account carries the cloud's annotation (from
	// annotation), else "": the cloud's data decides.
	Method     string `json:"method"`
	MethodFrom string `json:"methodFrom,omitempty"`
	// Identity is the cloud identity the target is bound to: the
	// profile's, else the value of the cloud's identity annotation.
	Identity     string `json:"identity,omitempty"`
	IdentityFrom string `json:"identityFrom,omitempty"`
	// Annotated are the clouds whose identity annotation the service
	// account carries, sorted; more than one, or one other than Cloud,
	// is a contradiction a control reports.
	Annotated []string `json:"annotated"`
}

// Access is what a workload needs of its cloud.
type Access struct {
	// Objects are the operations on the objects of its bucket: read,
	// write, delete, list.
	Objects []string `json:"objects,omitempty"`
	// Secrets are the names (patterns with *) of the secrets it reads from
	// the cloud's secret store.
	Secrets []string `json:"secrets,omitempty"`
}

// NamespaceMatch selects a profile's namespaces. Every set field must match.
type NamespaceMatch struct {
	Pattern  string   `json:"pattern,omitempty"`
	Selector string   `json:"selector,omitempty"`
	Names    []string `json:"names,omitempty"`
}

// WorkloadMatch names the workload that runs under the profile's service
// account.
type WorkloadMatch struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// PodSelector, a label selector, finds the workload's pods when they are
	// not owned through a ReplicaSet of the named Deployment.
	PodSelector string `json:"podSelector,omitempty"`
}

// HelmValues are the value paths (dotted, as helm --set reads them) under
// which a chart sets the workload's identity.
type HelmValues struct {
	// ServiceAccountAnnotations and PodLabels hold the service account's
	// annotations and the pod template's labels, by key.
	ServiceAccountAnnotations string `json:"serviceAccountAnnotations,omitempty"`
	PodLabels                 string `json:"podLabels,omitempty"`
	// BackupStorage holds the backup configuration: provider, bucket,
	// <provider>.<config key>, credentials.source.
	BackupStorage string `json:"backupStorage,omitempty"`
}

// Storage is the storage the workload is expected to reach.
type Storage struct {
	Bucket string `json:"bucket,omitempty"`
	// Prefix confines the objects the workload needs to those whose
	// names start with it; "" is the whole bucket.
	Prefix string `json:"prefix,omitempty"`
}

// Kubernetes holds the normalised cluster objects, keyed for direct lookup:
// namespaces by name, the others by namespace and then name.
type Kubernetes struct {
	Namespaces      map[string]Namespace                 `json:"namespaces"`
	ServiceAccounts map[string]map[string]ServiceAccount `json:"serviceAccounts"`
	Deployments     map[string]map[string]Workload       `json:"deployments"`
	// StatefulSets, DaemonSets, Jobs and CronJobs are read when a
	// profile's workload is of that kind (Jobs also for a CronJob: a pod's
	// owner chain runs through its Job).
	StatefulSets map[string]map[string]Workload `json:"statefulSets"`
	DaemonSets   map[string]map[string]Workload `json:"daemonSets"`
	Jobs         map[string]map[string]Workload `json:"jobs"`
	CronJobs     map[string]map[string]Workload `json:"cronJobs"`
	Pods         map[string]map[string]Pod      `json:"pods"`
	Secrets      map[string]map[string]Secret   `json:"secrets"`
	// Nodes are the nodes the target pods run on, by name, read when a
	// target uses GCP (its node pools decide WI-GCP-002).
	Nodes  map[string]Node `json:"nodes"`
	Spaces Spaces          `json:"spaces"`
}

// NewKubernetes returns a Kubernetes section with every map allocated.
func NewKubernetes() Kubernetes {
	return Kubernetes{
		Namespaces:      map[string]Namespace{},
		ServiceAccounts: map[string]map[string]ServiceAccount{},
		Deployments:     map[string]map[string]Workload{},
		StatefulSets:    map[string]map[string]Workload{},
		DaemonSets:      map[string]map[string]Workload{},
		Jobs:            map[string]map[string]Workload{},
		CronJobs:        map[string]map[string]Workload{},
		Pods:            map[string]map[string]Pod{},
		Secrets:         map[string]map[string]Secret{},
		Nodes:           map[string]Node{},
		Spaces: Spaces{
			Kinds:               map[string]bool{},
			ControlPlanes:       []ControlPlane{},
			SharedBackupConfigs: []BackupConfig{},
			SpaceBackupConfigs:  []BackupConfig{},
		},
	}
}

// Meta is the part every namespaced object shares.
type Meta struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	CreatedAt   *time.Time        `json:"createdAt,omitempty"`
	Source      *Location         `json:"source,omitempty"`
}

// Namespace is a namespace and its labels.
type Namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Source *Location         `json:"source,omitempty"`
}

// ServiceAccount is a service account with its identity annotations.
type ServiceAccount struct {
	Meta
	// Automount is the automountServiceAccountToken setting; nil when unset.
	Automount *bool `json:"automount"`
	// UpdatedAt is the latest time any field manager changed the object,
	// taken from managedFields; nil when unknown.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

// WorkloadKinds are the kinds of workload a profile may name.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}

// Workloads returns the map that holds workloads of kind, nil for a kind
// that is not a workload.
func (k *Kubernetes) Workloads(kind string) map[string]map[string]Workload {
	if !slices.Contains(WorkloadKinds, kind) {
		return nil
	}
	return *k.workloadsField(kind)
}

// workloadsField is where the map of kind lives.
func (k *Kubernetes) workloadsField(kind string) *map[string]map[string]Workload {
	switch kind {
	case "StatefulSet":
		return &k.StatefulSets
	case "DaemonSet":
		return &k.DaemonSets
	case "Job":
		return &k.Jobs
	case "CronJob":
		return &k.CronJobs
	}
	return &k.Deployments
}

// Workload is a Deployment, StatefulSet, DaemonSet, Job or CronJob with
// its pod template.
type Workload struct {
	Meta
	Kind string `json:"kind"`
	// Owner is the controlling owner (a Job's CronJob), if any.
	Owner *Owner `json:"owner,omitempty"`
	// Selector is the selector's matchLabels; LabelSelector is the whole
	// selector in label-selector syntax, matchExpressions included.
	Selector      map[string]string `json:"selector"`
	LabelSelector string            `json:"labelSelector,omitempty"`
	Template      PodSpec           `json:"template"`
}

// Pod is a pod with its spec, phase and owner.
type Pod struct {
	Meta
	Spec  PodSpec `json:"spec"`
	Phase string  `json:"phase"`
	// Owner is the controlling owner reference, if any.
	Owner *Owner `json:"owner,omitempty"`
	// NodeName is the node the pod is scheduled on, "" before it is.
	NodeName string `json:"nodeName,omitempty"`
	// Workload is the workload at the top of the pod's owner chain: a
	// Deployment through its ReplicaSet (by the owner name and the
	// pod-template-hash label, else the Deployments' selectors), a
	// StatefulSet or DaemonSet, a Job, or a CronJob through its Job.
	Workload *Owner `json:"workload,omitempty"`
}

// Owner is a controlling owner reference.
type Owner struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// PodSpec is the part of a pod (or pod template) the controls read.
type PodSpec struct {
	Labels         map[string]string `json:"labels"`
	Annotations    map[string]string `json:"annotations"`
	ServiceAccount string            `json:"serviceAccount"`
	Automount      *bool             `json:"automount"`
	// HostNetwork says the pods share the node's network, and so reach
	// the node's metadata server.
	HostNetwork bool        `json:"hostNetwork,omitempty"`
	Containers  []Container `json:"containers"`
	Volumes     []Volume    `json:"volumes"`
}

// Container is a container's environment and mounts. Init containers are
// included, marked Init.
type Container struct {
	Name    string    `json:"name"`
	Init    bool      `json:"init,omitempty"`
	Env     []EnvVar  `json:"env"`
	EnvFrom []EnvFrom `json:"envFrom"`
	Mounts  []Mount   `json:"mounts"`
}

// EnvVar is an environment variable. A literal value is kept only for the
// names in PublicEnv; any other literal is reduced to a classification.
type EnvVar struct {
	Name string `json:"name"`
	// Value is set only for names in PublicEnv, and only in the shape
	// such a value has; anything else is a redacted fingerprint.
	Value string `json:"value,omitempty"`
	// HasValue says a literal value was set.
	HasValue bool `json:"hasValue,omitempty"`
	// Credential classifies a literal value that looks like a cloud
	// credential.
	Credential *Credential `json:"credential,omitempty"`
	SecretRef  *KeyRef     `json:"secretRef,omitempty"`
	ConfigMap  *KeyRef     `json:"configMapRef,omitempty"`
	FieldPath  string      `json:"fieldPath,omitempty"`
}

// KeyRef points at one key of a Secret or ConfigMap.
type KeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// EnvFrom imports every key of a Secret or ConfigMap.
type EnvFrom struct {
	Prefix    string `json:"prefix,omitempty"`
	Secret    string `json:"secret,omitempty"`
	ConfigMap string `json:"configMap,omitempty"`
}

// Mount is a volume mount.
type Mount struct {
	Volume   string `json:"volume"`
	Path     string `json:"path"`
	SubPath  string `json:"subPath,omitempty"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Volume is a pod volume: the Secret it mounts, or the projected sources.
type Volume struct {
	Name      string            `json:"name"`
	Secret    string            `json:"secret,omitempty"`
	Projected []ProjectedSource `json:"projected,omitempty"`
	// Other names the kind of any other volume source (emptyDir, ...).
	Other string `json:"other,omitempty"`
}

// ProjectedSource is one source of a projected volume.
type ProjectedSource struct {
	// ServiceAccountToken is set for a projected token source.
	ServiceAccountToken *ProjectedToken `json:"serviceAccountToken,omitempty"`
	Secret              string          `json:"secret,omitempty"`
	ConfigMap           string          `json:"configMap,omitempty"`
}

// ProjectedToken is a projected service account token.
type ProjectedToken struct {
	Audience string `json:"audience"`
	Path     string `json:"path"`
}

// Secret is a classified Secret. It never holds a value: only key names and,
// for keys that hold cloud credentials, their kind and a redacted
// fingerprint.
type Secret struct {
	Meta
	Type        string       `json:"type"`
	Keys        []string     `json:"keys"`
	Credentials []Credential `json:"credentials"`
}

// Credential is a static cloud credential found in a value.
type Credential struct {
	// Kind is one of the Kind* constants.
	Kind string `json:"kind"`
	// Cloud is aws, azure or gcp.
	Cloud string `json:"cloud"`
	// Key is the Secret key or environment variable that holds it.
	Key string `json:"key,omitempty"`
	// Fingerprint identifies the value without revealing it.
	Fingerprint string `json:"fingerprint" redact:"keep"`
}

// Spaces holds the Upbound Spaces objects.
type Spaces struct {
	// Kinds records, per Spaces kind, whether its CRD is served (live) or
	// objects of it were given (evidence). A kind absent from the map was not
	// looked for.
	Kinds               map[string]bool `json:"kinds"`
	ControlPlanes       []ControlPlane  `json:"controlPlanes"`
	SharedBackupConfigs []BackupConfig  `json:"sharedBackupConfigs"`
	SpaceBackupConfigs  []BackupConfig  `json:"spaceBackupConfigs"`
}

// ControlPlane is a Spaces ControlPlane object.
type ControlPlane struct {
	Meta
	UID string `json:"uid,omitempty"`
}

// BackupConfig is a SharedBackupConfig or SpaceBackupConfig.
type BackupConfig struct {
	Meta
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Bucket   string `json:"bucket"`
	// Prefix is spec.objectStorage.prefix: where in the bucket the
	// backups go.
	Prefix string            `json:"prefix,omitempty"`
	Config map[string]string `json:"config"`
	// CredentialsSource is Secret or InjectedIdentity.
	CredentialsSource string  `json:"credentialsSource"`
	SecretRef         *KeyRef `json:"secretRef,omitempty"`
}

// CollectionError is a gap: something a collector could not read.
type CollectionError struct {
	Collector string `json:"collector"`
	// Kind is the object kind that could not be read, empty for a whole
	// source (an unreadable evidence file).
	Kind string `json:"kind,omitempty"`
	// Namespace is empty for a cluster-wide failure.
	Namespace string `json:"namespace,omitempty"`
	// Name names the one object that could not be read (a role ARN).
	Name string `json:"name,omitempty"`
	// Reason is a short machine-readable cause, one of the schema's enum:
	// forbidden, unauthorized, not-found, throttled, server-error,
	// timeout, unreachable, too-large, malformed, interrupted (API calls);
	// not-provided, unrecognised, unreadable, conflict (evidence);
	// unattributed (a pod tied to no workload); error (anything else).
	Reason  string    `json:"reason"`
	Message string    `json:"message" redact:"text"`
	Source  *Location `json:"source,omitempty"`
}

// CollectorStats records what a collector did.
type CollectorStats struct {
	Collector       string         `json:"collector"`
	DurationSeconds float64        `json:"durationSeconds"`
	APICalls        int            `json:"apiCalls"`
	Objects         map[string]int `json:"objects"`
}

// Profile returns the profile named name.
func (s *Snapshot) Profile(name string) (Profile, bool) {
	for _, p := range s.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// ServiceAccounts returns the namespace and service account of every
// target that uses cloud.
func (s *Snapshot) ServiceAccounts(cloud string) [][2]string {
	var out [][2]string
	for _, t := range s.Targets {
		if p, ok := s.Profile(t.Profile); ok && t.Cloud == cloud {
			out = append(out, [2]string{t.Namespace, p.ServiceAccount})
		}
	}
	return out
}

// AddError records a gap.
func (s *Snapshot) AddError(e CollectionError) { s.Errors = append(s.Errors, e) }

// Sort orders the slices of the snapshot so that equal inputs give equal
// documents.
func (s *Snapshot) Sort() {
	sort.SliceStable(s.Errors, func(i, j int) bool {
		a, b := s.Errors[i], s.Errors[j]
		if a.Collector != b.Collector {
			return a.Collector < b.Collector
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Message < b.Message
	})
	sp := &s.Kubernetes.Spaces
	sortMeta(sp.ControlPlanes, func(c ControlPlane) Meta { return c.Meta })
	sortMeta(sp.SharedBackupConfigs, func(c BackupConfig) Meta { return c.Meta })
	sortMeta(sp.SpaceBackupConfigs, func(c BackupConfig) Meta { return c.Meta })
}

func sortMeta[T any](items []T, meta func(T) Meta) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := meta(items[i]), meta(items[j])
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// Put stores v under namespace and name in a two-level map.
func Put[T any](m map[string]map[string]T, namespace, name string, v T) {
	inner, ok := m[namespace]
	if !ok {
		inner = map[string]T{}
		m[namespace] = inner
	}
	inner[name] = v
}

// Credential kinds.
const (
	KindAWSAccessKey          = "aws-access-key"
	KindAWSSecretKey          = "aws-secret-key"         //nolint:gosec // G101: the name of a kind, not a credential
	KindAWSSharedCredentials  = "aws-shared-credentials" //nolint:gosec // G101: the name of a kind, not a credential
	KindAzureClientSecret     = "azure-client-secret"
	KindAzureStorageKey       = "azure-storage-key"
	KindAzureConnectionString = "azure-connection-string"
	KindAzureSASToken         = "azure-sas-token" //nolint:gosec // G101: the name of a kind, not a credential
	KindGCPServiceAccountKey  = "gcp-service-account-key"
)

// AWS holds what the AWS collector read: the account, the EKS cluster, the
// IAM OIDC providers, the roles the workloads use and the Pod Identity
// associations. Its absence means AWS was not collected.
type AWS struct {
	// Account and Partition are those of the credentials the scan used.
	Account   string `json:"account,omitempty" redact:"keep"`
	Partition string `json:"partition,omitempty" redact:"keep"`
	// Caller is the ARN of those credentials.
	Caller  string      `json:"caller,omitempty" redact:"keep"`
	Region  string      `json:"region,omitempty" redact:"keep"`
	Cluster *EKSCluster `json:"cluster,omitempty"`
	// OIDCProviders are keyed by ARN.
	OIDCProviders map[string]OIDCProvider `json:"oidcProviders" redact:"keys"`
	// Roles are keyed by ARN, as the workloads reference them.
	Roles map[string]Role `json:"roles" redact:"keys"`
	// PodIdentityAssociations are keyed by namespace and service account.
	PodIdentityAssociations map[string]map[string]PodIdentityAssociation `json:"podIdentityAssociations"`
	// Buckets are keyed by name.
	Buckets map[string]Bucket `json:"buckets"`
	// TrustPolicyQuota is the account's limit on a role trust policy's
	// length in characters.
	TrustPolicyQuota int `json:"trustPolicyQuota,omitempty"`
}

// NewAWS returns an AWS section with every map allocated.
func NewAWS() *AWS {
	return &AWS{
		OIDCProviders:           map[string]OIDCProvider{},
		Roles:                   map[string]Role{},
		PodIdentityAssociations: map[string]map[string]PodIdentityAssociation{},
		Buckets:                 map[string]Bucket{},
	}
}

// EKSCluster is the EKS cluster the scan targets.
type EKSCluster struct {
	Name string `json:"name"`
	ARN  string `json:"arn,omitempty" redact:"keep"`
	// OIDCIssuer is the issuer URL, with its https:// scheme.
	OIDCIssuer string    `json:"oidcIssuer,omitempty" redact:"keep"`
	Source     *Location `json:"source,omitempty"`
}

// OIDCProvider is an IAM OIDC identity provider.
type OIDCProvider struct {
	ARN string `json:"arn" redact:"keep"`
	// URL is the issuer without its scheme, as IAM stores it.
	URL       string    `json:"url" redact:"keep"`
	ClientIDs []string  `json:"clientIds" redact:"keep"`
	Source    *Location `json:"source,omitempty"`
}

// Role is an IAM role with its policies. A role IAM does not know has
// Found false and nothing else.
type Role struct {
	ARN   string `json:"arn" redact:"keep"`
	Name  string `json:"name" redact:"keep"`
	Found bool   `json:"found"`
	// TrustPolicy is the role's assume-role policy.
	TrustPolicy *PolicyDocument  `json:"trustPolicy,omitempty"`
	Inline      []PolicyDocument `json:"inlinePolicies"`
	// Attached are the attached managed policies, with their default
	// version's document.
	Attached []PolicyDocument `json:"attachedPolicies"`
	// Boundary is the permissions boundary, if any.
	Boundary *PolicyDocument `json:"permissionsBoundary,omitempty"`
	Source   *Location       `json:"source,omitempty"`
}

// PolicyDocument is a policy and its document, decoded from the
// URL-encoded JSON IAM returns.
type PolicyDocument struct {
	// Name is an inline policy's name or a managed policy's name.
	Name string `json:"name,omitempty"`
	// ARN is a managed policy's ARN.
	ARN     string `json:"arn,omitempty" redact:"keep"`
	Version string `json:"version,omitempty" redact:"keep"`
	// Document is the JSON document; null when it could not be read.
	Document any `json:"document" redact:"policy"`
	// Error says why Document is missing, without quoting it.
	Error  string    `json:"error,omitempty" redact:"text"`
	Source *Location `json:"source,omitempty"`
}

// PodIdentityAssociation is an EKS Pod Identity association.
type PodIdentityAssociation struct {
	ID             string `json:"id"`
	ARN            string `json:"arn,omitempty" redact:"keep"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn" redact:"keep"`
	// TargetRoleARN is the role in another account that the association
	// chains to, if any.
	TargetRoleARN string    `json:"targetRoleArn,omitempty" redact:"keep"`
	Source        *Location `json:"source,omitempty"`
}

// Bucket is an S3 bucket's resource policy.
type Bucket struct {
	Name string `json:"name"`
	// Policy is nil when the bucket has no policy.
	Policy *PolicyDocument `json:"policy,omitempty"`
}

// Azure holds what the Azure collector read: the AKS cluster, the
// user-assigned managed identities the service accounts name with their
// federated credentials, the role assignments, role definitions and deny
// assignments that apply to them, and the storage accounts. Its absence
// means Azure was not collected.
type Azure struct {
	// Subscriptions are the subscriptions in scope: those wiscan was
	// given or could list.
	Subscriptions []string `json:"subscriptions" redact:"keep"`
	// IdentitiesListed are the subscriptions whose user-assigned
	// identities were listed in full: a client ID that none of them has
	// is proven absent there, and only there.
	IdentitiesListed []string    `json:"identitiesListed" redact:"keep"`
	Cluster          *AKSCluster `json:"cluster,omitempty"`
	// Identities are keyed by client ID, in lower case.
	Identities map[string]ManagedIdentity `json:"identities" redact:"keys"`
	// RoleAssignments apply to the identities' principals: assigned to
	// them, or to a group, at any scope.
	RoleAssignments []RoleAssignment `json:"roleAssignments"`
	// RoleDefinitions are keyed by the definition's GUID, in lower case.
	RoleDefinitions map[string]RoleDefinition `json:"roleDefinitions" redact:"keys"`
	DenyAssignments []DenyAssignment          `json:"denyAssignments"`
	// StorageAccounts are keyed by name.
	StorageAccounts map[string]StorageAccount `json:"storageAccounts"`
}

// NewAzure returns an Azure section with every map and list allocated.
func NewAzure() *Azure {
	return &Azure{
		Subscriptions: []string{}, IdentitiesListed: []string{},
		Identities: map[string]ManagedIdentity{}, RoleAssignments: []RoleAssignment{},
		RoleDefinitions: map[string]RoleDefinition{}, DenyAssignments: []DenyAssignment{},
		StorageAccounts: map[string]StorageAccount{},
	}
}

// AKSCluster is the AKS cluster the scan targets. The enabled flags are
// nil when the cluster's answer left them out.
type AKSCluster struct {
	ID                      string    `json:"id" redact:"keep"`
	Name                    string    `json:"name"`
	OIDCIssuerEnabled       *bool     `json:"oidcIssuerEnabled"`
	OIDCIssuer              string    `json:"oidcIssuer,omitempty" redact:"keep"`
	WorkloadIdentityEnabled *bool     `json:"workloadIdentityEnabled"`
	Source                  *Location `json:"source,omitempty"`
}

// ManagedIdentity is a user-assigned managed identity. One the service
// accounts name that Azure does not know has Found false and its client
// ID only.
type ManagedIdentity struct {
	ID          string `json:"id,omitempty" redact:"keep"`
	Name        string `json:"name,omitempty"`
	ClientID    string `json:"clientId" redact:"keep"`
	PrincipalID string `json:"principalId,omitempty" redact:"keep"`
	TenantID    string `json:"tenantId,omitempty" redact:"keep"`
	Found       bool   `json:"found"`
	// FederatedCredentials is nil when they could not be read.
	FederatedCredentials []FederatedCredential `json:"federatedCredentials"`
	// Assignments says the role assignments of the principal were read
	// with its groups' (assignedTo), and DenyAssignments its deny
	// assignments: only then is a missing grant proven missing.
	Assignments     bool      `json:"assignments"`
	DenyAssignments bool      `json:"denyAssignments"`
	Source          *Location `json:"source,omitempty"`
}

// FederatedCredential is a federated identity credential of a managed
// identity.
type FederatedCredential struct {
	Name      string    `json:"name"`
	Issuer    string    `json:"issuer" redact:"keep"`
	Subject   string    `json:"subject"`
	Audiences []string  `json:"audiences" redact:"keep"`
	Source    *Location `json:"source,omitempty"`
}

// RoleAssignment grants a role definition to a principal at a scope,
// narrowed by a condition when one is set.
type RoleAssignment struct {
	ID               string `json:"id" redact:"keep"`
	Scope            string `json:"scope" redact:"keep"`
	RoleDefinitionID string `json:"roleDefinitionId" redact:"keep"`
	PrincipalID      string `json:"principalId" redact:"keep"`
	// PrincipalType is User, Group, ServicePrincipal, ...
	PrincipalType    string    `json:"principalType,omitempty"`
	Condition        string    `json:"condition,omitempty" redact:"keep"`
	ConditionVersion string    `json:"conditionVersion,omitempty"`
	Source           *Location `json:"source,omitempty"`
}

// RoleDefinition is a built-in or custom role.
type RoleDefinition struct {
	ID          string           `json:"id" redact:"keep"`
	Name        string           `json:"name"`
	Type        string           `json:"type,omitempty"`
	Permissions []RolePermission `json:"permissions"`
	Source      *Location        `json:"source,omitempty"`
}

// RolePermission is one permission block of a role or deny assignment.
type RolePermission struct {
	Actions        []string `json:"actions" redact:"keep"`
	NotActions     []string `json:"notActions" redact:"keep"`
	DataActions    []string `json:"dataActions" redact:"keep"`
	NotDataActions []string `json:"notDataActions" redact:"keep"`
}

// DenyAssignment denies its permissions to its principals at its scope
// (and below, unless DoNotApplyToChildScopes), except to the excluded.
type DenyAssignment struct {
	ID                      string           `json:"id" redact:"keep"`
	Name                    string           `json:"name,omitempty"`
	Scope                   string           `json:"scope" redact:"keep"`
	Permissions             []RolePermission `json:"permissions"`
	Principals              []string         `json:"principals" redact:"keep"`
	ExcludePrincipals       []string         `json:"excludePrincipals" redact:"keep"`
	DoNotApplyToChildScopes bool             `json:"doNotApplyToChildScopes,omitempty"`
	Source                  *Location        `json:"source,omitempty"`
}

// StorageAccount is a storage account's ID and whether it accepts
// shared-key (static key) requests; nil is Azure's default, allowed.
type StorageAccount struct {
	ID                   string    `json:"id" redact:"keep"`
	Name                 string    `json:"name"`
	AllowSharedKeyAccess *bool     `json:"allowSharedKeyAccess"`
	Source               *Location `json:"source,omitempty"`
}

// GCP holds what the GCP collector read: the project and its ancestry,
// the GKE cluster and its node pools, the Google service accounts the
// service accounts name (with their IAM policies and user-managed keys),
// the IAM allow and deny policies of the project, its folders and
// organization and the backup buckets, and the custom roles they grant.
// Its absence means GCP was not collected.
type GCP struct {
	// Project is the cluster's project ID and ProjectNumber its number,
	// which principal identifiers use.
	Project       string `json:"project" redact:"keep"`
	ProjectNumber string `json:"projectNumber,omitempty" redact:"keep"`
	// Ancestry is the hierarchy above the project, nearest first
	// (folders/N, ..., organizations/N); nil when it was not read.
	Ancestry []string    `json:"ancestry" redact:"keep"`
	Cluster  *GKECluster `json:"cluster,omitempty"`
	// NodePools are the cluster's node pools by name; nil when they were
	// not read.
	NodePools map[string]NodePool `json:"nodePools"`
	// ServiceAccounts are keyed by e-mail, in lower case.
	ServiceAccounts map[string]GoogleServiceAccount `json:"serviceAccounts" redact:"keys"`
	// Policies are the IAM allow policies read, keyed by resource:
	// projects/ID, folders/N, organizations/N, buckets/NAME. A resource
	// missing here was not read, and a gap says why.
	Policies map[string]IAMPolicy `json:"policies" redact:"keys"`
	// DenyPolicies are the IAM deny policies attached to a resource, keyed
	// as Policies; a resource with an empty list has none.
	DenyPolicies map[string][]DenyPolicy `json:"denyPolicies" redact:"keys"`
	// Roles are the custom roles the policies grant, keyed by name
	// (projects/ID/roles/R or organizations/N/roles/R).
	Roles map[string]CustomRole `json:"roles" redact:"keys"`
}

// NewGCP returns a GCP section with every map allocated.
func NewGCP() *GCP {
	return &GCP{
		ServiceAccounts: map[string]GoogleServiceAccount{}, Policies: map[string]IAMPolicy{},
		DenyPolicies: map[string][]DenyPolicy{}, Roles: map[string]CustomRole{},
	}
}

// GKECluster is the GKE cluster the scan targets.
type GKECluster struct {
	// Name is projects/P/locations/L/clusters/C.
	Name string `json:"name" redact:"keep"`
	// WorkloadPool is the workload identity pool, "" when workload
	// identity is off.
	WorkloadPool string    `json:"workloadPool" redact:"keep"`
	Source       *Location `json:"source,omitempty"`
}

// NodePool is a GKE node pool and the metadata its pods reach.
type NodePool struct {
	Name string `json:"name"`
	// WorkloadMetadata is the workload metadata mode: GKE_METADATA (the
	// GKE metadata server, workload identity), GCE_METADATA (the node's
	// own identity) or MODE_UNSPECIFIED; "" when the pool sets none.
	WorkloadMetadata string    `json:"workloadMetadata"`
	Source           *Location `json:"source,omitempty"`
}

// GoogleServiceAccount is a Google service account. One the service
// accounts name that GCP does not know has Found false.
type GoogleServiceAccount struct {
	Email    string `json:"email" redact:"keep"`
	UniqueID string `json:"uniqueId,omitempty" redact:"keep"`
	Project  string `json:"project,omitempty" redact:"keep"`
	Found    bool   `json:"found"`
	Disabled bool   `json:"disabled,omitempty"`
	// Policy is the account's own IAM policy (who may act as it); nil
	// when it was not read.
	Policy *IAMPolicy `json:"policy,omitempty"`
	// Keys are its user-managed keys, metadata only; nil when they were
	// not read.
	Keys   []ServiceAccountKey `json:"keys"`
	Source *Location           `json:"source,omitempty"`
}

// ServiceAccountKey is a user-managed key's metadata; the key itself is
// never read.
type ServiceAccountKey struct {
	ID         string     `json:"id" redact:"keep"`
	Disabled   bool       `json:"disabled,omitempty"`
	ValidAfter *time.Time `json:"validAfter,omitempty"`
}

// IAMPolicy is an IAM allow policy.
type IAMPolicy struct {
	Version  int          `json:"version"`
	Bindings []IAMBinding `json:"bindings"`
	Source   *Location    `json:"source,omitempty"`
}

// IAMBinding grants a role to members, where its condition holds.
type IAMBinding struct {
	Role      string        `json:"role" redact:"keep"`
	Members   []string      `json:"members" redact:"keep"`
	Condition *IAMCondition `json:"condition,omitempty"`
}

// IAMCondition is a binding's or deny rule's CEL condition.
type IAMCondition struct {
	Title       string `json:"title,omitempty" redact:"text"`
	Description string `json:"description,omitempty" redact:"text"`
	Expression  string `json:"expression" redact:"keep"`
}

// DenyPolicy is an IAM deny policy.
type DenyPolicy struct {
	Name   string     `json:"name" redact:"keep"`
	Rules  []DenyRule `json:"rules"`
	Source *Location  `json:"source,omitempty"`
}

// DenyRule denies its permissions to its principals, except the
// excepted, where its condition holds.
type DenyRule struct {
	DeniedPrincipals     []string      `json:"deniedPrincipals" redact:"keep"`
	ExceptionPrincipals  []string      `json:"exceptionPrincipals" redact:"keep"`
	DeniedPermissions    []string      `json:"deniedPermissions" redact:"keep"`
	ExceptionPermissions []string      `json:"exceptionPermissions" redact:"keep"`
	Condition            *IAMCondition `json:"condition,omitempty"`
}

// CustomRole is a custom IAM role and its permissions.
type CustomRole struct {
	Name        string    `json:"name" redact:"keep"`
	Title       string    `json:"title,omitempty" redact:"text"`
	Permissions []string  `json:"permissions" redact:"keep"`
	Deleted     bool      `json:"deleted,omitempty"`
	Source      *Location `json:"source,omitempty"`
}

// Node is a cluster node the workloads' pods run on, with its GKE node
// pool ("" when it carries no cloud.google.com/gke-nodepool label).
type Node struct {
	Name   string    `json:"name"`
	Pool   string    `json:"pool"`
	Source *Location `json:"source,omitempty"`
}
