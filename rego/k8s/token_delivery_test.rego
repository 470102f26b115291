package wiscan.k8s.token_delivery_test

import data.wiscan.k8s.token_delivery as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

token_file := "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"

token(aud, path) := {"serviceAccountToken": {"audience": aud, "path": path}}

wrong_aud := [{"name": "aws-iam-token", "projected": [token("sts.amazonaws.com.cn", "token")]}]

# Another webhook version's volume name, the right audience and path.
renamed := [{"name": "eks-pod-identity-token", "projected": [token("sts.amazonaws.com", "token")]}]

renamed_mounts := [{"volume": "eks-pod-identity-token", "path": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}]

# The expected volume name, but mounted elsewhere than the variable says.
elsewhere := [{"volume": "aws-iam-token", "path": "/var/run/secrets/tokens"}]

# One file of the volume mounted through subPath, at the named path.
sub_path := [{"volume": "aws-iam-token", "path": token_file, "subPath": "token"}]

no_token_env := [{"name": "AWS_ROLE_ARN", "value": fx.role_arn, "hasValue": true}]

azure := {"cloud": "azure"}

azure_env := [
	{"name": "AZURE_CLIENT_ID", "value": "706c49fa-5bb8-4a7e-9f41-2fc38ef4b065", "hasValue": true},
	{"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/tokens/azure-identity-token", "hasValue": true},
]

azure_volumes(aud) := [{"name": "azure-identity-token", "projected": [token(aud, "azure-identity-token")]}]

azure_mounts := [{"volume": "azure-identity-token", "path": "/var/run/secrets/azure/tokens"}]

azure_case(aud) := {
	"profile": azure, "sa_annotations": {"azure.workload.identity/client-id": "706c49fa-5bb8-4a7e-9f41-2fc38ef4b065"},
	"env": azure_env, "template_env": azure_env, "pod_env": azure_env,
	"template_volumes": azure_volumes(aud), "pod_volumes": azure_volumes(aud),
	"template_mounts": azure_mounts, "pod_mounts": azure_mounts,
}

gcp := {"cloud": "gcp"}

gsa := {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com"}

cases := {
	# subPath mounts one folder of the volume: the token is found under it.
	"token folder mounted through subPath": {"o": {"pod_volumes": [{"name": "aws-iam-token", "projected": [token("sts.amazonaws.com", "eks/token")]}], "pod_mounts": [{"volume": "aws-iam-token", "path": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "subPath": "eks"}]}, "want": {"deny": set(), "unknown": set()}},
	"another folder mounted through subPath": {"o": {"pod_volumes": [{"name": "aws-iam-token", "projected": [token("sts.amazonaws.com", "other/token")]}], "pod_mounts": [{"volume": "aws-iam-token", "path": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "subPath": "eks"}]}, "want": {"deny": {fx.pod_key}, "unknown": set()}},
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	"wrong audience on the pod": {"o": {"pod_volumes": wrong_aud}, "want": {"deny": {fx.pod_key}, "unknown": set()}},
	"wrong audience on template and pod": {"o": {"pod_volumes": wrong_aud, "template_volumes": wrong_aud}, "want": {"deny": {fx.deployment_key, fx.pod_key}, "unknown": set()}},
	# The service account may set another audience on purpose.
	"audience override honoured": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": fx.role_arn, "eks.amazonaws.com/audience": "sts.amazonaws.com.cn"}, "pod_volumes": wrong_aud, "template_volumes": wrong_aud}, "want": {"deny": set(), "unknown": set()}},
	"volume named otherwise passes": {"o": {"pod_volumes": renamed, "pod_mounts": renamed_mounts}, "want": {"deny": set(), "unknown": set()}},
	"token mounted elsewhere than the variable names": {"o": {"pod_mounts": elsewhere}, "want": {"deny": {fx.pod_key}, "unknown": set()}},
	"token mounted through subPath passes": {"o": {"pod_mounts": sub_path}, "want": {"deny": set(), "unknown": set()}},
	"no token volume at all": {"o": {"pod_volumes": [], "pod_mounts": []}, "want": {"deny": {fx.pod_key}, "unknown": set()}},
	# Without the variable the webhook did not run: WI-K8S-005 reports it.
	"no token variable is not judged": {"o": {"pod_env": no_token_env, "pod_volumes": [], "pod_mounts": []}, "want": {"deny": set(), "unknown": set()}},
	"azure documented setup passes": {"o": azure_case("api://AzureADTokenExchange"), "want": {"deny": set(), "unknown": set()}},
	"azure wrong audience": {"o": azure_case("sts.amazonaws.com"), "want": {"deny": {fx.deployment_key, fx.pod_key}, "unknown": set()}},
	# GKE's metadata server serves the identity: nothing to judge.
	"gke automount off does not apply": {"o": {"profile": gcp, "sa_annotations": gsa, "pod_automount": false, "sa_automount": false}, "want": {"deny": set(), "unknown": set()}},
	"gke pods forbidden does not apply": {"o": {"profile": gcp, "sa_annotations": gsa, "pods": {}, "errors": [{"collector": "kubernetes", "kind": "Pod", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": set()}},
	"pods forbidden": {"o": {"pods": {}, "errors": [{"collector": "kubernetes", "kind": "Pod", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

# Which resource fails, and why.
test_mounted_elsewhere_names_pod_and_path if {
	fs := control.deny with input as fx.space({"pod_mounts": elsewhere})
	some f in fs
	f.resource.kind == "Pod"
	f.evidence.tokenFile == token_file
	f.evidence.audiences == []
	contains(f.msg, "no projected service-account token is mounted there")
}

test_wrong_audience_names_template_and_audience if {
	fs := control.deny with input as fx.space({"template_volumes": wrong_aud})
	count(fs) == 1
	some f in fs
	f.resource.kind == "Deployment"
	f.evidence.audiences == ["sts.amazonaws.com.cn"]
	f.evidence.expected == "sts.amazonaws.com"
}
