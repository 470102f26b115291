package wiscan.k8s.identity_binding_test

import data.wiscan.k8s.identity_binding as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as build(c)
	got != c.want
}

test_cases if count(failures) == 0

azure := {"cloud": "azure", "method": "azure-workload-identity"}

cases := {
	"documented IRSA setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# IRSA required and no annotation.
	"irsa without annotation": {"o": {"sa_annotations": {}, "profile": {"cloud": "aws", "method": "irsa"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# Without AWS data, a missing annotation may mean Pod Identity.
	"aws, no annotation, pod identity unknown": {"o": {"sa_annotations": {}, "pod_env": []}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# The Pod Identity webhook injected its variables: a binding exists.
	"aws, pod identity injected": {"o": {"sa_annotations": {}, "pod_env": [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials", "hasValue": true}]}, "want": {"deny": set(), "unknown": set()}},
	# With the AWS side read, an association is a binding and its absence
	# is definite.
	"aws, pod identity association": {"o": fx.pod_identity, "aws": true, "want": {"deny": set(), "unknown": set()}},
	"aws, no annotation and no association": {"o": fx.replace(fx.pod_identity, "associations", {}), "aws": true, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"aws, associations not readable": {"o": object.union(fx.replace(fx.pod_identity, "associations", {}), {"pod_env": [], "errors": [{"collector": "aws", "kind": "PodIdentityAssociation", "reason": "forbidden", "message": "AccessDeniedException"}]}), "aws": true, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"azure with client id": {"o": {"profile": azure, "sa_annotations": {"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"}}, "want": {"deny": set(), "unknown": set()}},
	"azure without client id": {"o": {"profile": azure, "sa_annotations": {}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# An AWS annotation does not bind an Azure workload.
	"azure cloud with aws annotation": {"o": {"profile": azure}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"gke with annotation": {"o": {"profile": {"cloud": "gcp"}, "sa_annotations": {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com"}}, "want": {"deny": set(), "unknown": set()}},
	"gke method without annotation": {"o": {"profile": {"cloud": "gcp", "method": "gke-workload-identity"}, "sa_annotations": {}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# GCP principal identifiers need no annotation; the GCP side decides.
	"gcp without annotation, principal identifiers possible": {"o": {"profile": {"cloud": "gcp"}, "sa_annotations": {}}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# Nothing told the cloud (no profile cloud, no annotation, no backup
	# config provider): the resolved target has none.
	"cloud unknown": {"o": {"cloud": "", "sa_annotations": {}, "sharedBackupConfigs": []}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# A contradiction the resolver kept: the profile says GCP, the service
	# account carries the IRSA annotation only. It is one finding here.
	"gcp profile, irsa annotation": {"o": {"profile": {"cloud": "gcp"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# With the GCP side read, a principal-identifier binding is a binding
	# and its absence is definite.
	"gcp, principal binding on the bucket": {"o": object.union(fx.least_gcp, {"profile": {"method": "gcp-principal"}, "method": "gcp-principal", "sa_annotations": {}, "gcp_bucket_bindings": [fx.gcp_binding("roles/storage.objectUser", [fx.gcp_principal])]}), "gcp": true, "want": {"deny": set(), "unknown": set()}},
	"gcp, no annotation and no principal binding": {"o": {"sa_annotations": {}}, "gcp": true, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"service accounts forbidden": {"o": {"serviceAccounts": {}, "errors": [{"collector": "kubernetes", "kind": "ServiceAccount", "reason": "forbidden", "message": "serviceaccounts is forbidden"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

# The contradiction is said in the one finding: which annotation the
# service account carries, and what named the cloud.
test_contradiction_message if {
	[f] := [f | some f in control.deny] with input as fx.space({"profile": {"cloud": "gcp"}})
	endswith(f.msg, "; it carries the aws annotation instead, and the profile says gcp")
	f.key == "unbound:gcp"
	[g] := [g | some g in control.deny] with input as fx.space({"profile": {"cloud": "gcp"}, "cloudFrom": "backup-config"})
	endswith(g.msg, "and every backup configuration says gcp")
	[h] := [h | some h in control.deny] with input as fx.space({"profile": azure, "sa_annotations": {}})
	not contains(h.msg, "instead")
}

build(c) := fx.space_aws(c.o) if c.aws

else := fx.space_gcp(c.o) if c.gcp

else := fx.space(c.o)
