package profiles

import (
	"reflect"
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// Each target is resolved once, by one rule: the profile's cloud, else the
// one cloud the service account is annotated for, else the one provider
// every backup configuration names; the method and identity the profile's,
// else the cloud's annotation. Each case says which part decides and why.
func TestResolveTargets(t *testing.T) {
	const (
		ns   = "mxp-1a2b-system"
		role = "arn:aws:iam::123456789012:role/backup-restore-role"
		irsa = "eks.amazonaws.com/role-arn"
		gsa  = "iam.gke.io/gcp-service-account"
		az   = "azure.workload.identity/client-id"
	)
	aws := func(p string) snapshot.BackupConfig { return snapshot.BackupConfig{Provider: p} }
	cases := []struct {
		name        string
		profile     snapshot.Profile
		annotations map[string]string
		backups     []snapshot.BackupConfig
		want        snapshot.Target
	}{
		{
			name: "IRSA annotation decides cloud, method and identity", annotations: map[string]string{irsa: " " + role},
			want: snapshot.Target{Cloud: "aws", CloudFrom: "annotation", Method: "irsa", MethodFrom: "annotation", Identity: role, IdentityFrom: "annotation", Annotated: []string{"aws"}},
		},
		{
			// The profile wins over the cluster; the contradiction stays
			// visible in Annotated for WI-K8S-002 to report once.
			name: "profile says GCP, service account annotated for AWS", profile: snapshot.Profile{Cloud: "gcp"},
			annotations: map[string]string{irsa: role},
			want:        snapshot.Target{Cloud: "gcp", CloudFrom: "profile", Annotated: []string{"aws"}},
		},
		{
			name: "profile method and identity win", profile: snapshot.Profile{Cloud: "aws", Method: "pod-identity", Identity: "arn:aws:iam::123456789012:role/other"},
			annotations: map[string]string{irsa: role},
			want:        snapshot.Target{Cloud: "aws", CloudFrom: "profile", Method: "pod-identity", MethodFrom: "profile", Identity: "arn:aws:iam::123456789012:role/other", IdentityFrom: "profile", Annotated: []string{"aws"}},
		},
		{
			// Two clouds' annotations do not tell; the backup
			// configuration's provider then does, and no method follows.
			name: "two annotations, backup config names Azure", annotations: map[string]string{irsa: role, gsa: "x@p.iam.gserviceaccount.com"},
			backups: []snapshot.BackupConfig{aws(" Azure ")},
			want:    snapshot.Target{Cloud: "azure", CloudFrom: "backup-config", Annotated: []string{"aws", "gcp"}},
		},
		{
			name: "annotated for Azure only", annotations: map[string]string{az: "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"},
			backups: []snapshot.BackupConfig{aws("AWS")},
			want:    snapshot.Target{Cloud: "azure", CloudFrom: "annotation", Method: "azure-workload-identity", MethodFrom: "annotation", Identity: "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e", IdentityFrom: "annotation", Annotated: []string{"azure"}},
		},
		{
			name: "no annotation, every backup config names AWS", backups: []snapshot.BackupConfig{aws("AWS"), aws("aws")},
			want: snapshot.Target{Cloud: "aws", CloudFrom: "backup-config", Annotated: []string{}},
		},
		{
			name: "backup configs disagree", backups: []snapshot.BackupConfig{aws("AWS"), aws("GCP")},
			want: snapshot.Target{Annotated: []string{}},
		},
		{
			name: "backup config names an unknown provider", backups: []snapshot.BackupConfig{aws("AWS"), aws("minio")},
			want: snapshot.Target{Annotated: []string{}},
		},
		{
			// An empty annotation still names the cloud, but no identity.
			name: "empty IRSA annotation", annotations: map[string]string{irsa: ""},
			want: snapshot.Target{Cloud: "aws", CloudFrom: "annotation", Method: "irsa", MethodFrom: "annotation", Annotated: []string{"aws"}},
		},
		{
			name: "nothing tells", want: snapshot.Target{Annotated: []string{}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := snapshot.New(time.Time{})
			p := c.profile
			p.Name, p.ServiceAccount, p.Namespaces = "spaces-backup", "mxp-controller", snapshot.NamespaceMatch{Pattern: "^mxp-"}
			s.Profiles = []snapshot.Profile{p}
			s.Kubernetes.Namespaces[ns] = snapshot.Namespace{Name: ns}
			s.Kubernetes.Namespaces["default"] = snapshot.Namespace{Name: "default"}
			snapshot.Put(s.Kubernetes.ServiceAccounts, ns, "mxp-controller", snapshot.ServiceAccount{Meta: snapshot.Meta{Annotations: c.annotations}})
			s.Kubernetes.Spaces.SharedBackupConfigs = c.backups
			if err := Target(s); err != nil {
				t.Fatal(err)
			}
			want := c.want
			want.Profile, want.Namespace = "spaces-backup", ns
			if len(s.Targets) != 1 || !reflect.DeepEqual(s.Targets[0], want) {
				t.Errorf("targets\n got %+v\nwant [%+v]", s.Targets, want)
			}
			// Resolving again gives the same records.
			first := s.Targets
			if err := Target(s); err != nil || !reflect.DeepEqual(s.Targets, first) {
				t.Errorf("a second resolution differs: %+v", s.Targets)
			}
		})
	}
}

// A service account that is missing resolves like one without annotations:
// the target is kept, and the controls say the account is missing.
func TestResolveMissingServiceAccount(t *testing.T) {
	s := snapshot.New(time.Time{})
	p, _ := Get(Default)
	s.Profiles = []snapshot.Profile{p}
	ns := "mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system"
	s.Kubernetes.Namespaces[ns] = snapshot.Namespace{Name: ns}
	if err := Target(s); err != nil {
		t.Fatal(err)
	}
	want := []snapshot.Target{{Profile: Default, Namespace: ns, Annotated: []string{}}}
	if !reflect.DeepEqual(s.Targets, want) {
		t.Errorf("targets %+v, want %+v", s.Targets, want)
	}
}
