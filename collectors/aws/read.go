package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// cluster reads the EKS cluster and the Pod Identity associations of the
// targets.
func (c *Collector) cluster(ctx context.Context, cl *clients, s *snapshot.Snapshot, g *gaps) {
	name := c.opts.ClusterName
	if name == "" {
		_, name, _ = strings.Cut(arnPart(c.opts.ClusterARN, 5), "cluster/")
	}
	if name == "" {
		err := fmt.Errorf("no EKS cluster named: pass --cluster-name, or use a kubeconfig context named after the cluster's ARN")
		g.record(snapshot.CollectionError{Collector: Name, Kind: KindCluster, Reason: "not-provided", Message: err.Error()})
		g.record(snapshot.CollectionError{Collector: Name, Kind: KindAssociation, Reason: "not-provided", Message: err.Error()})
		return
	}
	cctx, cancel := c.call(ctx)
	defer cancel()
	d, err := cl.eks.DescribeCluster(cctx, &eks.DescribeClusterInput{Name: &name})
	if err != nil {
		g.add(KindCluster, name, err)
		g.add(KindAssociation, "", err)
		return
	}
	out := &snapshot.EKSCluster{Name: name, ARN: sdk.ToString(d.Cluster.Arn)}
	if d.Cluster.Identity != nil && d.Cluster.Identity.Oidc != nil {
		out.OIDCIssuer = sdk.ToString(d.Cluster.Identity.Oidc.Issuer)
	}
	s.AWS.Cluster = out
	c.associations(ctx, cl, s, name, g)
}

func (c *Collector) associations(ctx context.Context, cl *clients, s *snapshot.Snapshot, cluster string, g *gaps) {
	want := map[[2]string]bool{}
	for _, sa := range s.ServiceAccounts(Cloud) {
		want[sa] = true
	}
	var ids []string
	pager := eks.NewListPodIdentityAssociationsPaginator(cl.eks, &eks.ListPodIdentityAssociationsInput{ClusterName: &cluster})
	for pager.HasMorePages() {
		cctx, cancel := c.call(ctx)
		page, err := pager.NextPage(cctx)
		cancel()
		if err != nil {
			g.add(KindAssociation, "", err)
			return
		}
		for _, a := range page.Associations {
			if want[[2]string{sdk.ToString(a.Namespace), sdk.ToString(a.ServiceAccount)}] {
				ids = append(ids, sdk.ToString(a.AssociationId))
			}
		}
	}
	var mu sync.Mutex
	eg := c.group(ctx)
	for _, id := range ids {
		eg.Go(func() error {
			cctx, cancel := c.call(ctx)
			defer cancel()
			d, err := cl.eks.DescribePodIdentityAssociation(cctx, &eks.DescribePodIdentityAssociationInput{ClusterName: &cluster, AssociationId: &id})
			if err != nil {
				// Without its role the association cannot be judged: every
				// association control becomes unknown.
				g.add(KindAssociation, "", fmt.Errorf("association %s: %w", id, err))
				return nil
			}
			a := d.Association
			mu.Lock()
			defer mu.Unlock()
			snapshot.Put(s.AWS.PodIdentityAssociations, sdk.ToString(a.Namespace), sdk.ToString(a.ServiceAccount), snapshot.PodIdentityAssociation{
				ID: id, ARN: sdk.ToString(a.AssociationArn), Namespace: sdk.ToString(a.Namespace), ServiceAccount: sdk.ToString(a.ServiceAccount),
				RoleARN: sdk.ToString(a.RoleArn), TargetRoleARN: sdk.ToString(a.TargetRoleArn),
			})
			return nil
		})
	}
	_ = eg.Wait()
}

// group runs calls concurrently, at most Concurrency at a time.
func (c *Collector) group(ctx context.Context) *errgroup.Group {
	eg, _ := errgroup.WithContext(ctx)
	eg.SetLimit(c.opts.Concurrency)
	return eg
}

// providers lists the IAM OIDC providers and reads the client IDs of the
// cluster's.
func (c *Collector) providers(ctx context.Context, cl *clients, out *snapshot.AWS, g *gaps) {
	cctx, cancel := c.call(ctx)
	l, err := cl.iam.ListOpenIDConnectProviders(cctx, &iam.ListOpenIDConnectProvidersInput{})
	cancel()
	if err != nil {
		g.add(KindProvider, "", err)
		return
	}
	issuer := ""
	if out.Cluster != nil {
		issuer = strings.TrimPrefix(out.Cluster.OIDCIssuer, "https://")
	}
	for _, p := range l.OpenIDConnectProviderList {
		arn := sdk.ToString(p.Arn)
		_, u, _ := strings.Cut(arn, ":oidc-provider/")
		prov := snapshot.OIDCProvider{ARN: arn, URL: u}
		if u == issuer && issuer != "" {
			cctx, cancel := c.call(ctx)
			d, err := cl.iam.GetOpenIDConnectProvider(cctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
			cancel()
			if err != nil {
				g.add(KindProvider, arn, err)
				continue
			}
			prov.ClientIDs = append([]string{}, d.ClientIDList...)
		}
		out.OIDCProviders[arn] = prov
	}
}

// referencedRoles are the distinct role ARNs the targets that use AWS
// reference through an IRSA annotation or a Pod Identity association.
func referencedRoles(s *snapshot.Snapshot, associations map[string]map[string]snapshot.PodIdentityAssociation) []string {
	seen := map[string]bool{}
	for _, t := range s.ServiceAccounts(Cloud) {
		ns, name := t[0], t[1]
		sa := s.Kubernetes.ServiceAccounts[ns][name]
		if arn := strings.TrimSpace(sa.Annotations[irsaAnnotation]); arn != "" {
			seen[arn] = true
		}
		if a, ok := associations[ns][name]; ok && a.RoleARN != "" {
			seen[strings.TrimSpace(a.RoleARN)] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// roles reads every referenced role once, concurrently; managed policies
// are read once per scan however many roles attach them.
func (c *Collector) roles(ctx context.Context, cl *clients, out *snapshot.AWS, arns []string, g *gaps) {
	pc := &policyCache{c: c, cl: cl, docs: map[string]*policyEntry{}}
	var mu sync.Mutex
	eg := c.group(ctx)
	for _, arn := range arns {
		if err := c.readable(out, arn); err != nil {
			g.record(snapshot.CollectionError{Collector: Name, Kind: KindRole, Name: arn, Reason: "not-provided", Message: err.Error()})
			continue
		}
		eg.Go(func() error {
			r, err := c.role(ctx, cl, pc, arn, g)
			if err != nil {
				g.add(KindRole, arn, err)
				return nil
			}
			mu.Lock()
			out.Roles[arn] = r
			mu.Unlock()
			return nil
		})
	}
	_ = eg.Wait()
}

// readable explains why a role cannot be read with the scan's credentials.
func (c *Collector) readable(out *snapshot.AWS, arn string) error {
	switch {
	case arnPart(arn, 2) != "iam" || !strings.HasPrefix(arnPart(arn, 5), "role/"):
		return fmt.Errorf("%q is not an IAM role ARN", arn)
	case arnPart(arn, 1) != out.Partition:
		return fmt.Errorf("role is in partition %s; the scan's credentials are in %s", arnPart(arn, 1), out.Partition)
	case arnPart(arn, 4) != out.Account:
		return fmt.Errorf("role is in account %s; the scan's credentials are in account %s: scan again with credentials of that account", arnPart(arn, 4), out.Account)
	}
	return nil
}

// role reads one role: NoSuchEntity is a role that does not exist, not a
// gap; any other failure of a part makes that document unreadable.
func (c *Collector) role(ctx context.Context, cl *clients, pc *policyCache, arn string, g *gaps) (snapshot.Role, error) {
	name := arnPart(arn, 5)
	name = name[strings.LastIndex(name, "/")+1:]
	r := snapshot.Role{ARN: arn, Name: name, Inline: []snapshot.PolicyDocument{}, Attached: []snapshot.PolicyDocument{}}
	cctx, cancel := c.call(ctx)
	got, err := cl.iam.GetRole(cctx, &iam.GetRoleInput{RoleName: &name})
	cancel()
	if isCode(err, "NoSuchEntity") {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.Found = true
	trust := document(sdk.ToString(got.Role.AssumeRolePolicyDocument))
	r.TrustPolicy = &trust
	if b := got.Role.PermissionsBoundary; b != nil && b.PermissionsBoundaryArn != nil {
		d := pc.get(ctx, sdk.ToString(b.PermissionsBoundaryArn), g)
		r.Boundary = &d
	}
	r.Inline = c.inline(ctx, cl, name, arn, g)
	r.Attached = c.attached(ctx, cl, pc, name, arn, g)
	return r, nil
}

func (c *Collector) inline(ctx context.Context, cl *clients, role, arn string, g *gaps) []snapshot.PolicyDocument {
	out := []snapshot.PolicyDocument{}
	pager := iam.NewListRolePoliciesPaginator(cl.iam, &iam.ListRolePoliciesInput{RoleName: &role})
	var names []string
	for pager.HasMorePages() {
		cctx, cancel := c.call(ctx)
		page, err := pager.NextPage(cctx)
		cancel()
		if err != nil {
			g.add(KindRole, arn, err)
			return append(out, snapshot.PolicyDocument{Name: "(inline policies)", Error: message(err)})
		}
		names = append(names, page.PolicyNames...)
	}
	for _, n := range names {
		cctx, cancel := c.call(ctx)
		p, err := cl.iam.GetRolePolicy(cctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &n})
		cancel()
		if err != nil {
			g.add(KindRole, arn, err)
			out = append(out, snapshot.PolicyDocument{Name: n, Error: message(err)})
			continue
		}
		d := document(sdk.ToString(p.PolicyDocument))
		d.Name = n
		out = append(out, d)
	}
	return out
}

func (c *Collector) attached(ctx context.Context, cl *clients, pc *policyCache, role, arn string, g *gaps) []snapshot.PolicyDocument {
	out := []snapshot.PolicyDocument{}
	pager := iam.NewListAttachedRolePoliciesPaginator(cl.iam, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
	for pager.HasMorePages() {
		cctx, cancel := c.call(ctx)
		page, err := pager.NextPage(cctx)
		cancel()
		if err != nil {
			g.add(KindRole, arn, err)
			return append(out, snapshot.PolicyDocument{Name: "(attached policies)", Error: message(err)})
		}
		for _, p := range page.AttachedPolicies {
			out = append(out, pc.get(ctx, sdk.ToString(p.PolicyArn), g))
		}
	}
	return out
}

// policyCache reads each managed policy's default version once.
type policyCache struct {
	c    *Collector
	cl   *clients
	mu   sync.Mutex
	docs map[string]*policyEntry
}

type policyEntry struct {
	once sync.Once
	doc  snapshot.PolicyDocument
}

func (pc *policyCache) get(ctx context.Context, arn string, g *gaps) snapshot.PolicyDocument {
	pc.mu.Lock()
	e, ok := pc.docs[arn]
	if !ok {
		e = &policyEntry{}
		pc.docs[arn] = e
	}
	pc.mu.Unlock()
	e.once.Do(func() { e.doc = pc.read(ctx, arn, g) })
	return e.doc
}

func (pc *policyCache) read(ctx context.Context, arn string, g *gaps) snapshot.PolicyDocument {
	cctx, cancel := pc.c.call(ctx)
	p, err := pc.cl.iam.GetPolicy(cctx, &iam.GetPolicyInput{PolicyArn: &arn})
	cancel()
	if err != nil {
		g.add(KindRole, "", fmt.Errorf("policy %s: %w", arn, err))
		return snapshot.PolicyDocument{ARN: arn, Error: message(err)}
	}
	cctx, cancel = pc.c.call(ctx)
	v, err := pc.cl.iam.GetPolicyVersion(cctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: p.Policy.DefaultVersionId})
	cancel()
	if err != nil {
		g.add(KindRole, "", fmt.Errorf("policy %s: %w", arn, err))
		return snapshot.PolicyDocument{ARN: arn, Name: sdk.ToString(p.Policy.PolicyName), Error: message(err)}
	}
	d := document(sdk.ToString(v.PolicyVersion.Document))
	d.ARN, d.Name, d.Version = arn, sdk.ToString(p.Policy.PolicyName), sdk.ToString(v.PolicyVersion.VersionId)
	return d
}

// document decodes a policy document given as text: JSON as S3 returns a
// bucket policy (and the AWS CLI prints it), or URL-encoded JSON as IAM
// returns its documents. A document that does not decode is kept as text
// for the engine to report, never dropped. The live collector and the
// evidence recognizer both decode with it.
func document(raw string) snapshot.PolicyDocument {
	var v any
	if json.Unmarshal([]byte(raw), &v) == nil {
		return snapshot.PolicyDocument{Document: v}
	}
	// IAM returns documents URL-encoded as RFC 3986 says, where a + is a
	// +, not a space.
	text := raw
	if dec, err := url.PathUnescape(raw); err == nil {
		text = dec
	}
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return snapshot.PolicyDocument{Document: text}
	}
	return snapshot.PolicyDocument{Document: v}
}

// buckets reads the policy of each backup bucket the profiles name.
func (c *Collector) buckets(ctx context.Context, cl *clients, s *snapshot.Snapshot, g *gaps) {
	var mu sync.Mutex
	eg := c.group(ctx)
	for _, b := range collectors.BackupBuckets(s) {
		eg.Go(func() error {
			cctx, cancel := c.call(ctx)
			defer cancel()
			p, err := cl.s3.GetBucketPolicy(cctx, &s3.GetBucketPolicyInput{Bucket: &b})
			bucket := snapshot.Bucket{Name: b}
			switch {
			case isCode(err, "NoSuchBucketPolicy"):
			case err != nil:
				g.add(KindBucket, b, err)
				return nil
			default:
				d := document(sdk.ToString(p.Policy))
				bucket.Policy = &d
			}
			mu.Lock()
			s.AWS.Buckets[b] = bucket
			mu.Unlock()
			return nil
		})
	}
	_ = eg.Wait()
}
