package wiscan.gcp.node_metadata_test

import data.wiscan.gcp.node_metadata as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

pool_key := "NodePool /default-pool"

pools(mode) := {"default-pool": {"name": "default-pool", "workloadMetadata": mode}}

cases := {
	"documented setup passes": {"input": fx.space_gcp({}), "want": {"deny": set(), "unknown": set()}},
	"pool on the node's metadata": {"input": fx.space_gcp({"gcp_node_pools": pools("GCE_METADATA")}), "want": {"deny": {pool_key}, "unknown": set()}},
	"pool created before workload identity": {"input": fx.space_gcp({"gcp_node_pools": pools("")}), "want": {"deny": {pool_key}, "unknown": set()}},
	"host-network pod": {"input": fx.space_gcp({"pod_hostNetwork": true}), "want": {"deny": {fx.pod_key}, "unknown": set()}},
	"node not read": {"input": fx.space_gcp({"nodes": {"other": {"name": "other", "pool": "x"}}}), "want": {"deny": set(), "unknown": {fx.pod_key}}},
	"node without a pool label": {"input": fx.space_gcp({"nodes": {fx.gcp_node: {"name": fx.gcp_node, "pool": ""}}}), "want": {"deny": set(), "unknown": {fx.pod_key}}},
	"pool not among those read": {"input": fx.space_gcp({"gcp_node_pools": {"other-pool": {"name": "other-pool", "workloadMetadata": "GKE_METADATA"}}}), "want": {"deny": set(), "unknown": {pool_key}}},
	"node pools not read": {"input": fx.space_gcp({"gcp_node_pools": null}), "want": {"deny": set(), "unknown": {pool_key}}},
	"pod not scheduled": {"input": fx.space_gcp({"pod_nodeName": ""}), "want": {"deny": set(), "unknown": {fx.deployment_key}}},
	"gcp not collected": {"input": fx.space(fx.gcp_k8s({})), "want": {"deny": set(), "unknown": {pool_key}}},
}

test_pool_finding_names_pods_and_fix if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"gcp_node_pools": pools("GCE_METADATA")})
	f.msg == sprintf("node pool default-pool runs mxp-controller-7d9f8b6c5d-x2x4z with workload metadata GCE_METADATA, not GKE_METADATA: its pods get the node's identity; 1 control plane(s) run there: %s", [fx.ns])
	f.fix == {"action": "node-pool-metadata", "kind": "NodePool", "name": "default-pool", "cluster": fx.gcp_cluster, "value": "GKE_METADATA"}
}

test_host_network_names_identity if {
	[f] := [f | some f in control.deny] with input as fx.space_gcp({"pod_hostNetwork": true})
	contains(f.msg, "gets the node's identity, not backup-restore-sa@acme-prod.iam.gserviceaccount.com")
	f.key == "host-network"
}

test_node_gap_named if {
	gap := {"collector": "kubernetes", "kind": "Node", "reason": "forbidden", "message": "nodes is forbidden"}
	[u] := [u | some u in control.unknown] with input as fx.space_gcp({"nodes": {}, "errors": [gap]})
	contains(u.msg, "Node not readable (forbidden): nodes is forbidden")
}

# A host-network pod is fixed in its workload's template.
test_host_network_fix if {
	fixes := {f.fix | some f in control.deny} with input as fx.space_gcp({"pod_hostNetwork": true})
	fixes == {{"action": "no-host-network", "kind": "Deployment", "namespace": fx.ns, "name": "mxp-controller"}}
}
