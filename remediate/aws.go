package remediate

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/wiscan/wiscan/report"
)

// AWS applies AWS steps with read-modify-write: IAM has no concurrency
// token, so the document is read again just before the write and compared
// with what the scan read; a grant's policy has a name derived from what
// it grants, and an association is looked up first, so that a second run
// finds them there and writes nothing.
type AWS struct {
	IAM *iam.Client
	EKS *eks.Client
}

// Apply makes one step. IAM and EKS have no dry run: a dry run reads and
// checks the preconditions only.
func (a AWS) Apply(ctx context.Context, s Step, dryRun bool) (Change, error) {
	switch s.Action {
	case report.TrustSubject:
		return a.trust(ctx, s, dryRun)
	case report.Grant:
		return a.grant(ctx, s, dryRun)
	case report.Associate:
		return a.associate(ctx, s, dryRun)
	case report.Narrow:
		return a.narrow(ctx, s.Fix, dryRun)
	}
	return Change{}, fmt.Errorf("%w: %s %s", ErrNotApplicable, s.Action, report.Clean(s.Object))
}

// trust writes the planned trust policy if the role's is still the one the
// scan read.
func (a AWS) trust(ctx context.Context, s Step, dryRun bool) (Change, error) {
	if s.Trust == nil {
		return Change{}, fmt.Errorf("%w: the trust policy edit of %s needs the scan's state", ErrNotApplicable, report.Clean(s.Object))
	}
	name := roleName(s.Fix.Role)
	out, err := a.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	if err != nil {
		return Change{}, fmt.Errorf("get role %s (iam:GetRole): %w", name, err)
	}
	doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return Change{}, fmt.Errorf("role %s: trust policy: %w", name, err)
	}
	switch {
	case sameJSON(doc, s.Trust.After):
		return Change{Before: compact(doc), After: compact(doc)}, nil
	case !sameJSON(doc, s.Trust.Before):
		return Change{}, fmt.Errorf("%w: the trust policy of role %s is no longer the one the scan read", ErrChanged, name)
	}
	after := compact(s.Trust.After)
	if !dryRun {
		if _, err := a.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: &name, PolicyDocument: &after}); err != nil {
			return Change{}, fmt.Errorf("update the trust policy of role %s (iam:UpdateAssumeRolePolicy): %w", name, err)
		}
	}
	return Change{Wrote: true, Before: compact(doc), After: after}, nil
}

// grant puts the inline policy of the missing permissions, under the name
// derived from its resources; one already there with the same document
// needs no write.
func (a AWS) grant(ctx context.Context, s Step, dryRun bool) (Change, error) {
	if s.Args == nil {
		return Change{}, fmt.Errorf("%w: %s", ErrNotApplicable, report.Clean(s.ByHand))
	}
	name, policy, doc := roleName(cmp.Or(s.Fix.Role, s.Fix.Name)), grantPolicyName(s.Fix.Resources), grantDocument(s.Fix)
	cur, err := a.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: &policy})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case err == nil:
		old, _ := url.QueryUnescape(aws.ToString(cur.PolicyDocument))
		if sameJSON(old, doc) {
			return Change{Before: compact(old), After: compact(old)}, nil
		}
	case !errors.As(err, &missing):
		return Change{}, fmt.Errorf("get policy %s of role %s (iam:GetRolePolicy): %w", policy, name, err)
	}
	if !dryRun {
		if _, err := a.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: &policy, PolicyDocument: &doc}); err != nil {
			return Change{}, fmt.Errorf("put policy %s on role %s (iam:PutRolePolicy): %w", policy, name, err)
		}
	}
	return Change{Wrote: true, Before: "no policy " + policy, After: doc}, nil
}

// associate creates the Pod Identity association, unless the service
// account has one already.
func (a AWS) associate(ctx context.Context, s Step, dryRun bool) (Change, error) {
	f := s.Fix
	if f.Role == "" {
		return Change{}, fmt.Errorf("%w: %s", ErrNotApplicable, report.Clean(s.ByHand))
	}
	list, err := a.EKS.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: &f.Cluster, Namespace: &f.Namespace, ServiceAccount: &f.Name})
	if err != nil {
		return Change{}, fmt.Errorf("list the Pod Identity associations of %s/%s (eks:ListPodIdentityAssociations): %w", f.Namespace, f.Name, err)
	}
	if len(list.Associations) > 0 {
		id := list.Associations[0].AssociationId
		d, err := a.EKS.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: &f.Cluster, AssociationId: id})
		if err != nil {
			return Change{}, fmt.Errorf("describe Pod Identity association %s (eks:DescribePodIdentityAssociation): %w", aws.ToString(id), err)
		}
		if role := aws.ToString(d.Association.RoleArn); role != f.Role {
			return Change{}, fmt.Errorf("%w: service account %s/%s has a Pod Identity association (%s) to role %s", ErrChanged, f.Namespace, f.Name, aws.ToString(id), role)
		}
		return Change{Before: f.Role, After: f.Role}, nil
	}
	if !dryRun {
		if _, err := a.EKS.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: &f.Cluster, Namespace: &f.Namespace, ServiceAccount: &f.Name, RoleArn: &f.Role}); err != nil {
			var exists *ekstypes.ResourceInUseException
			if errors.As(err, &exists) {
				return Change{After: f.Role}, nil
			}
			return Change{}, fmt.Errorf("create the Pod Identity association of %s/%s (eks:CreatePodIdentityAssociation): %w", f.Namespace, f.Name, err)
		}
	}
	return Change{Wrote: true, Before: "no association", After: f.Role}, nil
}

// narrow deletes the inline policy or detaches the managed one that grants
// beyond the profile's access; one gone already needs no write.
func (a AWS) narrow(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	role := roleName(f.Role)
	if name, ok := strings.CutPrefix(f.Policy, "inline policy "); ok {
		_, err := a.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &name})
		var missing *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &missing):
			return Change{Before: "no " + f.Policy, After: "no " + f.Policy}, nil
		case err != nil:
			return Change{}, fmt.Errorf("get policy %s of role %s (iam:GetRolePolicy): %w", name, role, err)
		}
		if !dryRun {
			if _, err := a.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &role, PolicyName: &name}); err != nil {
				return Change{}, fmt.Errorf("delete policy %s of role %s (iam:DeleteRolePolicy): %w", name, role, err)
			}
		}
		return Change{Wrote: true, Before: f.Policy, After: "deleted"}, nil
	}
	arn, ok := strings.CutPrefix(f.Policy, "managed policy ")
	if !ok {
		return Change{}, fmt.Errorf("%w: %s", ErrNotApplicable, report.Clean(f.Policy))
	}
	list, err := a.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
	if err != nil {
		return Change{}, fmt.Errorf("list the policies attached to role %s (iam:ListAttachedRolePolicies): %w", role, err)
	}
	if !slices.ContainsFunc(list.AttachedPolicies, func(p iamtypes.AttachedPolicy) bool { return aws.ToString(p.PolicyArn) == arn }) {
		return Change{Before: "not attached", After: "not attached"}, nil
	}
	if !dryRun {
		if _, err := a.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &role, PolicyArn: &arn}); err != nil {
			return Change{}, fmt.Errorf("detach policy %s from role %s (iam:DetachRolePolicy): %w", arn, role, err)
		}
	}
	return Change{Wrote: true, Before: f.Policy + " attached", After: "detached"}, nil
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func compact(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}
