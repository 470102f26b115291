# METADATA
# title: Managed identity exists for the client ID
# description: >-
#   The client ID in azure.workload.identity/client-id names a user-assigned
#   managed identity in the subscriptions in scope. Absence is proven only
#   by a full listing of those subscriptions (ARM has no lookup by client
#   ID); a principal (object) ID or a resource ID pasted in place of the
#   client ID is this finding too.
# related_resources:
#   - ref: https://azure.github.io/azure-workload-identity/docs/topics/service-account-labels-and-annotations.html
# custom:
#   id: WI-AZ-003
#   severity: high
#   remediation: >-
#     Set the annotation to the identity's client ID (az identity show
#     --name <identity> --resource-group <group> --query clientId -o tsv)
#     through the Spaces Helm values, then restart the workload.
package wiscan.azure.identity_exists

import data.wiscan.lib.azure

deny contains f if {
	some client, _ in azure.uses
	some i in input.azure.identities
	i.found
	lower(object.get(i, "principalId", "")) == client
	ns := azure.namespaces(client)
	f := {
		"msg": sprintf("%s is the principal (object) ID of identity %s, not a client ID: its client ID is %s; %d control plane(s) use it: %s", [client, i.name, i.clientId, count(ns), azure.summary(ns)]),
		"resource": {"kind": "ManagedIdentity", "name": client},
		"key": "principal-id",
		"evidence": {"clientId": client, "identity": i.id, "identityClientId": i.clientId, "namespaces": ns},
	}
}

deny contains f if {
	some client, _ in azure.uses
	startswith(client, "/subscriptions/")
	ns := azure.namespaces(client)
	f := {
		"msg": sprintf("%s is a resource ID, not a client ID; %d control plane(s) use it: %s", [client, count(ns), azure.summary(ns)]),
		"resource": {"kind": "ManagedIdentity", "name": client},
		"key": "resource-id",
		"evidence": {"clientId": client, "namespaces": ns},
	}
}

deny contains f if {
	some client, _ in azure.uses
	input.azure.identities[client].found == false
	not principal_id(client)
	ns := azure.namespaces(client)
	f := {
		"msg": sprintf("client ID %s matches no user-assigned identity in subscription(s) %s (listed in full); %d control plane(s) use it: %s", [client, concat(", ", input.azure.identitiesListed), count(ns), azure.summary(ns)]),
		"resource": {"kind": "ManagedIdentity", "name": client},
		"key": "not-found",
		"evidence": {"clientId": client, "subscriptions": input.azure.identitiesListed, "namespaces": ns},
	}
}

principal_id(client) if {
	some i in input.azure.identities
	i.found
	lower(object.get(i, "principalId", "")) == client
}

unknown contains {"msg": msg, "resource": {"kind": "ManagedIdentity", "name": client}} if {
	some client, _ in azure.uses
	not principal_id(client)
	not startswith(client, "/subscriptions/")
	msg := azure.identity_unknown(client)
}

unknown contains u if some u in azure.unread_targets

not_applicable contains why if some why in azure.identities_not_applicable
