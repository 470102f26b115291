# METADATA
# title: Workload's pods reach the GKE metadata server
# description: >-
#   Every node pool that runs the workload's pods uses the GKE_METADATA
#   workload metadata mode, and no pod of the workload runs with
#   hostNetwork: true. A pool created before workload identity was turned
#   on keeps the Compute Engine metadata server, and a host-network pod
#   reaches it too: either way the pod silently gets the node's identity.
#   The pools come from the pods' nodes (label
#   cloud.google.com/gke-nodepool).
# related_resources:
#   - ref: https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#migrate_applications_to
# custom:
#   id: WI-GCP-002
#   severity: high
#   remediation: >-
#     gcloud container node-pools update <pool> --cluster=<cluster>
#     --location=<location> --workload-metadata=GKE_METADATA (this recreates
#     the pool's nodes); run the workload without hostNetwork.
package wiscan.gcp.node_metadata

import data.wiscan.lib.gcp
import data.wiscan.lib.k8s

# pods are the scheduled pods of the GCP targets' workloads.
pods contains {"target": t, "pod": p} if {
	some t in gcp.targets
	some p in k8s.workload_pods(t)
	object.get(p, "nodeName", "") != ""
}

deny contains f if {
	some t in gcp.targets
	some p in k8s.workload_pods(t)
	p.spec.hostNetwork
	f := {
		"msg": sprintf("pod %s runs with hostNetwork: true, so its metadata requests reach the node's Compute Engine metadata server and it gets the node's identity, not %s", [p.name, identity(t)]),
		"resource": k8s.resource("Pod", p),
		"key": "host-network",
		"evidence": {"hostNetwork": true, "node": object.get(p, "nodeName", "")},
		"fix": {"action": "no-host-network", "kind": t.profile.workload.kind, "namespace": t.namespace, "name": t.profile.workload.name},
	}
}

deny contains f if {
	gcp.collected
	some pool, uses in pools
	np := input.gcp.nodePools[pool]
	np.workloadMetadata != "GKE_METADATA"
	nss := sort({u.target.namespace | some u in uses})
	f := {
		"msg": sprintf("node pool %s runs %s with workload metadata %s, not GKE_METADATA: its pods get the node's identity; %d control plane(s) run there: %s", [pool, pod_list(uses), mode(np.workloadMetadata), count(nss), gcp.summary(nss)]),
		"resource": pool_resource(pool),
		"key": pool,
		"evidence": {"workloadMetadata": np.workloadMetadata, "namespaces": nss, "cluster": gcp.cluster_name},
		"fix": {"action": "node-pool-metadata", "kind": "NodePool", "name": pool, "cluster": gcp.cluster_name, "value": "GKE_METADATA"},
	}
}

# pools[pool] are the pods on each node pool's nodes.
pools[pool] contains u if {
	some u in pods
	pool := input.kubernetes.nodes[u.pod.nodeName].pool
	pool != ""
}

pool_resource(pool) := object.union({"kind": "NodePool", "name": pool}, object.get(input.gcp.nodePools[pool], "source", {}))

identity(t) := gcp.gsa(t)

identity(t) := "its own principal" if not gcp.gsa(t)

mode("") := "unset (the node's metadata)"

mode(m) := m if m != ""

pod_list(uses) := concat(", ", array.slice(names, 0, 3)) if {
	names := sort({u.pod.name | some u in uses})
	count(names) <= 3
} else := sprintf("%s and %d more pods", [concat(", ", array.slice(names, 0, 3)), count(names) - 3]) if {
	names := sort({u.pod.name | some u in uses})
}

unknown contains u if {
	some x in pods
	node := input.kubernetes.nodes[x.pod.nodeName]
	node.pool == ""
	u := {
		"msg": sprintf("node %s of pod %s carries no cloud.google.com/gke-nodepool label: its node pool is not known", [node.name, x.pod.name]),
		"resource": k8s.resource("Pod", x.pod),
		"key": "node-pool",
	}
}

unknown contains u if {
	some x in pods
	not input.kubernetes.nodes[x.pod.nodeName]
	u := {
		"msg": sprintf("node %s of pod %s was not read: %s", [x.pod.nodeName, x.pod.name, node_gap]),
		"resource": k8s.resource("Pod", x.pod),
		"key": "node-pool",
	}
}

node_gap := concat("; ", gaps) if {
	gaps := k8s.missing(["Node"], "")
	count(gaps) > 0
} else := "the evidence holds no kubectl get nodes -o json" if {
	object.get(object.get(input, "source", {}), "mode", "") == "evidence"
} else := "no node by that name was listed"

unknown contains {"msg": gcp.not_collected_msg, "resource": {"kind": "NodePool", "name": pool}} if {
	not gcp.collected
	some pool, _ in pools
}

unknown contains {"msg": msg, "resource": {"kind": "NodePool", "name": pool}} if {
	gcp.collected
	some pool, _ in pools
	not input.gcp.nodePools[pool]
	msg := pool_unknown
}

pool_unknown := gcp.reasons(gcp.gap_messages("NodePool", ""), "the cluster's node pools were not read") if {
	object.get(input.gcp, "nodePools", null) == null
} else := "the node pool is not among the cluster's node pools that were read"

# A workload with no scheduled pod runs on no known pool yet.
unknown contains u if {
	some t in gcp.targets
	k8s.readable(["Pod"], t.namespace)
	count([p | some p in k8s.workload_pods(t); object.get(p, "nodeName", "") != ""]) == 0
	u := {
		"msg": "no pod of the workload is scheduled on a node, so the node pool it runs on is not known",
		"resource": {"kind": t.profile.workload.kind, "namespace": t.namespace, "name": t.profile.workload.name},
		"key": "no-pods",
	}
}

unknown contains u if {
	k8s.any_gap
	some t in gcp.targets
	u := k8s.unknown_result(["Pod"], t, k8s.namespace_resource(t.namespace))
}

unknown contains u if some u in gcp.unread_targets

not_applicable contains why if some why in gcp.not_applicable
