# METADATA
# title: AKS workload identity enabled
# description: >-
#   The workload identity webhook injects the client ID and the token only
#   when securityProfile.workloadIdentity is enabled; absent or null counts
#   as disabled.
# related_resources:
#   - ref: https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster
# custom:
#   id: WI-AZ-002
#   severity: high
#   remediation: >-
#     az aks update --resource-group <group> --name <cluster>
#     --enable-workload-identity, then restart the workloads.
package wiscan.azure.workload_identity

import data.wiscan.lib.azure

deny contains f if {
	count(azure.targets) > 0
	c := azure.cluster
	c.workloadIdentityEnabled != true
	f := {
		"msg": sprintf("AKS cluster %s has workload identity %s: pods get no token or client ID injected", [c.name, state(c.workloadIdentityEnabled)]),
		"resource": azure.cluster_resource,
		"key": "workload-identity-disabled",
		"evidence": {"cluster": c.id, "workloadIdentityEnabled": c.workloadIdentityEnabled},
	}
}

state(false) := "disabled"

state(null) := "disabled (securityProfile.workloadIdentity absent)"

unknown contains {"msg": azure.cluster_unknown, "resource": azure.cluster_resource} if count(azure.targets) > 0

not_applicable contains why if some why in azure.not_applicable
