# METADATA
# title: Federated credentials below Azure's limit
# description: >-
#   A user-assigned managed identity holds at most 20 federated identity
#   credentials, one per control plane in the documented setup: a growing
#   Space reaches the limit, and the next control plane cannot back up.
#   Warns at 16.
# related_resources:
#   - ref: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#general-federated-identity-credential-considerations
# custom:
#   id: WI-AZ-008
#   severity: low
#   remediation: >-
#     Plan for the limit: spread the control planes over more identities
#     (a client ID per group of namespaces), or delete the credentials of
#     control planes that no longer exist.
package wiscan.azure.credential_limit

import data.wiscan.lib.azure

deny contains f if {
	some client, _ in azure.uses
	i := azure.identity(client)
	n := count(i.federatedCredentials)
	n >= azure.credential_warn
	f := {
		"msg": sprintf("identity %s holds %d of Azure's %d federated credentials: %s", [i.name, n, azure.credential_limit, room(n)]),
		"resource": azure.identity_resource(client),
		"key": "credential-limit",
		"evidence": {"identity": i.id, "credentials": n, "limit": azure.credential_limit, "namespaces": azure.namespaces(client)},
	}
}

room(n) := sprintf("%d more control plane(s) fit", [azure.credential_limit - n]) if n < azure.credential_limit

room(n) := "no further control plane can get a credential" if n >= azure.credential_limit

unknown contains {"msg": msg, "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	msg := azure.identity_unknown(client)
}

unknown contains {"msg": "the identity's federated credentials were not read", "resource": azure.identity_resource(client)} if {
	some client, _ in azure.uses
	azure.identity(client).federatedCredentials == null
}

not_applicable contains why if some why in azure.identities_not_applicable
