# METADATA
# title: GKE cluster has the project's workload pool
# description: >-
#   Workload identity is on for the GKE cluster, with the workload pool
#   <project>.svc.id.goog: without it the GKE metadata server cannot
#   exchange a Kubernetes service account for Google credentials, and every
#   binding below is moot.
# related_resources:
#   - ref: https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
# custom:
#   id: WI-GCP-001
#   severity: high
#   remediation: >-
#     gcloud container clusters update <cluster> --location=<location>
#     --workload-pool=<project>.svc.id.goog, then move the node pools to the
#     GKE metadata server (WI-GCP-002).
package wiscan.gcp.workload_pool

import data.wiscan.lib.gcp

deny contains f if {
	count(gcp.targets) > 0
	pool := object.get(gcp.cluster, "workloadPool", "")
	pool != gcp.pool
	f := {
		"msg": sprintf("GKE cluster %s has %s, not the workload pool %s", [gcp.cluster.name, have(pool), gcp.pool]),
		"resource": gcp.cluster_resource,
		"key": "workload-pool",
		"evidence": {"workloadPool": pool, "want": gcp.pool},
	}
}

have("") := "workload identity off (no workload pool)"

have(p) := sprintf("workload pool %s", [p]) if p != ""

unknown contains {"msg": gcp.cluster_unknown, "resource": gcp.cluster_resource} if count(gcp.targets) > 0

not_applicable contains why if some why in gcp.not_applicable
