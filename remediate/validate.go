package remediate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wiscan/wiscan/analysis/azure"
	"github.com/wiscan/wiscan/report"
)

// ErrUntrusted marks a report that holds a name its platform would not
// accept: a report is a file that travels (CI artifacts, tickets), and a
// name that begins with "-" or holds a space would steer the commands a
// plan writes (an option of kubectl or aws instead of a name). Such a
// report is refused whole.
var ErrUntrusted = errors.New("the report holds names no cluster or cloud accepts")

// The shapes the cloud accepts.
var (
	// An IAM role ARN: partition, account, optional path, name.
	roleARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	// An IAM OIDC provider ARN: the issuer's host and path.
	providerARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:oidc-provider/[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]+)*$`)
	// An EKS cluster name.
	clusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	// An IAM action: service prefix and action name, with wildcards.
	iamAction = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*?]+$`)
	// A resource ARN: no space, quote or control character anywhere.
	resourceARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12})?:[!-~]+$`)
	// A service account subject of a trust policy.
	saSubject = regexp.MustCompile(`^system:serviceaccount:([^:]+):([^:]+)$`)
	// Azure: a GUID, an HTTPS issuer URL, an audience, a role
	// assignment's ID.
	azureGUID    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	issuerURL    = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%-]*)*$`)
	audienceText = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:/._-]*$`)
	assignmentID = regexp.MustCompile(`^(/[A-Za-z0-9._()-]+)+/providers/Microsoft\.Authorization/roleAssignments/[0-9a-fA-F-]{36}$`)
	// GCP: a Google service account's e-mail, a bucket, a node pool, a
	// GKE cluster's resource name, a role, a member, a key's ID.
	gsaEmail    = regexp.MustCompile(`^([a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9.:-]*[a-z0-9]\.iam\.gserviceaccount\.com|[0-9]+-compute@developer\.gserviceaccount\.com|[a-z][a-z0-9-]*@appspot\.gserviceaccount\.com)$`)
	bucketName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)
	nodePool    = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`)
	gkeCluster  = regexp.MustCompile(`^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z0-9-]+/clusters/[a-z]([-a-z0-9]{0,38}[a-z0-9])?$`)
	gcpRole     = regexp.MustCompile(`^(roles|(projects|organizations)/[a-z0-9-]+/roles)/[A-Za-z0-9_.]+$`)
	gcpMember   = regexp.MustCompile(`^(serviceAccount:[a-z0-9][a-z0-9.-]*@[a-z0-9][a-z0-9.-]*|serviceAccount:[a-z][a-z0-9.:-]*\.svc\.id\.goog\[[a-z0-9-]{1,63}/[a-z0-9.-]{1,253}\]|principal://iam\.googleapis\.com/projects/[0-9]+/locations/global/workloadIdentityPools/[a-z][a-z0-9.:-]*/subject/ns/[a-z0-9-]{1,63}/sa/[a-z0-9.-]{1,253})$`)
	gcpKeyID    = regexp.MustCompile(`^[0-9a-f]{40}$`)
	gcpScope    = regexp.MustCompile(`^(projects/[a-z][a-z0-9-]{4,28}[a-z0-9]|folders/[0-9]+|organizations/[0-9]+|buckets/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])$`)
	gcpMetadata = []string{"GKE_METADATA"}
	// A backup configuration's field a fix sets.
	storageField = regexp.MustCompile(`^spec\.objectStorage\.(provider|bucket|config\.[A-Za-z0-9_-]+)$`)
	// A role's policy: an inline one by name, a managed one by ARN.
	rolePolicy = regexp.MustCompile(`^(inline policy [\w+=,.@-]{1,128}|managed policy arn:aws(-[a-z]+)*:iam::([0-9]{12}|aws):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128})$`)
	// A piece of a pod template that reads a credential.
	removal = regexp.MustCompile(`^(env:[a-z0-9-]+:[-._a-zA-Z][-._a-zA-Z0-9]*|envFrom:[a-z0-9-]+:[a-z0-9.-]+|volume:[a-z0-9-]+)$`)
)

// kubeKinds are the Kubernetes kinds a fix may change; cloudKinds the
// cloud ones, named by ARN.
var (
	kubeKinds  = []string{"ServiceAccount", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Secret", "SharedBackupConfig", "SpaceBackupConfig"}
	cloudKinds = []string{"IAMRole", "ManagedIdentity", "GoogleServiceAccount", "Bucket", "NodePool", "StorageAccount"}
	keyMaps    = []string{"annotations", "labels", "template.annotations", "template.labels"}
)

// Validate checks every name that a plan of r would hold, in each
// failure's fix, against what its platform accepts: Kubernetes namespaces
// as DNS labels and names as DNS subdomains, annotation and label keys by
// their syntax, label values, IAM ARNs, EKS cluster names, IAM actions and
// trust-policy subjects. The error names each finding's key and field,
// never the value.
func Validate(r report.Report) error {
	var errs []error
	for _, f := range r.Findings {
		if f.Status != report.Fail || f.Waiver != nil || f.Fix == nil {
			continue
		}
		for _, field := range invalidFields(*f.Fix) {
			errs = append(errs, fmt.Errorf("finding %s: fix.%s", report.Clean(f.Key), field))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%w: %s", ErrUntrusted, strings.Join(msgs, "; "))
}

// invalidFields names each field of a fix that its platform would refuse,
// with the shape it must have.
func invalidFields(f report.Fix) []string {
	var bad []string
	check := func(ok bool, field, want string) {
		if !ok {
			bad = append(bad, field+": not "+want)
		}
	}
	kube := slices.Contains(kubeKinds, f.Kind)
	check(kube || slices.Contains(cloudKinds, f.Kind), "kind", "a kind a fix changes ("+strings.Join(append(slices.Clone(kubeKinds), cloudKinds...), ", ")+")")
	if kube {
		check(f.Namespace == "" || len(validation.IsDNS1123Label(f.Namespace)) == 0, "namespace", "a namespace name (a DNS-1123 label)")
		check(len(validation.IsDNS1123Subdomain(f.Name)) == 0, "name", "an object name (a DNS-1123 subdomain)")
	} else {
		check(f.Namespace == "", "namespace", "empty for a cloud object")
		switch f.Kind {
		case "ManagedIdentity":
			check(identityID(f.Name), "name", "a user-assigned identity's resource ID")
		case "GoogleServiceAccount":
			check(gsaEmail.MatchString(f.Name), "name", "a Google service account's e-mail")
		case "Bucket":
			check(bucketName.MatchString(f.Name), "name", "a bucket name")
		case "NodePool":
			check(nodePool.MatchString(f.Name), "name", "a node pool name")
		case "StorageAccount":
			check(resourceScope(f.Name), "name", "a storage account's resource ID")
		default:
			check(roleARN.MatchString(f.Name), "name", "an IAM role ARN")
		}
	}
	if f.Action == report.DeleteKey {
		check(gcpKeyID.MatchString(f.Key), "key", "a service account key's ID (40 hexadecimal digits)")
	} else {
		check(f.Key == "" || len(validation.IsQualifiedName(f.Key)) == 0, "key", "an annotation or label key")
	}
	check(f.From == "" || len(validation.IsQualifiedName(f.From)) == 0, "from", "an annotation or label key")
	check(f.In == "" || slices.Contains(keyMaps, f.In), "in", "one of "+strings.Join(keyMaps, ", "))
	check(f.Action != report.Label || len(validation.IsValidLabelValue(f.Value)) == 0, "value", "a label value")
	check(printable(f.Value), "value", "printable text")
	switch f.Action {
	case report.AssignRole:
		check(azureGUID.MatchString(f.Role), "role", "a role definition's GUID")
	case report.Unassign:
		check(f.Role == "" || azureGUID.MatchString(f.Role), "role", "a role definition's GUID")
	case report.Bind, report.Unbind:
		check(gcpRole.MatchString(f.Role), "role", "an IAM role (roles/NAME)")
	case report.NodePoolMetadata:
		check(slices.Contains(gcpMetadata, f.Value), "value", "GKE_METADATA")
		fallthrough
	default:
		check(f.Role == "" || roleARN.MatchString(f.Role), "role", "an IAM role ARN")
	}
	check(f.Identity == "" || identityID(f.Identity), "identity", "a user-assigned identity's resource ID")
	check(f.Issuer == "" || issuerURL.MatchString(f.Issuer), "issuer", "an HTTPS issuer URL")
	check(f.Audience == "" || audienceText.MatchString(f.Audience), "audience", "an audience (letters, digits, : / . _ -)")
	check(f.Principal == "" || azureGUID.MatchString(f.Principal), "principal", "a principal (object) ID")
	if f.Action == report.Unbind {
		check(gcpScope.MatchString(f.Scope), "scope", "projects/P, folders/F, organizations/O or buckets/B")
		for i, r := range f.Resources {
			check(strings.HasPrefix(r, "buckets/") && bucketName.MatchString(strings.TrimPrefix(r, "buckets/")), fmt.Sprintf("resources[%d]", i), "buckets/<bucket>")
		}
	} else {
		check(f.Scope == "" || resourceScope(f.Scope), "scope", "a resource's ID")
	}
	check(f.Assignment == "" || assignmentID.MatchString(f.Assignment), "assignment", "a role assignment's ID")
	check(f.Provider == "" || providerARN.MatchString(f.Provider), "provider", "an IAM OIDC provider ARN")
	if f.Action == report.NodePoolMetadata {
		check(gkeCluster.MatchString(f.Cluster), "cluster", "a GKE cluster (projects/P/locations/L/clusters/C)")
	} else {
		check(f.Cluster == "" || clusterName.MatchString(f.Cluster), "cluster", "an EKS cluster name")
	}
	check(f.Member == "" || gcpMember.MatchString(f.Member), "member", "a service account or workload principal")
	check(f.Field == "" || storageField.MatchString(f.Field), "field", "a backup storage field (spec.objectStorage.provider, bucket or config.<key>)")
	check(f.Policy == "" || rolePolicy.MatchString(f.Policy), "policy", "inline policy <name> or managed policy <ARN>")
	for i, r := range f.Remove {
		check(removal.MatchString(r), fmt.Sprintf("remove[%d]", i), "env:<container>:<variable>, envFrom:<container>:<Secret> or volume:<name>")
	}
	for i, s := range f.Subjects {
		check(subject(s), fmt.Sprintf("subjects[%d]", i), "system:serviceaccount:<namespace>:<name>")
	}
	for i, a := range f.Actions {
		check(iamAction.MatchString(a), fmt.Sprintf("actions[%d]", i), "an IAM action (service:Action)")
	}
	for i, r := range f.Resources {
		check(f.Action == report.Unbind || resourceARN.MatchString(r), fmt.Sprintf("resources[%d]", i), "a resource ARN")
	}
	return bad
}

func subject(s string) bool {
	m := saSubject.FindStringSubmatch(s)
	return m != nil && len(validation.IsDNS1123Label(m[1])) == 0 && len(validation.IsDNS1123Subdomain(m[2])) == 0
}

// printable holds for text without control or invisible format
// characters (a NUL, a line break, a direction override).
func printable(s string) bool { return report.Clean(s) == s }

// identityID holds for a user-assigned identity's resource ID whose parts
// are Azure names.
func identityID(id string) bool {
	_, rg, name, ok := identityParts(id)
	s, err := azure.ParseScope(id)
	return ok && err == nil && s.Kind == azure.Resource && azureName.MatchString(rg) && azureName.MatchString(name)
}

// resourceScope holds for a resource's ID (a storage account), parsed
// strictly, whose parts are Azure names.
func resourceScope(id string) bool {
	s, err := azure.ParseScope(id)
	if err != nil || s.Kind != azure.Resource {
		return false
	}
	for _, p := range strings.Split(id[1:], "/") {
		if !azureName.MatchString(p) {
			return false
		}
	}
	return true
}

// azureName is what Azure accepts in resource names and types.
var azureName = regexp.MustCompile(`^[A-Za-z0-9._()-]+$`)
