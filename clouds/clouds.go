// Package clouds is what wiscan knows of each cloud's workload identity on
// the Kubernetes side: the service-account annotation that binds a workload
// to a cloud identity and its usual misspellings, the pod label, the
// variables the cloud's webhook injects, the token's audience, and the
// methods. Profiles, collectors, the CLI and the policies (as
// data.wiscan.clouds) all read this one table; adding a cloud is one entry
// here.
package clouds

import (
	"slices"
	"strings"
)

// Cloud is one cloud's workload identity as a cluster sees it.
type Cloud struct {
	// Name is how profiles, flags and findings spell the cloud.
	Name string `json:"name"`
	// Title is how people read it.
	Title string `json:"title"`
	// Annotation is the service-account annotation that names the cloud
	// identity, and Format the shape of its value.
	Annotation Key    `json:"annotation"`
	Format     Format `json:"format"`
	// PodLabel is a label the pod template must carry, if the cloud
	// needs one.
	PodLabel *Key `json:"podLabel,omitempty"`
	// InjectedEnv is the variable the cloud's webhook sets in new pods to
	// the identity the annotation names; empty when nothing is injected
	// and the pods read the service account when they start.
	InjectedEnv string `json:"injectedEnv,omitempty"`
	// TokenEnv names the projected token's file, and TokenAudience is the
	// token's audience unless AudienceAnnotation on the service account
	// sets another.
	TokenEnv           string `json:"tokenEnv,omitempty"`
	TokenAudience      string `json:"tokenAudience,omitempty"`
	AudienceAnnotation string `json:"audienceAnnotation,omitempty"`
	// Methods are the ways a workload binds to the cloud's identity.
	Methods []Method `json:"methods"`
}

// Key is a label or annotation key, with what recognises a misspelling of
// it: a key that holds one of Any among its words and one of Fragments
// within a word stands for this one.
type Key struct {
	Key       string   `json:"key"`
	Value     string   `json:"value,omitempty"`
	Any       []string `json:"any"`
	Fragments []string `json:"fragments"`
}

// Format is the shape of an identity annotation's value.
type Format struct {
	Pattern string `json:"pattern"`
	Want    string `json:"want"`
}

// Method is a way of binding a workload to a cloud identity.
type Method struct {
	Name string `json:"name"`
	// Annotation says the method binds through the service-account
	// annotation alone.
	Annotation bool `json:"annotation"`
	// Binding names, with its article, the cloud-side binding a method
	// without the annotation uses; Unread says where such bindings come
	// from when they were not read.
	Binding string `json:"binding,omitempty"`
	Unread  string `json:"unread,omitempty"`
	// InjectedEnv is a variable the method's webhook sets in new pods.
	InjectedEnv string `json:"injectedEnv,omitempty"`
}

// table is every cloud wiscan knows, in the order they are listed.
var table = []Cloud{
	{ //nolint:gosec // G101: names of variables and annotations, not credentials
		Name:  "aws",
		Title: "AWS",
		Annotation: Key{
			Key: "eks.amazonaws.com/role-arn",
			Any: []string{"eks", "amazonaws", "amazon", "aws"}, Fragments: []string{"role"},
		},
		Format: Format{
			Pattern: `^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::[0-9]{12}:role/([\x21-\x7e]+/)*[A-Za-z0-9+=,.@_-]{1,64}$`,
			Want:    "an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)",
		},
		InjectedEnv:        "AWS_ROLE_ARN",
		TokenEnv:           "AWS_WEB_IDENTITY_TOKEN_FILE",
		TokenAudience:      "sts.amazonaws.com",
		AudienceAnnotation: "eks.amazonaws.com/audience",
		Methods: []Method{
			{Name: "irsa", Annotation: true},
			{
				Name:        "pod-identity",
				Binding:     "an EKS Pod Identity association",
				Unread:      "EKS Pod Identity associations were not collected (they come from the AWS collector)",
				InjectedEnv: "AWS_CONTAINER_CREDENTIALS_FULL_URI",
			},
		},
	},
	{ //nolint:gosec // G101: names of variables and annotations, not credentials
		Name:  "azure",
		Title: "Azure",
		Annotation: Key{
			Key: "azure.workload.identity/client-id",
			Any: []string{"azure"}, Fragments: []string{"client"},
		},
		Format: Format{
			Pattern: `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`,
			Want:    "a GUID client ID",
		},
		PodLabel: &Key{
			Key: "azure.workload.identity/use", Value: "true",
			Any: []string{"azure"}, Fragments: []string{"use"},
		},
		InjectedEnv:   "AZURE_CLIENT_ID",
		TokenEnv:      "AZURE_FEDERATED_TOKEN_FILE",
		TokenAudience: "api://AzureADTokenExchange",
		Methods:       []Method{{Name: "azure-workload-identity", Annotation: true}},
	},
	{
		Name:  "gcp",
		Title: "Google Cloud",
		Annotation: Key{
			Key: "iam.gke.io/gcp-service-account",
			Any: []string{"gke"}, Fragments: []string{"service", "account", "gsa"},
		},
		Format: Format{
			Pattern: `^([a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9.:-]*[a-z0-9]\.iam\.gserviceaccount\.com|[0-9]+-compute@developer\.gserviceaccount\.com|[a-z][a-z0-9-]*@appspot\.gserviceaccount\.com)$`,
			Want:    "a Google service-account email (<name>@<project>.iam.gserviceaccount.com)",
		},
		Methods: []Method{
			{Name: "gke-workload-identity", Annotation: true},
			{
				Name:    "gcp-principal",
				Binding: "an IAM principal-identifier binding",
				Unread:  "IAM principal-identifier bindings were not collected (they come from the GCP collector)",
			},
		},
	},
}

// All returns every cloud, in table order.
func All() []Cloud { return slices.Clone(table) }

// Names returns the clouds' names, in table order.
func Names() []string {
	out := make([]string, len(table))
	for i, c := range table {
		out[i] = c.Name
	}
	return out
}

// Get returns the cloud named name.
func Get(name string) (Cloud, bool) {
	for _, c := range table {
		if c.Name == name {
			return c, true
		}
	}
	return Cloud{}, false
}

// OfMethod returns the cloud a method belongs to.
func OfMethod(method string) (Cloud, bool) {
	for _, c := range table {
		for _, m := range c.Methods {
			if m.Name == method {
				return c, true
			}
		}
	}
	return Cloud{}, false
}

// Methods returns every method's name, sorted.
func Methods() []string {
	var out []string
	for _, c := range table {
		for _, m := range c.Methods {
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out
}

// AnnotationMethod is the cloud's method that binds through its
// annotation alone, "" if none does.
func (c Cloud) AnnotationMethod() string {
	for _, m := range c.Methods {
		if m.Annotation {
			return m.Name
		}
	}
	return ""
}

// OfProvider returns the cloud a Spaces backup configuration's provider
// names (AWS, Azure, GCP, in any case and with surrounding space).
func OfProvider(provider string) (Cloud, bool) {
	return Get(strings.ToLower(strings.TrimSpace(provider)))
}

// Data is the table as the policies read it: data.wiscan.clouds[name].
func Data() map[string]Cloud {
	out := make(map[string]Cloud, len(table))
	for _, c := range table {
		out[c.Name] = c
	}
	return out
}
