package wiscan.gcp.workload_pool_test

import data.wiscan.gcp.workload_pool as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"workload identity off": {"input": fx.space_gcp({"gcp_cluster": {"name": fx.gcp_cluster, "workloadPool": ""}}), "want": {"deny": {fx.gcp_cluster_key}, "unknown": set()}},
	"another project's pool": {"input": fx.space_gcp({"gcp_cluster": {"name": fx.gcp_cluster, "workloadPool": "other.svc.id.goog"}}), "want": {"deny": {fx.gcp_cluster_key}, "unknown": set()}},
	"cluster not read": {"input": object.union(fx.space(fx.gcp_k8s({})), {"gcp": object.remove(fx.gcp({}), ["cluster"])}), "want": {"deny": set(), "unknown": {"GKECluster /gke"}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {"GKECluster /gke"}}},
}

test_message_names_pool if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_cluster": {"name": fx.gcp_cluster, "workloadPool": ""}})
	f.msg == "GKE cluster projects/acme-prod/locations/us-central1/clusters/spaces has workload identity off (no workload pool), not the workload pool acme-prod.svc.id.goog"
}

test_not_applicable_elsewhere if {
	control.not_applicable == {"no control plane uses Google Cloud"} with input as fx.space({})
}
