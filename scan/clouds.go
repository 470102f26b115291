package scan

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"google.golang.org/api/option"

	awscollector "github.com/wiscan/wiscan/collectors/aws"
	azurecollector "github.com/wiscan/wiscan/collectors/azure"
	gcpcollector "github.com/wiscan/wiscan/collectors/gcp"
	"github.com/wiscan/wiscan/snapshot"
)

// AWS configures the AWS source.
type AWS struct {
	// Skip leaves AWS unread; its controls are then unknown.
	Skip bool
	// Region and ClusterName override what the SDK and the kubeconfig
	// context tell (live only).
	Region      string
	ClusterName string
	// TrustPolicyQuota is the account's role trust policy length quota
	// when raised from IAM's default; no export holds it, so it applies in
	// evidence mode too.
	TrustPolicyQuota int
}

// source is one cloud's IAM source: its settings' check, and how it
// completes a snapshot whose targets are resolved.
type source struct {
	cloud   string
	check   func(Config) error
	collect func(context.Context, Config, *snapshot.Snapshot) error
}

// cloudSources is the explicit list of cloud sources: adding a cloud adds
// one entry here and one in the clouds table.
func (c Config) cloudSources() []source {
	return []source{
		{cloud: awscollector.Cloud, check: checkAWS, collect: collectAWS},
		{cloud: azurecollector.Cloud, check: checkAzure, collect: collectAzure},
		{cloud: gcpcollector.Cloud, check: checkGCP, collect: collectGCP},
	}
}

func checkAWS(c Config) error {
	if c.AWS.TrustPolicyQuota < 0 {
		return errors.New("AWS trust policy quota: want 0 or more")
	}
	if c.Evidence != "" && (c.AWS.Region != "" || c.AWS.ClusterName != "") {
		return errors.New("evidence is read from files; it does not take an AWS region or cluster name")
	}
	return nil
}

// collectAWS reads AWS live when a target uses it or an AWS setting asks
// for it; from evidence, the evidence reader has read it already.
func collectAWS(ctx context.Context, c Config, s *snapshot.Snapshot) error {
	a := c.AWS
	if c.Evidence != "" {
		if a.TrustPolicyQuota != 0 && s.AWS != nil {
			s.AWS.TrustPolicyQuota = a.TrustPolicyQuota
		}
		return nil
	}
	asked := a.Region != "" || a.ClusterName != "" || a.TrustPolicyQuota != 0
	if a.Skip || (!asked && !awscollector.Needed(s)) {
		return nil
	}
	return c.run(ctx, awscollector.New(awscollector.Options{
		Region: a.Region, ClusterName: a.ClusterName, ClusterARN: s.Source.Context, Timeout: c.Kube.Timeout,
		TrustPolicyQuota: a.TrustPolicyQuota, Progress: c.Progress, Log: c.log(),
	}), s)
}

// Azure configures the Azure source.
type Azure struct {
	// Skip leaves Azure unread; its controls are then unknown.
	Skip bool
	// Subscriptions are those in scope, the AKS cluster's first.
	Subscriptions []string
	// ResourceGroup and Cluster name the AKS cluster.
	ResourceGroup, Cluster string
	// StorageAccounts are the backup storage accounts (default: those
	// the backup configurations name).
	StorageAccounts []string
	// Asked says an Azure setting was given: Azure is read even when no
	// target resolves to it.
	Asked bool
	// Credential and Transport replace azidentity's default chain and
	// the SDK's HTTP transport (nil: the defaults), for a program that
	// brings its own, or a test that serves the SDK's fakes.
	Credential azcore.TokenCredential
	Transport  policy.Transporter
}

func checkAzure(c Config) error {
	if c.Evidence != "" && c.Azure.Asked {
		return errors.New("evidence is read from files; it does not take Azure subscriptions, a cluster or storage accounts")
	}
	return nil
}

// collectAzure reads Azure live when a target uses it or an Azure setting
// asks for it; from evidence, the evidence reader has read the az exports.
func collectAzure(ctx context.Context, c Config, s *snapshot.Snapshot) error {
	a := c.Azure
	if c.Evidence != "" || a.Skip || (!a.Asked && !azurecollector.Needed(s)) {
		return nil
	}
	// az aks get-credentials names the kubeconfig context after the
	// cluster: the context is the cluster's name unless one is given.
	cluster := a.Cluster
	if cluster == "" && a.ResourceGroup != "" {
		cluster = s.Source.Context
	}
	return c.run(ctx, azurecollector.New(azurecollector.Options{
		Subscriptions: a.Subscriptions, ResourceGroup: a.ResourceGroup, Cluster: cluster, StorageAccounts: a.StorageAccounts,
		Timeout: c.Kube.Timeout, Progress: c.Progress, Log: c.log(), Credential: a.Credential, Transport: a.Transport,
	}), s)
}

// GCP configures the GCP source.
type GCP struct {
	// Skip leaves GCP unread; its controls are then unknown.
	Skip bool
	// Project, Location and Cluster name the GKE cluster (default: from
	// a gke_<project>_<location>_<cluster> kubeconfig context; the
	// project, else, from the Google service accounts in use).
	Project, Location, Cluster string
	// Buckets are the backup buckets (default: those the profiles and
	// backup configurations name).
	Buckets []string
	// Asked says a GCP setting was given: GCP is read even when no target
	// resolves to it.
	Asked bool
	// ClientOptions and StorageOptions replace Application Default
	// Credentials and Google's endpoints (nil: the defaults), for a
	// program that brings its own, or a test that serves the APIs.
	ClientOptions, StorageOptions []option.ClientOption
}

func checkGCP(c Config) error {
	if c.Evidence != "" && c.GCP.Asked {
		return errors.New("evidence is read from files; it does not take a GCP project, location, cluster or bucket")
	}
	if (c.GCP.Location == "") != (c.GCP.Cluster == "") {
		return errors.New("GCP: name the GKE cluster with both its location and its name")
	}
	return nil
}

// collectGCP reads GCP live when a target uses it or a GCP setting asks
// for it; from evidence, the evidence reader has read the gcloud exports.
func collectGCP(ctx context.Context, c Config, s *snapshot.Snapshot) error {
	g := c.GCP
	if c.Evidence != "" || g.Skip || (!g.Asked && !gcpcollector.Needed(s)) {
		return nil
	}
	// gcloud container clusters get-credentials names the kubeconfig
	// context gke_<project>_<location>_<cluster>.
	if p, l, cl, ok := gcpcollector.ClusterFromContext(s.Source.Context); ok && g.Cluster == "" && (g.Project == "" || g.Project == p) {
		g.Project, g.Location, g.Cluster = p, l, cl
	}
	return c.run(ctx, gcpcollector.New(gcpcollector.Options{
		Project: g.Project, Location: g.Location, Cluster: g.Cluster, Buckets: g.Buckets,
		Timeout: c.Kube.Timeout, Progress: c.Progress, Log: c.log(), ClientOptions: g.ClientOptions, StorageOptions: g.StorageOptions,
	}), s)
}
