package azure_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/collectors/evidence"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// bundle is the shipped Azure Space; cases copy it and change files.
const bundle = "../../testdata/evidence/azure-space"

func collect(t *testing.T, change map[string]string) *snapshot.Snapshot {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(bundle, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(bundle, p)
		b, err := os.ReadFile(p) //nolint:gosec // G304: the shipped bundle
		if err != nil {
			return err
		}
		if body, ok := change[rel]; ok {
			b = []byte(body)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o750); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600) //nolint:gosec // G703: under the test's folder
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel, body := range change {
		if _, err := os.Stat(filepath.Join(bundle, rel)); err != nil {
			if err := os.WriteFile(filepath.Join(dir, rel), []byte(body), 0o600); err != nil { //nolint:gosec // G703: under the test's folder
				t.Fatal(err)
			}
		}
	}
	s := snapshot.New(time.Now())
	p, _ := profiles.Get(profiles.Default)
	s.Profiles = []snapshot.Profile{p}
	if err := (&evidence.Collector{Dir: dir}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

const client = "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"

// The shipped exports give the whole Azure section: the cluster, the
// identity with its two credentials and proof of its listings, both
// assignments, no deny, the account with shared-key access null; no gap.
func TestBundle(t *testing.T) {
	s := collect(t, nil)
	az := s.Azure
	if az == nil || az.Cluster == nil || *az.Cluster.OIDCIssuerEnabled != true || !strings.HasSuffix(az.Cluster.OIDCIssuer, "/") {
		t.Fatalf("azure %+v", az)
	}
	i := az.Identities[client]
	if !i.Found || len(i.FederatedCredentials) != 2 || !i.Assignments || !i.DenyAssignments || i.Source == nil || i.Source.File != "az/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json" || i.Source.Line != 4 {
		t.Errorf("identity %+v", i)
	}
	if len(az.RoleAssignments) != 2 || len(az.DenyAssignments) != 0 || az.StorageAccounts["spacesbackups"].AllowSharedKeyAccess != nil {
		t.Errorf("assignments %d, deny %d, account %+v", len(az.RoleAssignments), len(az.DenyAssignments), az.StorageAccounts["spacesbackups"])
	}
	if len(az.IdentitiesListed) != 1 || az.IdentitiesListed[0] != "0b1f6471-1bf0-4dda-aec3-111122223333" {
		t.Errorf("listed %v", az.IdentitiesListed)
	}
	for _, e := range s.Errors {
		t.Errorf("gap %+v", e)
	}
}

func gap(s *snapshot.Snapshot, reason, text string) *snapshot.CollectionError {
	for i, e := range s.Errors {
		if e.Reason == reason && strings.Contains(e.Message, text) {
			return &s.Errors[i]
		}
	}
	return nil
}

// Evidence that contradicts itself is reported, with file and line, and
// not merged: two clusters, one client ID given by two identities, one
// account name with two IDs.
func TestContradictions(t *testing.T) {
	other := strings.ReplaceAll(read(t, "az/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json"), "backup-restore-identity", "other-identity")
	s := collect(t, map[string]string{
		"az/aks2.json":                   strings.ReplaceAll(read(t, "az/aks.json"), "managedClusters/spaces", "managedClusters/other"),
		"az/identities-other.json":       other,
		"az/storage-accounts/other.json": strings.ReplaceAll(read(t, "az/storage-accounts/spacesbackups.json"), "resourceGroups/spaces/", "resourceGroups/other/"),
	})
	for _, want := range []string{"the evidence holds 2 AKS clusters", "is given by two identities", "storage account spacesbackups is given twice with different IDs"} {
		g := gap(s, "conflict", want)
		if g == nil || g.Source == nil || g.Source.Line == 0 {
			t.Errorf("no conflict gap with file and line saying %q: %+v", want, s.Errors)
		}
	}
	if s.Azure.Cluster != nil {
		t.Error("a cluster was chosen among two")
	}
	if _, ok := s.Azure.Identities[client]; ok {
		t.Error("a client ID given by two identities was kept")
	}
	if _, ok := s.Azure.StorageAccounts["spacesbackups"]; ok {
		t.Error("an account given with two IDs was kept")
	}
}

// A malformed resource ID in a scope is a gap naming the file and line,
// never a crash; the assignment stays, for the analysis to report.
func TestMalformedScope(t *testing.T) {
	s := collect(t, map[string]string{"az/identities/backup-restore-identity/role-assignments.json": strings.Replace(read(t, "az/identities/backup-restore-identity/role-assignments.json"), `"scope": "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces"`, `"scope": "/subscriptions/not-a-guid/resourceGroups/spaces"`, 1)})
	g := gap(s, "malformed", "the subscription is not a GUID")
	if g == nil || g.Source.File != "az/identities/backup-restore-identity/role-assignments.json" || g.Source.Line == 0 {
		t.Fatalf("gap %+v in %+v", g, s.Errors)
	}
}

// Without a full listing a client ID nobody exported is missing evidence,
// not a missing identity; with one it is proven absent.
func TestAbsenceProof(t *testing.T) {
	sa := strings.ReplaceAll(read(t, "serviceaccounts.yaml"), client, "0f0f0f0f-0000-4000-8000-000000000000")
	s := collect(t, map[string]string{"serviceaccounts.yaml": sa})
	if i, ok := s.Azure.Identities["0f0f0f0f-0000-4000-8000-000000000000"]; !ok || i.Found {
		t.Errorf("listed subscription: identity %+v, want proven absent", i)
	}
	ids := strings.Replace(read(t, "az/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json"), `"subscription": "0b1f6471-1bf0-4dda-aec3-111122223333",`, "", 1)
	ids = strings.Replace(ids, `"identities": [`, `"value": [`, 1)
	s = collect(t, map[string]string{"serviceaccounts.yaml": sa, "az/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json": ids})
	if _, ok := s.Azure.Identities["0f0f0f0f-0000-4000-8000-000000000000"]; ok {
		t.Error("a plain listing proved absence")
	}
	if gap(s, "not-provided", "no full listing of a subscription's identities") == nil {
		t.Errorf("no gap for the unproven identity: %+v", s.Errors)
	}
}

// A bare federated-credential list marks credentials read only for the
// identities it holds; the wrapper proves an empty list.
func TestCredentialsRead(t *testing.T) {
	const creds = "az/identities/backup-restore-identity/federated-credentials.json"
	s := collect(t, map[string]string{creds: `{"identity": "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity", "federatedCredentials": []}`}) //nolint:gosec // G101: a file name, not a credential
	if c := s.Azure.Identities[client].FederatedCredentials; c == nil || len(c) != 0 {
		t.Errorf("credentials %v, want read and empty", c)
	}
	s = collect(t, map[string]string{creds: `{"other": 1}`}) //nolint:gosec // G101: a file name, not a credential
	if c := s.Azure.Identities[client].FederatedCredentials; c != nil {
		t.Errorf("credentials %v, want unread", c)
	}
	if gap(s, "not-provided", "no federated credentials of identity backup-restore-identity") == nil {
		t.Errorf("no gap: %+v", s.Errors)
	}
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, rel)) //nolint:gosec // G304: the shipped bundle
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
