// Package aws collects the AWS side of workload identity with the AWS SDK:
// the account, the EKS cluster and its OIDC issuer, the IAM OIDC providers,
// every distinct role the targets reference (trust, inline, attached and
// boundary policies), the EKS Pod Identity associations and the backup
// buckets' policies. It only reads. Credentials come from the SDK's default
// chain, so that in a cluster wiscan runs on IRSA or Pod Identity itself;
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured.
package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/iampolicy"
	"github.com/wiscan/wiscan/snapshot"
)

// Name is the collector's name in snapshots.
const Name = "aws"

// Cloud is the entry of the clouds table this package collects for.
const Cloud = "aws"

// irsaAnnotation is the service-account annotation IRSA reads.
var irsaAnnotation = mustCloud(Cloud).Annotation.Key

func mustCloud(name string) clouds.Cloud {
	c, ok := clouds.Get(name)
	if !ok {
		panic("clouds: no entry " + name) // the table is part of the binary
	}
	return c
}

// Options configure the collector.
type Options struct {
	// Region overrides the SDK's region; the cluster ARN's region is used
	// when neither is set.
	Region string
	// ClusterName names the EKS cluster; ClusterARN (an EKS ARN, as
	// kubeconfig contexts made by aws eks update-kubeconfig are named) gives
	// both name and region.
	ClusterName string
	ClusterARN  string
	// Timeout bounds each API call, retries included.
	Timeout time.Duration
	// Concurrency bounds the calls in flight.
	Concurrency int
	// MaxBackoff bounds the wait between retries of a throttled call.
	MaxBackoff time.Duration
	// TrustPolicyQuota is the account's role trust policy length limit, if
	// raised from IAM's default.
	TrustPolicyQuota int
	Progress         collectors.Progress
	Log              *slog.Logger
}

// Collector reads AWS.
type Collector struct {
	opts  Options
	calls atomic.Int64
}

// New returns a collector.
func New(opts Options) *Collector {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 20 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Collector{opts: opts}
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

// Gap kinds the AWS collector records; the policies read them by kind and
// name.
const (
	KindAccount     = "AWSAccount"
	KindCluster     = "EKSCluster"
	KindProvider    = "IAMOIDCProvider"
	KindRole        = "IAMRole"
	KindAssociation = "PodIdentityAssociation"
	KindBucket      = "S3BucketPolicy"
)

// clients are the SDK clients of one scan.
type clients struct {
	iam *iam.Client
	sts *sts.Client
	eks *eks.Client
	s3  *s3.Client
}

// Collect reads the AWS side for the targets already in s. It fails only
// when the context ends; everything else becomes a gap.
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	out := snapshot.NewAWS()
	out.TrustPolicyQuota = c.opts.TrustPolicyQuota
	s.AWS = out
	g := &gaps{s: s}
	cl, err := c.clients(ctx)
	if err != nil {
		g.all(err)
		return fmt.Errorf("%w: %s", ErrNoIdentity, message(err))
	}
	c.opts.Progress.Report("reading the AWS account")
	if err := c.caller(ctx, cl, out); err != nil {
		g.all(err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Without an identity nothing of AWS can be read: the scan is
		// incomplete, not a list of findings.
		return fmt.Errorf("%w: %s", ErrNoIdentity, message(err))
	}
	c.cluster(ctx, cl, s, g)
	c.providers(ctx, cl, out, g)
	roles := referencedRoles(s, out.PodIdentityAssociations)
	c.opts.Progress.Report(fmt.Sprintf("reading %d IAM role(s)", len(roles)))
	c.roles(ctx, cl, out, roles, g)
	c.buckets(ctx, cl, s, g)
	s.Stats = append(s.Stats, snapshot.CollectorStats{
		Collector: Name, DurationSeconds: time.Since(start).Seconds(), APICalls: int(c.calls.Load()),
		Objects: map[string]int{"IAMRole": len(out.Roles), "PodIdentityAssociation": countAssociations(out), "IAMOIDCProvider": len(out.OIDCProviders)},
	})
	return ctx.Err()
}

// ErrNoIdentity marks an AWS side that could not be read at all: no
// credentials, expired ones, or STS out of reach.
var ErrNoIdentity = errors.New("no usable AWS identity (credentials missing, expired or refused; give the SDK credentials, or pass --skip-cloud to check the cluster only)")

func (c *Collector) clients(ctx context.Context) (*clients, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() sdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 6
				o.MaxBackoff = c.opts.MaxBackoff
			})
		}),
	}
	region := c.opts.Region
	if region == "" {
		region = arnPart(c.opts.ClusterARN, 3)
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Count every attempt: the counter sits after the retry middleware.
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("wiscanCount",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.calls.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
	if cfg.Region == "" {
		// IAM and STS are global; EKS and S3 need a region.
		cfg.Region = "us-east-1"
		c.opts.Log.Warn("no AWS region set; using us-east-1 (pass --region)")
	}
	return &clients{
		iam: iam.NewFromConfig(cfg),
		sts: sts.NewFromConfig(cfg),
		eks: eks.NewFromConfig(cfg),
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			// Custom endpoints (test servers, S3-compatible stores) rarely
			// resolve bucket host names.
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		}),
	}, nil
}

func (c *Collector) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opts.Timeout)
}

func (c *Collector) caller(ctx context.Context, cl *clients, out *snapshot.AWS) error {
	cctx, cancel := c.call(ctx)
	defer cancel()
	id, err := cl.sts.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts get-caller-identity: %w", err)
	}
	out.Account, out.Caller = sdk.ToString(id.Account), sdk.ToString(id.Arn)
	out.Partition = arnPart(out.Caller, 1)
	c.opts.Log.Info("aws identity", "account", out.Account, "caller", out.Caller)
	return nil
}

// gaps records collection errors with their reason.
type gaps struct {
	mu sync.Mutex
	s  *snapshot.Snapshot
}

func (g *gaps) add(kind, name string, err error) {
	g.record(snapshot.CollectionError{Collector: Name, Kind: kind, Name: name, Reason: reason(err), Message: message(err)})
}

// record adds one gap; reads run concurrently, so every gap goes through
// the lock.
func (g *gaps) record(e snapshot.CollectionError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.s.AddError(e)
}

// all records one error for every kind: nothing of AWS could be read.
func (g *gaps) all(err error) {
	for _, k := range []string{KindAccount, KindCluster, KindProvider, KindRole, KindAssociation} {
		g.add(k, "", err)
	}
}

// reason maps an SDK error to a gap reason.
func reason(err error) string {
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ae):
		switch code := ae.ErrorCode(); {
		case code == "NoSuchEntity" || code == "ResourceNotFoundException" || code == "NoSuchBucket":
			return "not-found"
		case strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "InvalidClientTokenId" || code == "ExpiredToken":
			return "forbidden"
		}
		return "error"
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found"):
		return "forbidden"
	case strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host"):
		return "unreachable"
	}
	return "error"
}

// message keeps an SDK error short: the operation, the code and message.
func message(err error) string {
	var ae smithy.APIError
	var oe *smithy.OperationError
	if errors.As(err, &ae) {
		msg := ae.ErrorCode() + ": " + ae.ErrorMessage()
		if errors.As(err, &oe) {
			msg = oe.Service() + " " + oe.Operation() + ": " + msg
		}
		return msg
	}
	return err.Error()
}

func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// arnPart returns field i of an ARN, or "".
func arnPart(arn string, i int) string { return iampolicy.ARNField(arn, i) }

func countAssociations(a *snapshot.AWS) int {
	n := 0
	for _, m := range a.PodIdentityAssociations {
		n += len(m)
	}
	return n
}

// Needed reports whether any target uses AWS, as the profiles resolved
// it.
func Needed(s *snapshot.Snapshot) bool {
	return len(s.ServiceAccounts(Cloud)) > 0
}
