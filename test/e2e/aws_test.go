package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/awsapi"
	"github.com/wiscan/wiscan/test/harness"
)

const documentedPermissions = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject"],"Resource":["arn:aws:s3:::spaces-backups","arn:aws:s3:::spaces-backups/*"]}]}`

// trustFor is the documented IRSA trust policy with one subject per
// namespace.
func trustFor(srv *awsapi.Server, namespaces ...string) string {
	issuer := strings.TrimPrefix(srv.Issuer, "https://")
	var subs []string
	for _, ns := range namespaces {
		subs = append(subs, `"system:serviceaccount:`+ns+`:mxp-controller"`)
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + srv.ProviderARN() +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + issuer + `:aud":"sts.amazonaws.com","` +
		issuer + `:sub":[` + strings.Join(subs, ",") + `]}}}]}`
}

// irsaSpace is a Space of n control planes on IRSA, set up as documented
// on the real API server and the AWS wire server except that the role's
// trust policy names only the first admitted ones; it returns the
// namespaces and the environment that points the AWS SDK at the server.
func irsaSpace(t *testing.T, n, admitted int) (*harness.Env, *awsapi.Server, []string, []string) {
	t.Helper()
	env := startSpace(t)
	c := newCluster(t, env)
	c.namespace("team-a", map[string]string{"spaces.upbound.io/group": "true"})
	c.sharedBackupConfig("team-a", "default", "InjectedIdentity")
	var all []string
	for i := range n {
		ns := cpNamespace(i)
		all = append(all, ns)
		c.namespace(ns, nil)
		c.serviceAccount(ns, "mxp-controller", map[string]string{"eks.amazonaws.com/role-arn": roleARN})
		c.deployment(ns, "mxp-controller", irsaEnv)
		c.pod(ns, irsaEnv)
	}
	srv := awsapi.Start(t)
	srv.Providers[srv.ProviderARN()] = []string{"sts.amazonaws.com"}
	srv.Roles["backup-restore-role"] = awsapi.Role{Name: "backup-restore-role", Trust: trustFor(srv, all[:admitted]...), Inline: map[string]string{"backup-restore": documentedPermissions}}
	srv.Buckets["spaces-backups"] = ""
	awsEnv := []string{
		"AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=" + exampleKeyID, "AWS_SECRET_ACCESS_KEY=" + exampleSecret,
	}
	return env, srv, all, awsEnv
}

// A Space of six control planes on IRSA, set up as documented except that
// the role's trust policy names only the first four: wiscan scan, reading
// the real API server and the AWS APIs through the real SDK, reports
// exactly that: one finding for each of the two control planes left out.
func TestAWSSpace(t *testing.T) {
	env, srv, all, awsEnv := irsaSpace(t, 6, 4)
	srv.Throttle["GetRole"] = 1

	r := scanCLI(t, env, awsEnv, "--cluster-name", "spaces")
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.ControlID+" "+string(f.Status)+" "+f.Resource.Kind+"/"+f.Resource.Name+" "+f.Key[strings.LastIndex(f.Key, "|")+1:])
	}
	var want []string
	for _, ns := range all[4:] {
		want = append(want, "WI-AWS-006 fail IAMRole/"+roleARN+" system:serviceaccount:"+ns+":mxp-controller")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, ns := range all[4:] {
		if f := r.Findings[i]; !strings.Contains(f.Message, "does not admit control plane "+ns) || !strings.Contains(f.Message, "2 of 6 control plane(s)") {
			t.Errorf("finding %q does not name %s", f.Message, ns)
		}
	}
	if calls := srv.Calls(); calls["GetRole"] != 2 {
		t.Errorf("GetRole served %d times, want 2 (one throttled, retried)", calls["GetRole"])
	}
	// On an IRSA-only Space the Pod Identity controls do not apply, and
	// say why; every other AWS control but 006 passes.
	for _, c := range r.Controls {
		switch {
		case !strings.HasPrefix(c.ID, "WI-AWS-") || c.ID == "WI-AWS-006":
		case c.ID == "WI-AWS-009" || c.ID == "WI-AWS-010":
			if c.Status != report.NotApplicable || c.Reason != "no control plane uses EKS Pod Identity" {
				t.Errorf("%s is %s (%s), want not applicable without Pod Identity", c.ID, c.Status, c.Reason)
			}
		case c.Status != report.Pass:
			t.Errorf("%s is %s, want pass", c.ID, c.Status)
		}
	}
}
