package iampolicy

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Environment is what is known of the requests the workload makes, to
// build the request context AWS would evaluate: the keys every request
// carries (AWS global condition context keys) and those of each call.
// See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
type Environment struct {
	// Now is the time the requests are judged at: conditions on
	// aws:CurrentTime and aws:EpochTime are evaluated at scan time.
	Now time.Time
	// Region is the region the workload calls STS and S3 in; empty when
	// not known, and aws:RequestedRegion is then undecided.
	Region string
}

// commonKeys are the global keys of every request the SDK sends from the
// pod: over TLS, at Now, in Region, not through another service.
func (e Environment) commonKeys() map[string][]string {
	ctx := map[string][]string{
		"aws:securetransport": {"true"},
		"aws:viaawsservice":   {"false"},
	}
	if !e.Now.IsZero() {
		ctx["aws:currenttime"] = []string{e.Now.UTC().Format(time.RFC3339)}
		ctx["aws:epochtime"] = []string{strconv.FormatInt(e.Now.Unix(), 10)}
	}
	if e.Region != "" {
		ctx["aws:requestedregion"] = []string{e.Region}
	}
	return ctx
}

// absentFromPod are keys no request from the workload carries: it signs
// in without MFA, not through another service, without session tags of
// its own, and is not an IAM user.
var absentFromPod = []string{
	"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast",
	"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:username",
}

// WebIdentity is the request AssumeRoleWithWebIdentity makes with a
// projected service-account token: the token's sub and aud under the
// issuer's keys, and the global keys. An empty sub or aud leaves the key
// out, for a question that makes it free.
func (e Environment) WebIdentity(principal *RequestPrincipal, issuer, sub, aud string) Request {
	ctx := e.commonKeys()
	if sub != "" {
		ctx[strings.ToLower(issuer+":sub")] = []string{sub}
	}
	if aud != "" {
		ctx[strings.ToLower(issuer+":aud")] = []string{aud}
	}
	absent := append([]string{
		strings.ToLower(issuer + ":amr"), "aws:principaltag/", "aws:requesttag/", "aws:tagkeys",
		"sts:sourceidentity", "sts:transitivetagkeys", "aws:principalarn", "aws:principalaccount",
		"aws:principalorgid", "aws:principalorgpaths", "aws:principalisawsservice", "aws:principalservicename",
	}, absentFromPod...)
	return Request{Action: WebIdentityAction, Principal: principal, Context: ctx, Open: true, Absent: absent}
}

// PodIdentity is a request the EKS Pod Identity service makes for a pod:
// sts:AssumeRole or sts:TagSession as pods.eks.amazonaws.com, with the
// session tags it sets and the cluster as source.
// See https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
func (e Environment) PodIdentity(action, account, clusterARN, clusterName, namespace, serviceAccount string) Request {
	ctx := e.commonKeys()
	for k, v := range map[string]string{
		"aws:sourceaccount":                         account,
		"aws:sourcearn":                             clusterARN,
		"aws:requesttag/eks-cluster-arn":            clusterARN,
		"aws:requesttag/eks-cluster-name":           clusterName,
		"aws:requesttag/kubernetes-namespace":       namespace,
		"aws:requesttag/kubernetes-service-account": serviceAccount,
		"aws:principalservicename":                  PodIdentityService,
		"aws:principalisawsservice":                 "true",
	} {
		if v != "" {
			ctx[k] = []string{v}
		}
	}
	ctx["aws:tagkeys"] = []string{"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"}
	return Request{Action: action, Principal: &RequestPrincipal{Type: "Service", ID: PodIdentityService}, Context: ctx, Open: true,
		Absent: []string{"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:username", "aws:principalarn", "aws:principalaccount", "sts:sourceidentity"}}
}

// S3 is a request the workload's role session makes to S3: the global
// keys, the session's principal keys, and Signature Version 4 in the
// Authorization header, as the SDK signs. Keys of the object or bucket
// (tags, encryption headers, the owner account) and of the network (source
// IP, VPC endpoint) are not known and stay undecided.
// See https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
func (e Environment) S3(roleARN, action, resource string) Request {
	ctx := e.commonKeys()
	ctx["aws:principaltype"] = []string{"AssumedRole"}
	ctx["aws:principalisawsservice"] = []string{"false"}
	ctx["s3:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
	ctx["s3:authtype"] = []string{"REST-HEADER"}
	if roleARN != "" {
		ctx["aws:principalarn"] = []string{roleARN}
		if acct := arnAccount(roleARN); acct != "" {
			ctx["aws:principalaccount"] = []string{acct}
		}
	}
	return Request{Action: action, Resource: resource, Context: ctx, Open: true, Absent: absentFromPod}
}

//go:embed data/actions.txt
var actionData []byte

// Action is one action of the Service Authorization Reference.
type Action struct {
	Name, Level string
}

var actions = sync.OnceValue(func() []Action {
	var out []Action
	sc := bufio.NewScanner(bytes.NewReader(actionData))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, level, _ := strings.Cut(line, "\t")
		out = append(out, Action{Name: name, Level: level})
	}
	return out
})

// Actions are the S3 and STS actions of the Service Authorization
// Reference, as shipped in data/actions.txt.
func Actions() []Action { return actions() }

var knownNames = sync.OnceValue(func() []string {
	out := make([]string, len(actions()))
	for i, a := range actions() {
		out[i] = a.Name
	}
	return out
})

// KnownActions are the names of Actions.
func KnownActions() []string { return knownNames() }

// ExpandActions returns the known actions a pattern matches.
func ExpandActions(pattern string) []string {
	var out []string
	for _, a := range KnownActions() {
		if Glob(pattern, a, true) {
			out = append(out, a)
		}
	}
	return out
}

//go:embed data/managed.json
var managedData []byte

var managed = sync.OnceValues(func() (map[string]json.RawMessage, error) {
	var doc struct {
		Policies map[string]json.RawMessage `json:"policies"`
	}
	err := json.Unmarshal(managedData, &doc)
	return doc.Policies, err
})

// ManagedPolicy returns the document of an AWS managed policy from
// wiscan's list, by ARN (arn:<partition>:iam::aws:policy/<path><name>), for
// a role whose managed policy documents were not exported.
func ManagedPolicy(arn string) (*Policy, bool) {
	_, rest, ok := strings.Cut(arn, ":iam::aws:policy/")
	if !ok {
		return nil, false
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	docs, err := managed()
	if err != nil {
		return nil, false
	}
	raw, ok := docs[name]
	if !ok {
		return nil, false
	}
	p, err := Parse(string(raw))
	if err != nil {
		return nil, false
	}
	return p, true
}
