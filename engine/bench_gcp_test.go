package engine

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// syntheticGCP is the synthetic Space on GKE: every control plane acts as
// one Google service account (impersonation), whose policy names each
// control plane's service account, or, with principal, as itself through
// its principal identifier, each named in the bucket's policy: the
// largest policies a Space gives. Every tenth control plane is missing
// from the policy.
func syntheticGCP(n int, principal bool) *snapshot.Snapshot {
	s := synthetic(n)
	s.AWS = nil
	const email = "backup-restore-sa@acme-prod.iam.gserviceaccount.com"
	g := snapshot.NewGCP()
	g.Project, g.ProjectNumber, g.Ancestry = "acme-prod", "123456789012", []string{"organizations/222222222222"}
	g.Cluster = &snapshot.GKECluster{Name: "projects/acme-prod/locations/us-central1/clusters/spaces", WorkloadPool: "acme-prod.svc.id.goog"}
	g.NodePools = map[string]snapshot.NodePool{"default-pool": {Name: "default-pool", WorkloadMetadata: "GKE_METADATA"}}
	var members []string
	changed, started := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for ns, sas := range s.Kubernetes.ServiceAccounts {
		sa := sas["mxp-controller"]
		sa.Annotations = map[string]string{}
		sa.UpdatedAt = &changed
		if !principal {
			sa.Annotations["iam.gke.io/gcp-service-account"] = email
		}
		sas["mxp-controller"] = sa
		for name, p := range s.Kubernetes.Pods[ns] {
			p.NodeName = "node-1"
			p.CreatedAt = &started
			p.Spec.Containers[0].Env = []snapshot.EnvVar{}
			p.Spec.Volumes = []snapshot.Volume{}
			s.Kubernetes.Pods[ns][name] = p
		}
		if ns[4:12] == fmt.Sprintf("%08x", 0) || len(members)%10 == 9 {
			continue
		}
		if principal {
			members = append(members, "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-prod.svc.id.goog/subject/ns/"+ns+"/sa/mxp-controller")
		} else {
			members = append(members, "serviceAccount:acme-prod.svc.id.goog["+ns+"/mxp-controller]")
		}
	}
	s.Kubernetes.Nodes = map[string]snapshot.Node{"node-1": {Name: "node-1", Pool: "default-pool"}}
	g.ServiceAccounts[email] = snapshot.GoogleServiceAccount{Email: email, Found: true, Keys: []snapshot.ServiceAccountKey{},
		Policy: &snapshot.IAMPolicy{Version: 1, Bindings: []snapshot.IAMBinding{{Role: "roles/iam.workloadIdentityUser", Members: members}}}}
	bucketMembers := []string{"serviceAccount:" + email}
	if principal {
		bucketMembers = members
	}
	g.Policies["buckets/spaces-backups"] = snapshot.IAMPolicy{Bindings: []snapshot.IAMBinding{{Role: "roles/storage.objectUser", Members: bucketMembers}}}
	g.Policies["projects/acme-prod"] = snapshot.IAMPolicy{Bindings: []snapshot.IAMBinding{}}
	g.Policies["organizations/222222222222"] = snapshot.IAMPolicy{Bindings: []snapshot.IAMBinding{}}
	g.DenyPolicies["projects/acme-prod"] = []snapshot.DenyPolicy{}
	g.DenyPolicies["organizations/222222222222"] = []snapshot.DenyPolicy{}
	s.GCP = g
	s.Kubernetes.Spaces.SharedBackupConfigs[0].Provider = "GCP"
	s.Kubernetes.Spaces.SharedBackupConfigs[0].Config = map[string]string{}
	p := s.Profiles[0]
	p.Cloud = "gcp"
	if principal {
		p.Method = "gcp-principal"
	}
	s.Profiles = []snapshot.Profile{p}
	if err := profiles.Target(s); err != nil {
		panic(err)
	}
	return s
}

// BenchmarkEvaluateGCP measures one evaluation of every control on a GKE
// Space of 1,000 control planes, for each method.
func BenchmarkEvaluateGCP(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, principal := range []bool{false, true} {
		s := syntheticGCP(1000, principal)
		b.Run(fmt.Sprintf("namespaces=1000/principal=%t", principal), func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Evaluate(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The synthetic GKE Space yields what it was built with: the control
// planes left out of the policy fail WI-GCP-004 (impersonation) or
// WI-GCP-006 (principal identifiers), one finding each; the shared
// account's key-free, bucket-scoped setup passes the rest.
func TestSyntheticGCPFindings(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, principal := range []bool{false, true} {
		s := syntheticGCP(100, principal)
		missing := 0
		for ns := range s.Kubernetes.Namespaces {
			found := false
			for _, b := range append(s.GCP.ServiceAccounts["backup-restore-sa@acme-prod.iam.gserviceaccount.com"].Policy.Bindings[0].Members, s.GCP.Policies["buckets/spaces-backups"].Bindings[0].Members...) {
				if strings.Contains(b, "/"+ns+"/") || strings.Contains(b, "["+ns+"/") {
					found = true
				}
			}
			if !found {
				missing++
			}
		}
		fs, err := e.Evaluate(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, f := range fs {
			count[f.ControlID+"/"+string(f.Status)]++
		}
		control := "WI-GCP-004/fail"
		if principal {
			control = "WI-GCP-006/fail"
		}
		want := map[string]int{control: missing, "WI-K8S-010/fail": 10}
		if principal {
			// Without an annotation and without a binding, the service
			// account is unbound on the cloud side too.
			want["WI-K8S-002/fail"] = missing
		}
		if !maps.Equal(count, want) {
			t.Errorf("principal=%t: findings by control %v, want %v", principal, count, want)
		}
	}
}
