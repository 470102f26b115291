package gcp

import (
	"fmt"
	"strings"
)

// Subject is who asks: a Google service account (Email), or a Kubernetes
// service account acting as itself through its IAM principal identifier
// (Pool, Namespace, Name; ProjectNumber when known, Cluster its GKE
// cluster's resource name when known).
type Subject struct {
	Email         string `json:"email,omitempty"`
	Pool          string `json:"pool,omitempty"`
	ProjectNumber string `json:"projectNumber,omitempty"`
	Namespace     string `json:"namespace,omitempty"`
	Name          string `json:"name,omitempty"`
	Cluster       string `json:"cluster,omitempty"`

	// member and subject are the legacy member and the principal's
	// subject path, computed once (prepared).
	member, subject string
}

// prepared returns s with the strings every match compares computed.
func (s Subject) prepared() Subject {
	s.member = s.Member()
	if s.Workload() {
		s.subject = fmt.Sprintf("subject/ns/%s/sa/%s", s.Namespace, s.Name)
	}
	return s
}

// Workload says the subject is a Kubernetes service account.
func (s Subject) Workload() bool { return s.Email == "" }

// Member is the legacy member spelling of the subject in allow policies.
func (s Subject) Member() string {
	if !s.Workload() {
		return "serviceAccount:" + s.Email
	}
	return fmt.Sprintf("serviceAccount:%s[%s/%s]", s.Pool, s.Namespace, s.Name)
}

// Principal is the subject's IAM principal identifier, as allow and deny
// policies write it.
func (s Subject) Principal() string {
	if !s.Workload() {
		return "principal://iam.googleapis.com/projects/-/serviceAccounts/" + s.Email
	}
	return fmt.Sprintf("%s/subject/ns/%s/sa/%s", s.poolPath(s.ProjectNumber), s.Namespace, s.Name)
}

func (s Subject) poolPath(number string) string {
	if number == "" {
		number = "PROJECT_NUMBER"
	}
	return fmt.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s", number, s.Pool)
}

// Match is how a member names a subject: exact (it names the subject
// itself), broad (a set that holds it, with Why naming the set), unknown
// (membership wiscan cannot see, Why says which), or none.
type Match struct {
	Kind string
	Why  string
}

var none = Match{Kind: "none"}

// MatchMember judges a member of an allow policy, or a principal of a deny
// policy, against the subject.
func (s Subject) MatchMember(member string) Match {
	m := strings.TrimSpace(member)
	switch {
	case m == "allUsers" || m == "principalSet://goog/public:all":
		return Match{"broad", "everyone (" + m + ")"}
	case m == "allAuthenticatedUsers":
		return Match{"broad", "every authenticated Google identity (allAuthenticatedUsers)"}
	case strings.HasPrefix(m, "group:") || strings.HasPrefix(m, "principalSet://goog/group/"):
		return Match{"unknown", "group " + strings.TrimPrefix(strings.TrimPrefix(m, "group:"), "principalSet://goog/group/") + ", whose members wiscan does not read"}
	case strings.HasPrefix(m, "domain:") || strings.HasPrefix(m, "principalSet://goog/cloudIdentityCustomerId/"):
		return Match{"unknown", "domain " + strings.TrimPrefix(m, "domain:") + ", whose members wiscan does not read"}
	case strings.HasPrefix(m, "deleted:"):
		return none
	}
	if !s.Workload() {
		e := strings.ToLower(s.Email)
		switch strings.ToLower(m) {
		case "serviceaccount:" + e, "principal://iam.googleapis.com/projects/-/serviceaccounts/" + e:
			return Match{Kind: "exact"}
		}
		return none
	}
	if s.member == "" {
		s = s.prepared()
	}
	if m == s.member {
		return Match{Kind: "exact"}
	}
	rest, ok := s.inPool(m)
	if !ok {
		return none
	}
	switch {
	case strings.HasPrefix(m, "principal://") && rest == s.subject:
		return Match{Kind: "exact"}
	case !strings.HasPrefix(m, "principalSet://"):
		return none
	case rest == "*":
		return Match{"broad", "every identity of workload pool " + s.Pool}
	case rest == "namespace/"+s.Namespace:
		return Match{"broad", "every service account of namespace " + s.Namespace}
	case strings.HasPrefix(rest, "kubernetes.cluster/"):
		url := strings.TrimPrefix(rest, "kubernetes.cluster/")
		if s.Cluster == "" {
			return Match{"unknown", "the workloads of cluster " + url + ", and wiscan does not know the cluster in use"}
		}
		if strings.TrimPrefix(url, "https://container.googleapis.com/v1/") == s.Cluster {
			return Match{"broad", "every workload of cluster " + s.Cluster}
		}
		return none
	case strings.HasPrefix(rest, "kubernetes.serviceaccount.uid/"):
		return Match{"unknown", "the service account with UID " + strings.TrimPrefix(rest, "kubernetes.serviceaccount.uid/") + ", and wiscan does not read UIDs"}
	}
	return none
}

// inPool returns what follows the subject's pool in a principal or
// principal set, and whether the member is in its pool. A project number
// other than the subject's is another project, unless the subject's is
// not known: the pool's name (<project>.svc.id.goog) names the project.
func (s Subject) inPool(m string) (string, bool) {
	for _, scheme := range []string{"principal://", "principalSet://"} {
		if !strings.HasPrefix(m, scheme) {
			continue
		}
		body := strings.TrimPrefix(m, scheme)
		const head = "iam.googleapis.com/projects/"
		if !strings.HasPrefix(body, head) {
			return "", false
		}
		number, after, ok := strings.Cut(strings.TrimPrefix(body, head), "/")
		if !ok || (s.ProjectNumber != "" && number != s.ProjectNumber) {
			return "", false
		}
		prefix := "locations/global/workloadIdentityPools/" + s.Pool + "/"
		if !strings.HasPrefix(after, prefix) {
			return "", false
		}
		return strings.TrimPrefix(after, prefix), true
	}
	return "", false
}
