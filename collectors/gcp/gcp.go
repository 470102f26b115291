// Package gcp reads Google Cloud's side of workload identity: the project
// and its ancestry, the GKE cluster and its node pools, the Google service
// accounts the service accounts name (their IAM policies and user-managed
// keys, as metadata), the IAM allow and deny policies of the project, its
// folders and organization and of the backup buckets, and the custom roles
// those policies grant. live.go reads them with google-cloud-go;
// evidence.go from the JSON gcloud prints.
package gcp

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// Cloud is the clouds table's name for GCP.
const Cloud = "gcp"

// Name names the collector in gaps.
const Name = "gcp"

// Annotation names the Google service account a service account acts as.
const Annotation = "iam.gke.io/gcp-service-account"

// Needed says a target uses GCP.
func Needed(s *snapshot.Snapshot) bool {
	return slices.ContainsFunc(s.Targets, func(t snapshot.Target) bool { return t.Cloud == Cloud })
}

// Accounts are the Google service accounts the GCP targets name, in lower
// case, sorted.
func Accounts(s *snapshot.Snapshot) []string {
	seen := map[string]bool{}
	for _, t := range s.Targets {
		if t.Cloud != Cloud || t.Method == "gcp-principal" {
			continue
		}
		for _, p := range s.Profiles {
			if p.Name != t.Profile {
				continue
			}
			sa := s.Kubernetes.ServiceAccounts[t.Namespace][p.ServiceAccount]
			if e := strings.ToLower(strings.TrimSpace(sa.Annotations[Annotation])); e != "" {
				seen[e] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// ProjectOfAccount is the project an account's e-mail names
// (<name>@<project>.iam.gserviceaccount.com), "" for another form.
func ProjectOfAccount(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	p, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok {
		return ""
	}
	return p
}

// ClusterFromContext reads gcloud's kubeconfig context name,
// gke_<project>_<location>_<cluster>.
func ClusterFromContext(ctx string) (project, location, cluster string, ok bool) {
	rest, found := strings.CutPrefix(ctx, "gke_")
	if !found {
		return "", "", "", false
	}
	p := strings.Split(rest, "_")
	if len(p) != 3 || p[0] == "" || p[1] == "" || p[2] == "" {
		return "", "", "", false
	}
	return p[0], p[1], p[2], true
}

// ClusterName is a GKE cluster's resource name.
func ClusterName(project, location, cluster string) string {
	return fmt.Sprintf("projects/%s/locations/%s/clusters/%s", project, location, cluster)
}

// attachmentKey turns a deny policy's attachment point
// (cloudresourcemanager.googleapis.com/projects/P, URL-encoded in a policy's
// name) into the key of the policies map: projects/ID, folders/N,
// organizations/N; a project number becomes the project's ID when known.
func attachmentKey(point, project, number string) string {
	if u, err := url.PathUnescape(point); err == nil {
		point = u
	}
	point = strings.TrimPrefix(point, "//")
	point = strings.TrimPrefix(point, "cloudresourcemanager.googleapis.com/")
	if n, ok := strings.CutPrefix(point, "projects/"); ok && number != "" && n == number {
		return "projects/" + project
	}
	return point
}

// denyAttachment is the attachment point in a deny policy's name
// (policies/<encoded attachment point>/denypolicies/<id>).
func denyAttachment(name string) string {
	rest, ok := strings.CutPrefix(name, "policies/")
	if !ok {
		return ""
	}
	point, _, ok := strings.Cut(rest, "/denypolicies/")
	if !ok {
		return ""
	}
	return point
}

// policy reads an IAM policy as gcloud and the JSON APIs print it.
func policy(m map[string]any, loc *snapshot.Location) snapshot.IAMPolicy {
	p := snapshot.IAMPolicy{Bindings: []snapshot.IAMBinding{}, Source: loc}
	if v, err := strconv.Atoi(fmt.Sprint(m["version"])); err == nil {
		p.Version = v
	}
	for _, it := range collectors.List(m["bindings"]) {
		b := collectors.Object(it)
		ib := snapshot.IAMBinding{Role: collectors.String(b["role"]), Members: collectors.Strings(b["members"])}
		if ib.Members == nil {
			ib.Members = []string{}
		}
		if c := collectors.Object(b["condition"]); c != nil {
			ib.Condition = condition(c)
		}
		p.Bindings = append(p.Bindings, ib)
	}
	return p
}

func condition(c map[string]any) *snapshot.IAMCondition {
	return &snapshot.IAMCondition{Title: collectors.String(c["title"]), Description: collectors.String(c["description"]), Expression: collectors.String(c["expression"])}
}

// denyPolicy reads a deny policy as gcloud iam policies get prints it.
func denyPolicy(m map[string]any, loc *snapshot.Location) snapshot.DenyPolicy {
	d := snapshot.DenyPolicy{Name: collectors.String(m["name"]), Rules: []snapshot.DenyRule{}, Source: loc}
	for _, it := range collectors.List(m["rules"]) {
		r := collectors.Object(collectors.Object(it)["denyRule"])
		if r == nil {
			continue
		}
		rule := snapshot.DenyRule{
			DeniedPrincipals: nonNil(collectors.Strings(r["deniedPrincipals"])), ExceptionPrincipals: nonNil(collectors.Strings(r["exceptionPrincipals"])),
			DeniedPermissions: nonNil(collectors.Strings(r["deniedPermissions"])), ExceptionPermissions: nonNil(collectors.Strings(r["exceptionPermissions"])),
		}
		if c := collectors.Object(r["denialCondition"]); c != nil {
			rule.Condition = condition(c)
		}
		d.Rules = append(d.Rules, rule)
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
