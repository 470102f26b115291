# METADATA
# title: AKS OIDC issuer enabled
# description: >-
#   Azure exchanges the pod's service-account token only when the AKS
#   cluster publishes an OIDC issuer (oidcIssuerProfile.enabled).
# related_resources:
#   - ref: https://learn.microsoft.com/azure/aks/use-oidc-issuer
# custom:
#   id: WI-AZ-001
#   severity: high
#   remediation: >-
#     az aks update --resource-group <group> --name <cluster>
#     --enable-oidc-issuer, then create the federated credentials with the
#     issuer it gives (az aks show --query oidcIssuerProfile.issuerUrl).
package wiscan.azure.oidc_issuer

import data.wiscan.lib.azure

deny contains f if {
	count(azure.targets) > 0
	c := azure.cluster
	c.oidcIssuerEnabled != true
	f := {
		"msg": sprintf("AKS cluster %s has its OIDC issuer %s: no control plane's token can be exchanged for the identity", [c.name, state(c.oidcIssuerEnabled)]),
		"resource": azure.cluster_resource,
		"key": "oidc-issuer-disabled",
		"evidence": {"cluster": c.id, "oidcIssuerEnabled": c.oidcIssuerEnabled},
	}
}

state(false) := "disabled"

state(null) := "disabled (not set)"

unknown contains {"msg": azure.cluster_unknown, "resource": azure.cluster_resource} if count(azure.targets) > 0

not_applicable contains why if some why in azure.not_applicable
