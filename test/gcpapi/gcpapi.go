// Package gcpapi serves Google Cloud's APIs for tests, over their real
// wire protocols: an in-process gRPC server implementing the generated
// server interfaces of GKE, IAM (admin and deny policies) and Resource
// Manager, and an HTTP server answering the Cloud Storage JSON API's IAM
// calls. The real google-cloud-go clients are pointed at them. Space is
// the shipped Space (testdata/evidence/gcp-space) as GCP answers it.
package gcpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/container/apiv1/containerpb"
	"cloud.google.com/go/iam/admin/apiv1/adminpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	iamv2pb "cloud.google.com/go/iam/apiv2/iampb"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Fakes is what the servers answer, and what they were asked.
type Fakes struct {
	Projects map[string]*resourcemanagerpb.Project // by ID
	Folders  map[string]*resourcemanagerpb.Folder  // by name
	// Policies are the allow policies by resource: projects/ID,
	// folders/N, organizations/N, projects/-/serviceAccounts/E.
	Policies map[string]*iampb.Policy
	Clusters map[string]*containerpb.Cluster // by name
	Accounts map[string]*adminpb.ServiceAccount
	Keys     map[string][]*adminpb.ServiceAccountKey // by e-mail
	Roles    map[string]*adminpb.Role
	// Deny are the deny policies by their list's parent.
	Deny    map[string][]*iamv2pb.Policy
	Buckets map[string]*iampb.Policy
	// Fail makes a call (its name as Calls counts it) answer with a code;
	// Throttle makes it answer RESOURCE_EXHAUSTED that many times first.
	Fail     map[string]codes.Code
	Throttle map[string]int
	// Concurrent, when set, runs as a policy write arrives and before it
	// is checked: another writer's change in between.
	Concurrent func(call, resource string)

	mu     sync.Mutex
	calls  map[string]int
	writes []Write
}

// Write is one change a client asked for: the call, what it names, and
// what it sets.
type Write struct {
	Call, Target, Body string
}

// SetPolicy replaces a resource's allow policy, as another writer would.
func (f *Fakes) SetPolicy(resource string, p *iampb.Policy) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Policies[resource] = p
}

// Writes returns the changes served, in order.
func (f *Fakes) Writes() []Write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *Fakes) wrote(call, target, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, Write{Call: call, Target: target, Body: body})
}

// etag is a policy's version of itself: it changes with every write.
func etag(p *iampb.Policy) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprint(p.GetVersion()) + bindingsText(p.GetBindings())))
	return []byte(base64.StdEncoding.EncodeToString(sum[:6]))
}

// setPolicy replaces a policy if the request holds its current etag, as
// IAM does (ABORTED otherwise), and records the write.
func (f *Fakes) setPolicy(call string, policies map[string]*iampb.Policy, resource string, p *iampb.Policy) (*iampb.Policy, error) {
	if err := f.answer(call); err != nil {
		return nil, err
	}
	if f.Concurrent != nil {
		f.Concurrent(call, resource)
	}
	f.mu.Lock()
	cur, ok := policies[resource]
	f.mu.Unlock()
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "the caller does not have permission")
	}
	if len(p.GetEtag()) == 0 || string(p.GetEtag()) != string(etag(cur)) {
		return nil, status.Error(codes.Aborted, "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.")
	}
	out := &iampb.Policy{Version: p.GetVersion(), Bindings: p.GetBindings()}
	out.Etag = etag(out)
	f.mu.Lock()
	policies[resource] = out
	f.mu.Unlock()
	f.wrote(call, resource, bindingsText(p.GetBindings()))
	return out, nil
}

// bindingsText renders bindings as JSON, the same way every time.
func bindingsText(bs []*iampb.Binding) string {
	type binding struct {
		Role      string   `json:"role"`
		Members   []string `json:"members"`
		Condition string   `json:"condition,omitempty"`
	}
	out := []binding{}
	for _, b := range bs {
		out = append(out, binding{Role: b.GetRole(), Members: b.GetMembers(), Condition: b.GetCondition().GetExpression()})
	}
	j, _ := json.Marshal(out)
	return string(j)
}

// withEtag is a stored policy as IAM answers it, with its etag.
func withEtag(p *iampb.Policy) *iampb.Policy {
	out := &iampb.Policy{Version: p.GetVersion(), Bindings: p.GetBindings(), Etag: p.GetEtag()}
	if len(out.Etag) == 0 {
		out.Etag = etag(p)
	}
	return out
}

// Calls is how many times each call was made.
func (f *Fakes) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// answer counts a call and says the error it must give, if any.
func (f *Fakes) answer(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[call]++
	if f.Throttle[call] > 0 {
		f.Throttle[call]--
		return status.Error(codes.ResourceExhausted, "Quota exceeded for quota metric 'Read requests'")
	}
	if c, ok := f.Fail[call]; ok {
		return status.Errorf(c, "%s: %s", call, c)
	}
	return nil
}

func notFound(what string) error { return status.Errorf(codes.NotFound, "%s not found", what) }

// Start serves the fakes until the test ends; the options point the GKE,
// IAM and Resource Manager clients, and the Cloud Storage client, at
// them.
func (f *Fakes) Start(t testing.TB) (grpcOpts, storageOpts []option.ClientOption) {
	t.Helper()
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	containerpb.RegisterClusterManagerServer(s, &gke{f: f})
	adminpb.RegisterIAMServer(s, &admin{f: f})
	iamv2pb.RegisterPoliciesServer(s, &deny{f: f})
	resourcemanagerpb.RegisterProjectsServer(s, &projects{f: f})
	resourcemanagerpb.RegisterFoldersServer(s, &folders{f: f})
	resourcemanagerpb.RegisterOrganizationsServer(s, &orgs{f: f})
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	hs := httptest.NewServer(http.HandlerFunc(f.storage))
	t.Cleanup(hs.Close)
	grpcOpts = []option.ClientOption{
		option.WithEndpoint(lis.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
	storageOpts = []option.ClientOption{option.WithEndpoint(hs.URL + "/storage/v1/"), option.WithoutAuthentication()}
	return grpcOpts, storageOpts
}

type gke struct {
	containerpb.UnimplementedClusterManagerServer
	f *Fakes
}

func (s *gke) GetCluster(_ context.Context, r *containerpb.GetClusterRequest) (*containerpb.Cluster, error) {
	if err := s.f.answer("container.clusters.get"); err != nil {
		return nil, err
	}
	c, ok := s.f.Clusters[r.GetName()]
	if !ok {
		return nil, notFound(r.GetName())
	}
	return c, nil
}

func (s *gke) GetNodePool(_ context.Context, r *containerpb.GetNodePoolRequest) (*containerpb.NodePool, error) {
	if err := s.f.answer("container.nodePools.get"); err != nil {
		return nil, err
	}
	np := s.f.nodePool(r.GetName())
	if np == nil {
		return nil, notFound(r.GetName())
	}
	return np, nil
}

func (s *gke) UpdateNodePool(_ context.Context, r *containerpb.UpdateNodePoolRequest) (*containerpb.Operation, error) {
	if err := s.f.answer("container.nodePools.update"); err != nil {
		return nil, err
	}
	np := s.f.nodePool(r.GetName())
	if np == nil {
		return nil, notFound(r.GetName())
	}
	s.f.mu.Lock()
	if np.Config == nil {
		np.Config = &containerpb.NodeConfig{}
	}
	np.Config.WorkloadMetadataConfig = r.GetWorkloadMetadataConfig()
	s.f.mu.Unlock()
	s.f.wrote("container.nodePools.update", r.GetName(), "workloadMetadataConfig.mode="+r.GetWorkloadMetadataConfig().GetMode().String())
	return &containerpb.Operation{Name: "operation-1", OperationType: containerpb.Operation_UPGRADE_NODES, Status: containerpb.Operation_RUNNING, TargetLink: np.GetSelfLink()}, nil
}

// nodePool finds projects/P/locations/L/clusters/C/nodePools/N.
func (f *Fakes) nodePool(name string) *containerpb.NodePool {
	cluster, pool, ok := strings.Cut(name, "/nodePools/")
	if !ok {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, np := range f.Clusters[cluster].GetNodePools() {
		if np.GetName() == pool {
			return np
		}
	}
	return nil
}

type admin struct {
	adminpb.UnimplementedIAMServer
	f *Fakes
}

func email(name string) string { return name[strings.LastIndex(name, "/")+1:] }

func (s *admin) GetServiceAccount(_ context.Context, r *adminpb.GetServiceAccountRequest) (*adminpb.ServiceAccount, error) {
	if err := s.f.answer("iam.serviceAccounts.get"); err != nil {
		return nil, err
	}
	a, ok := s.f.Accounts[email(r.GetName())]
	if !ok {
		return nil, notFound(r.GetName())
	}
	return a, nil
}

func (s *admin) GetIamPolicy(_ context.Context, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	if err := s.f.answer("iam.serviceAccounts.getIamPolicy"); err != nil {
		return nil, err
	}
	s.f.mu.Lock()
	p, ok := s.f.Policies[r.GetResource()]
	s.f.mu.Unlock()
	if ok {
		return withEtag(p), nil
	}
	return &iampb.Policy{Etag: []byte("ACAB")}, nil
}

func (s *admin) SetIamPolicy(_ context.Context, r *iampb.SetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.setPolicy("iam.serviceAccounts.setIamPolicy", s.f.Policies, r.GetResource(), r.GetPolicy())
}

func (s *admin) GetServiceAccountKey(_ context.Context, r *adminpb.GetServiceAccountKeyRequest) (*adminpb.ServiceAccountKey, error) {
	if err := s.f.answer("iam.serviceAccountKeys.get"); err != nil {
		return nil, err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for _, k := range s.f.Keys[email(strings.Split(r.GetName(), "/keys/")[0])] {
		if k.GetName() == r.GetName() || strings.HasSuffix(r.GetName(), "/keys/"+k.GetName()[strings.LastIndex(k.GetName(), "/")+1:]) {
			return k, nil
		}
	}
	return nil, notFound(r.GetName())
}

func (s *admin) DeleteServiceAccountKey(_ context.Context, r *adminpb.DeleteServiceAccountKeyRequest) (*emptypb.Empty, error) {
	if err := s.f.answer("iam.serviceAccountKeys.delete"); err != nil {
		return nil, err
	}
	acct := email(strings.Split(r.GetName(), "/keys/")[0])
	id := r.GetName()[strings.LastIndex(r.GetName(), "/")+1:]
	s.f.mu.Lock()
	keys := s.f.Keys[acct]
	i := slices.IndexFunc(keys, func(k *adminpb.ServiceAccountKey) bool { return strings.HasSuffix(k.GetName(), "/keys/"+id) })
	if i >= 0 {
		s.f.Keys[acct] = slices.Delete(slices.Clone(keys), i, i+1)
	}
	s.f.mu.Unlock()
	if i < 0 {
		return nil, notFound(r.GetName())
	}
	s.f.wrote("iam.serviceAccountKeys.delete", r.GetName(), "")
	return &emptypb.Empty{}, nil
}

func (s *admin) ListServiceAccountKeys(_ context.Context, r *adminpb.ListServiceAccountKeysRequest) (*adminpb.ListServiceAccountKeysResponse, error) {
	if err := s.f.answer("iam.serviceAccountKeys.list"); err != nil {
		return nil, err
	}
	if !slices.Equal(r.GetKeyTypes(), []adminpb.ListServiceAccountKeysRequest_KeyType{adminpb.ListServiceAccountKeysRequest_USER_MANAGED}) {
		return nil, status.Error(codes.InvalidArgument, "the fake lists user-managed keys only")
	}
	return &adminpb.ListServiceAccountKeysResponse{Keys: s.f.Keys[email(r.GetName())]}, nil
}

func (s *admin) GetRole(_ context.Context, r *adminpb.GetRoleRequest) (*adminpb.Role, error) {
	if err := s.f.answer("iam.roles.get"); err != nil {
		return nil, err
	}
	role, ok := s.f.Roles[r.GetName()]
	if !ok {
		return nil, notFound(r.GetName())
	}
	return role, nil
}

type deny struct {
	iamv2pb.UnimplementedPoliciesServer
	f *Fakes
}

func (s *deny) ListPolicies(_ context.Context, r *iamv2pb.ListPoliciesRequest) (*iamv2pb.ListPoliciesResponse, error) {
	if err := s.f.answer("iam.denypolicies.list"); err != nil {
		return nil, err
	}
	var out []*iamv2pb.Policy
	for _, p := range s.f.Deny[r.GetParent()] {
		// A list answers without rules, as IAM's does.
		out = append(out, &iamv2pb.Policy{Name: p.GetName(), Uid: p.GetUid(), Kind: p.GetKind(), DisplayName: p.GetDisplayName()})
	}
	return &iamv2pb.ListPoliciesResponse{Policies: out}, nil
}

func (s *deny) GetPolicy(_ context.Context, r *iamv2pb.GetPolicyRequest) (*iamv2pb.Policy, error) {
	if err := s.f.answer("iam.denypolicies.get"); err != nil {
		return nil, err
	}
	for _, ps := range s.f.Deny {
		for _, p := range ps {
			if p.GetName() == r.GetName() {
				return p, nil
			}
		}
	}
	return nil, notFound(r.GetName())
}

type projects struct {
	resourcemanagerpb.UnimplementedProjectsServer
	f *Fakes
}

func (s *projects) GetProject(_ context.Context, r *resourcemanagerpb.GetProjectRequest) (*resourcemanagerpb.Project, error) {
	if err := s.f.answer("resourcemanager.projects.get"); err != nil {
		return nil, err
	}
	p, ok := s.f.Projects[strings.TrimPrefix(r.GetName(), "projects/")]
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "the caller does not have permission")
	}
	return p, nil
}

func (s *projects) GetIamPolicy(_ context.Context, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.policy("resourcemanager.projects.getIamPolicy", r)
}

func (s *projects) SetIamPolicy(_ context.Context, r *iampb.SetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.setPolicy("resourcemanager.projects.setIamPolicy", s.f.Policies, r.GetResource(), r.GetPolicy())
}

type folders struct {
	resourcemanagerpb.UnimplementedFoldersServer
	f *Fakes
}

func (s *folders) GetFolder(_ context.Context, r *resourcemanagerpb.GetFolderRequest) (*resourcemanagerpb.Folder, error) {
	if err := s.f.answer("resourcemanager.folders.get"); err != nil {
		return nil, err
	}
	fo, ok := s.f.Folders[r.GetName()]
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "the caller does not have permission")
	}
	return fo, nil
}

func (s *folders) GetIamPolicy(_ context.Context, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.policy("resourcemanager.folders.getIamPolicy", r)
}

func (s *folders) SetIamPolicy(_ context.Context, r *iampb.SetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.setPolicy("resourcemanager.folders.setIamPolicy", s.f.Policies, r.GetResource(), r.GetPolicy())
}

type orgs struct {
	resourcemanagerpb.UnimplementedOrganizationsServer
	f *Fakes
}

func (s *orgs) GetIamPolicy(_ context.Context, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	return s.f.policy("resourcemanager.organizations.getIamPolicy", r)
}

func (f *Fakes) policy(call string, r *iampb.GetIamPolicyRequest) (*iampb.Policy, error) {
	if err := f.answer(call); err != nil {
		return nil, err
	}
	if r.GetOptions().GetRequestedPolicyVersion() != 3 {
		return nil, status.Error(codes.InvalidArgument, "the fake answers policy version 3 requests only")
	}
	f.mu.Lock()
	p, ok := f.Policies[r.GetResource()]
	f.mu.Unlock()
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "the caller does not have permission")
	}
	return withEtag(p), nil
}

// storageBinding and storagePolicy are a bucket's IAM policy as the Cloud
// Storage JSON API writes it.
type storageBinding struct {
	Role      string   `json:"role"`
	Members   []string `json:"members"`
	Condition *struct {
		Title       string `json:"title,omitempty"`
		Description string `json:"description,omitempty"`
		Expression  string `json:"expression"`
	} `json:"condition,omitempty"`
}

type storagePolicy struct {
	Kind       string           `json:"kind"`
	ResourceID string           `json:"resourceId"`
	Version    int              `json:"version"`
	Etag       string           `json:"etag"`
	Bindings   []storageBinding `json:"bindings"`
}

// storage answers the Cloud Storage JSON API's bucket getIamPolicy (GET
// /storage/v1/b/{bucket}/iam) and setIamPolicy (PUT, refused with 412
// unless it holds the policy's current etag).
func (f *Fakes) storage(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/storage/v1/b/")
	bucket, ok2 := strings.CutSuffix(rest, "/iam")
	if !ok || !ok2 || (r.Method != http.MethodGet && r.Method != http.MethodPut) {
		http.Error(w, `{"error": {"code": 400, "message": "the fake answers bucket IAM calls only"}}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	call := "storage.buckets.getIamPolicy"
	if r.Method == http.MethodPut {
		call = "storage.buckets.setIamPolicy"
	}
	if err := f.answer(call); err != nil {
		st, _ := status.FromError(err)
		httpCode := map[codes.Code]int{codes.PermissionDenied: 403, codes.NotFound: 404, codes.ResourceExhausted: 429, codes.Unauthenticated: 401}[st.Code()]
		if httpCode == 0 {
			httpCode = 500
		}
		w.WriteHeader(httpCode)
		_, _ = fmt.Fprintf(w, `{"error": {"code": %d, "message": %q}}`, httpCode, st.Message())
		return
	}
	if r.Method == http.MethodGet && r.URL.Query().Get("optionsRequestedPolicyVersion") != "3" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprint(w, `{"error": {"code": 400, "message": "the fake answers policy version 3 requests only"}}`)
		return
	}
	f.mu.Lock()
	p, ok := f.Buckets[bucket]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprint(w, `{"error": {"code": 404, "message": "The specified bucket does not exist."}}`)
		return
	}
	if r.Method == http.MethodPut {
		var in storagePolicy
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Etag != string(etag(p)) {
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = fmt.Fprint(w, `{"error": {"code": 412, "message": "Precondition Failed"}}`)
			return
		}
		np := &iampb.Policy{Version: int32(in.Version)} //nolint:gosec // G115: a policy version, 1 or 3
		for _, b := range in.Bindings {
			nb := &iampb.Binding{Role: b.Role, Members: b.Members}
			if b.Condition != nil {
				nb.Condition = &expr.Expr{Title: b.Condition.Title, Description: b.Condition.Description, Expression: b.Condition.Expression}
			}
			np.Bindings = append(np.Bindings, nb)
		}
		f.mu.Lock()
		f.Buckets[bucket] = np
		f.mu.Unlock()
		f.wrote(call, bucket, bindingsText(np.Bindings))
		p = np
	}
	out := storagePolicy{Kind: "storage#policy", ResourceID: "projects/_/buckets/" + bucket, Version: 3, Etag: string(etag(p))}
	for _, b := range p.GetBindings() {
		jb := storageBinding{Role: b.GetRole(), Members: b.GetMembers()}
		if c := b.GetCondition(); c != nil {
			jb.Condition = &struct {
				Title       string `json:"title,omitempty"`
				Description string `json:"description,omitempty"`
				Expression  string `json:"expression"`
			}{Title: c.GetTitle(), Description: c.GetDescription(), Expression: c.GetExpression()}
		}
		out.Bindings = append(out.Bindings, jb)
	}
	_ = json.NewEncoder(w).Encode(out)
}

// The shipped Space's names.
const (
	Project   = "acme-prod"
	Number    = "123456789012"
	Location  = "us-central1"
	Cluster   = "spaces"
	Account   = "backup-restore-sa@acme-prod.iam.gserviceaccount.com"
	Bucket    = "spaces-backups"
	Folder    = "folders/111111111111"
	Org       = "organizations/222222222222"
	KeyID     = "3f9a1c5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"
	ClusterID = "projects/acme-prod/locations/us-central1/clusters/spaces"
)

// Namespaces are the Space's three control planes.
var Namespaces = []string{
	"mxp-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-system",
	"mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system",
	"mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system",
}

func member(ns string) string {
	return fmt.Sprintf("serviceAccount:%s.svc.id.goog[%s/mxp-controller]", Project, ns)
}

func binding(role string, members ...string) *iampb.Binding {
	return &iampb.Binding{Role: role, Members: members}
}

// Conditional is a binding with a condition.
func Conditional(role, expression string, members ...string) *iampb.Binding {
	return &iampb.Binding{Role: role, Members: members, Condition: &expr.Expr{Title: "condition", Expression: expression}}
}

// Space is the shipped Space as GCP answers it.
func Space() *Fakes {
	selfLink := "https://container.googleapis.com/v1/" + ClusterID
	return &Fakes{
		Projects: map[string]*resourcemanagerpb.Project{Project: {Name: "projects/" + Number, ProjectId: Project, Parent: Folder, DisplayName: Project}},
		Folders:  map[string]*resourcemanagerpb.Folder{Folder: {Name: Folder, Parent: Org, DisplayName: "platform"}},
		Policies: map[string]*iampb.Policy{
			"projects/" + Project: {Version: 1, Bindings: []*iampb.Binding{
				binding("roles/owner", "user:platform-admin@acme.example"),
				binding("roles/storage.objectAdmin", "serviceAccount:"+Account),
				binding("roles/container.developer", "group:spaces-operators@acme.example"),
			}},
			Folder: {Version: 1, Bindings: []*iampb.Binding{binding("roles/resourcemanager.folderViewer", "group:spaces-operators@acme.example")}},
			Org:    {Version: 1, Bindings: []*iampb.Binding{binding("roles/resourcemanager.organizationAdmin", "user:platform-admin@acme.example")}},
			"projects/-/serviceAccounts/" + Account: {Version: 1, Bindings: []*iampb.Binding{binding("roles/iam.workloadIdentityUser",
				member(Namespaces[0]), member("mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-sytem"), member(Namespaces[2]))}},
		},
		Clusters: map[string]*containerpb.Cluster{ClusterID: {
			Name: Cluster, Location: Location, SelfLink: selfLink,
			WorkloadIdentityConfig: &containerpb.WorkloadIdentityConfig{WorkloadPool: Project + ".svc.id.goog"},
			NodePools: []*containerpb.NodePool{
				{Name: "default-pool", SelfLink: selfLink + "/nodePools/default-pool", Config: &containerpb.NodeConfig{
					WorkloadMetadataConfig: &containerpb.WorkloadMetadataConfig{Mode: containerpb.WorkloadMetadataConfig_GKE_METADATA}}},
				{Name: "legacy-pool", SelfLink: selfLink + "/nodePools/legacy-pool", Config: &containerpb.NodeConfig{}},
			},
		}},
		Accounts: map[string]*adminpb.ServiceAccount{Account: {
			Name: "projects/" + Project + "/serviceAccounts/" + Account, ProjectId: Project, UniqueId: "109876543210987654321",
			Email: Account, DisplayName: "Backup Restore Service Account", Oauth2ClientId: "109876543210987654321",
		}},
		Keys: map[string][]*adminpb.ServiceAccountKey{Account: {{
			Name: "projects/" + Project + "/serviceAccounts/" + Account + "/keys/" + KeyID, KeyType: adminpb.ListServiceAccountKeysRequest_USER_MANAGED,
			KeyAlgorithm: adminpb.ServiceAccountKeyAlgorithm_KEY_ALG_RSA_2048, KeyOrigin: adminpb.ServiceAccountKeyOrigin_GOOGLE_PROVIDED,
			ValidAfterTime: timestamppb.New(time.Date(2026, 9, 14, 9, 30, 0, 0, time.UTC)), ValidBeforeTime: timestamppb.New(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
		}}},
		Roles: map[string]*adminpb.Role{},
		Deny:  map[string][]*iamv2pb.Policy{},
		Buckets: map[string]*iampb.Policy{Bucket: {Version: 1, Bindings: []*iampb.Binding{
			binding("roles/storage.legacyBucketOwner", "projectEditor:"+Project, "projectOwner:"+Project),
			binding("roles/storage.legacyBucketReader", "projectViewer:"+Project),
		}}},
		Fail: map[string]codes.Code{}, Throttle: map[string]int{},
	}
}

// DenyParent is the parent the deny policies of a resource are listed
// under.
func DenyParent(resource string) string {
	return "policies/cloudresourcemanager.googleapis.com%2F" + strings.ReplaceAll(resource, "/", "%2F") + "/denypolicies"
}

// SpaceFindings are the failures the shipped Space gives, as
// "status control kind namespace name", sorted.
func SpaceFindings() []string {
	return []string{
		"fail WI-GCP-002 NodePool  legacy-pool",
		"fail WI-GCP-002 Pod " + Namespaces[2] + " mxp-controller-9c0d1e2f3a-z5k8p",
		"fail WI-GCP-004 GoogleServiceAccount  " + Account,
		"fail WI-GCP-007 GoogleServiceAccount  " + Account,
		"fail WI-GCP-008 GoogleServiceAccount  " + Account,
	}
}

// StandInGcloud is a gcloud that records its argument vector in
// $GCLOUD_LOG (NUL-separated, one call a line) and answers the export
// script's calls with the Space's gcloud exports under $GCLOUD_BUNDLE, as
// the real gcloud prints them with --format=json (a deny policy list
// without rules; keys as a bare list).
const StandInGcloud = `#!/bin/sh
printf '%s\0' "$@" >> "$GCLOUD_LOG"; printf '\n' >> "$GCLOUD_LOG"
b="$GCLOUD_BUNDLE/gcloud"
arg() { for a in "$@"; do case $a in "$flag"=*) echo "${a#*=}"; return;; esac; done; }
point() { flag=--attachment-point; arg "$@" | sed 's/%2F/\//g; s/^cloudresourcemanager.googleapis.com\///; s/\//./'; }
case "$1 $2 $3" in
"container clusters describe") cat "$b/cluster.json" ;;
"container node-pools list") cat "$b/node-pools.json" ;;
"projects describe $3") cat "$b/project.json" ;;
"projects get-ancestors $3") cat "$b/ancestors.json" ;;
"projects get-iam-policy $3") cat "$b/iam-policy.project.$3.json" ;;
"resource-manager folders get-iam-policy") cat "$b/iam-policy.folder.$4.json" ;;
"organizations get-iam-policy $3") cat "$b/iam-policy.organization.$3.json" ;;
"iam policies list") jq '[.denyPolicies[] | {name, kind, uid}]' "$b/deny-policies.$(point "$@").json" ;;
"iam policies get") jq --arg id "$4" '.denyPolicies[] | select(.name | endswith("/" + $id))' "$b/deny-policies.$(point "$@").json" ;;
"iam service-accounts describe") cat "$b/service-account.$4.json" ;;
"iam service-accounts get-iam-policy") cat "$b/iam-policy.service-account.$4.json" ;;
"iam service-accounts keys") flag=--iam-account; jq .keys "$b/keys.$(arg "$@").json" ;;
"storage buckets get-iam-policy") cat "$b/iam-policy.bucket.${4#gs://}.json" ;;
*) echo "ERROR: (gcloud) stand-in: unexpected call: $*" >&2; exit 1 ;;
esac
`
