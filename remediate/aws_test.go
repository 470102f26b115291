package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/awsapi"
)

// awsSteps plans, against the wire-level AWS server, the three AWS steps
// of a Space whose role admits one of two control planes, lacks
// s3:ListBucket and has no Pod Identity association for a third.
func awsSteps(t *testing.T, srv *awsapi.Server) ([]Step, AWS) {
	t.Helper()
	trust, _ := json.Marshal(trustDoc(t, sub("mxp-1-system")))
	srv.Roles["backup-restore-role"] = awsapi.Role{Name: "backup-restore-role", Trust: string(trust)}
	srv.Env(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	role := srv.RoleARN("backup-restore-role")
	s := space(func(s *snapshot.Snapshot) {
		var doc any
		_ = json.Unmarshal(trust, &doc)
		s.AWS = &snapshot.AWS{Roles: map[string]snapshot.Role{role: {ARN: role, Found: true, TrustPolicy: &snapshot.PolicyDocument{Document: doc}}},
			Cluster: &snapshot.EKSCluster{Name: "spaces", OIDCIssuer: srv.Issuer}}
	})
	findings := []report.Finding{
		failing("WI-AWS-006", "IAMRole", "", role, &report.Fix{Action: report.TrustSubject, Kind: "IAMRole", Name: role, Role: role, Subjects: []string{sub("mxp-2-system")}}),
		failing("WI-AWS-008", "IAMRole", "", role, &report.Fix{Action: report.Grant, Kind: "IAMRole", Name: role, Role: role, Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::spaces-backups"}}),
		failing("WI-AWS-009", "ServiceAccount", "mxp-3-system", "mxp-controller", &report.Fix{Action: report.Associate, Kind: "ServiceAccount", Namespace: "mxp-3-system", Name: "mxp-controller", Cluster: "spaces", Role: role}),
	}
	p := plan(t, s, Options{}, findings...)
	return p.Steps, AWS{IAM: iam.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg)}
}

// Each AWS step sends exactly its request: the whole new trust policy,
// which admits the old control plane and the new one and no other (as the
// IAM evaluator decides), the inline grant under its derived name, and
// the association; applying again sends no write.
func TestApplyAWS(t *testing.T) {
	srv := awsapi.Start(t)
	steps, a := awsSteps(t, srv)
	appliers := map[string]Applier{"aws": a}
	out := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil || len(out.Applied) != 3 {
		t.Fatalf("outcome %+v", out)
	}
	w := srv.Writes()
	var ops []string
	for _, x := range w {
		ops = append(ops, x.Op+" "+x.Target)
	}
	want := []string{"UpdateAssumeRolePolicy backup-restore-role", "PutRolePolicy backup-restore-role/" + grantPolicyName([]string{"arn:aws:s3:::spaces-backups"}), "CreatePodIdentityAssociation mxp-3-system/mxp-controller"}
	if !slices.Equal(ops, want) {
		t.Fatalf("writes\n got %q\nwant %q", ops, want)
	}
	got := admits(t, w[0].Document, sub("mxp-1-system"), sub("mxp-2-system"), sub("mxp-3-system"))
	if !got[sub("mxp-1-system")] || !got[sub("mxp-2-system")] || got[sub("mxp-3-system")] {
		t.Errorf("the trust policy written admits %v:\n%s", got, w[0].Document)
	}
	if !sameJSON(w[1].Document, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::spaces-backups"]}]}`) || w[2].Document != srv.RoleARN("backup-restore-role") {
		t.Errorf("grant %s, association to %s", w[1].Document, w[2].Document)
	}

	again := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if again.Err != nil || len(again.Unchanged) != 3 || len(srv.Writes()) != 3 {
		t.Errorf("applying again: %+v, %d writes", again, len(srv.Writes()))
	}
}

// A trust policy changed by someone else since the scan is found before
// any write, and nothing is written.
func TestApplyAWSTrustChanged(t *testing.T) {
	srv := awsapi.Start(t)
	steps, a := awsSteps(t, srv)
	other, _ := json.Marshal(trustDoc(t, []string{sub("mxp-1-system"), sub("mxp-9-system")}))
	srv.SetTrust("backup-restore-role", string(other))
	out := Run(context.Background(), steps, map[string]Applier{"aws": a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Action != report.TrustSubject || !errors.Is(out.Err, ErrChanged) || len(srv.Writes()) != 0 {
		t.Errorf("outcome %+v, writes %v", out, srv.Writes())
	}
	if srv.Calls()["UpdateAssumeRolePolicy"] != 0 {
		t.Error("the changed trust policy was written")
	}
}

// A missing permission names the permission and the step.
func TestApplyAWSDenied(t *testing.T) {
	srv := awsapi.Start(t)
	steps, a := awsSteps(t, srv)
	srv.Deny["UpdateAssumeRolePolicy"] = true
	out := Run(context.Background(), steps, map[string]Applier{"aws": a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Action != report.TrustSubject || out.Err == nil {
		t.Fatalf("outcome %+v", out)
	}
	if msg := out.Err.Error(); !strings.Contains(msg, "iam:UpdateAssumeRolePolicy") || !strings.Contains(msg, "AccessDenied") || len(out.Applied) != 0 {
		t.Errorf("error %q names neither the permission nor the refusal, or a step was made: %+v", msg, out.Applied)
	}
}

// Narrowing a role puts the exact grant first and then deletes the broad
// inline policy, only with --allow-narrowing; without it the deletion is
// withheld and only the grant is made.
func TestApplyAWSNarrow(t *testing.T) {
	srv := awsapi.Start(t)
	_, a := awsSteps(t, srv)
	role := srv.RoleARN("backup-restore-role")
	r := srv.Roles["backup-restore-role"]
	r.Inline = map[string]string{"backup-all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}
	srv.Roles["backup-restore-role"] = r
	needed := []string{"arn:aws:s3:::spaces-backups", "arn:aws:s3:::spaces-backups/*"}
	f := failing("WI-AWS-007", "IAMRole", "", role, &report.Fix{Action: report.Narrow, Kind: "IAMRole", Name: role, Role: role,
		Actions: []string{"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, Resources: needed, Policy: "inline policy backup-all"})
	withheld := build(report.Report{Findings: []report.Finding{f}}, Options{})
	if len(withheld.Steps) != 2 || withheld.Steps[1].Needs != "--allow-narrowing" {
		t.Fatalf("without the flag: %+v", withheld.Steps)
	}
	p := build(report.Report{Findings: []report.Finding{f}}, Options{AllowNarrowing: true})
	out := Run(context.Background(), p.Steps, map[string]Applier{"aws": a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	var ops []string
	for _, w := range srv.Writes() {
		ops = append(ops, w.Op+" "+w.Target)
	}
	want := []string{"PutRolePolicy backup-restore-role/" + grantPolicyName(needed), "DeleteRolePolicy backup-restore-role/backup-all"}
	if !slices.Equal(ops, want) {
		t.Errorf("writes\n got %q\nwant %q", ops, want)
	}
	if again := Run(context.Background(), p.Steps, map[string]Applier{"aws": a}, false, slog.New(slog.DiscardHandler), nil); again.Err != nil || len(srv.Writes()) != 2 {
		t.Errorf("applying again: %+v", again)
	}
}
