# METADATA
# description: Shared helpers for the Azure controls. Not a control.
package wiscan.lib.azure

import data.wiscan.lib.k8s

client_key := "azure.workload.identity/client-id"

# audience is the token audience Azure exchanges.
audience := "api://AzureADTokenExchange"

# sbdc is Storage Blob Data Contributor's role definition GUID.
sbdc := "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

# documented_credential is the federated credential name the documented
# steps use for every control plane.
documented_credential := "backup-restore-federated-identity"

# credential_limit is Azure's limit of federated credentials per
# user-assigned identity, and credential_warn where WI-AZ-008 warns.
credential_limit := 20

credential_warn := 16

# targets are the profile targets that use Azure.
targets contains t if {
	some t in k8s.targets
	k8s.cloud(t) == "azure"
}

# unread_targets are the unknown results of the targets that may use
# Azure but whose service account could not be read.
unread_targets contains u if {
	k8s.any_gap
	some t in k8s.targets
	k8s.cloud(t) in {"azure", ""}
	u := k8s.unknown_result(["ServiceAccount"], t, k8s.sa_resource(t))
}

# not_applicable says why the Azure controls have nothing to check.
not_applicable := k8s.cloud_not_applicable({"azure"})

# identities_not_applicable adds: no control plane names a client ID.
identities_not_applicable := not_applicable if {
	count(not_applicable) > 0
} else := {"no control plane names an Azure client ID"} if {
	count(uses) == 0
	count(unread_targets) == 0
} else := set()

# client_id is the client ID the target's service account names, in lower
# case (Azure compares GUIDs without case).
client_id(t) := lower(id) if {
	id := trim_space(k8s.service_account(t).annotations[client_key])
	id != ""
}

# uses[client] are the targets that name a client ID.
uses[client] contains t if {
	some t in targets
	client := client_id(t)
}

namespaces(client) := sort({t.namespace | some t in uses[client]})

# summary names the first namespaces of a list and counts the rest.
summary(list) := concat(", ", list) if {
	count(list) <= 3
} else := sprintf("%s and %d more", [concat(", ", array.slice(list, 0, 3)), count(list) - 3])

collected if input.azure

not_collected_msg := "Azure was not read (--skip-cloud): its controls need it; scan without --skip-cloud" if {
	"azure" in object.get(object.get(input, "source", {}), "skipCloud", [])
} else := "the evidence holds no az exports: add them (see the Azure evidence export in the README)" if {
	object.get(object.get(input, "source", {}), "mode", "") == "evidence"
} else := "Azure was not read: scan without --skip-cloud, with Azure credentials and --azure-subscription (pass --cloud azure if nothing in the cluster names Azure)"

# gap_messages are the Azure collection errors for kind and name (an
# error without a name concerns every object of its kind).
gap_messages(kind, name) := sort([sprintf("%s not readable (%s): %s", [kind, e.reason, e.message]) |
	some e in input.errors
	e.collector == "azure"
	e.kind == kind
	object.get(e, "name", "") in {"", name}
])

reasons(gaps, _) := concat("; ", gaps) if count(gaps) > 0

reasons(gaps, fallback) := fallback if count(gaps) == 0

# identity is the found identity with that client ID.
identity(client) := i if {
	i := input.azure.identities[client]
	i.found
}

# identity_unknown says why an identity cannot be checked, if it cannot.
identity_unknown(client) := not_collected_msg if {
	not collected
} else := msg if {
	not input.azure.identities[client]
	msg := reasons(gap_messages("ManagedIdentity", client), "no user-assigned identity with this client ID was read, and no listing of the subscriptions in scope proves there is none")
}

identity_resource(client) := object.union(
	{"kind": "ManagedIdentity", "name": object.get(object.get(input.azure.identities, client, {}), "id", client)},
	object.get(object.get(input.azure.identities, client, {}), "source", {}),
) if collected

identity_resource(client) := {"kind": "ManagedIdentity", "name": client} if not collected

# cluster is the AKS cluster, when read.
cluster := input.azure.cluster

cluster_resource := object.union({"kind": "AKSCluster", "name": cluster.id}, object.get(cluster, "source", {})) if cluster

cluster_resource := {"kind": "AKSCluster", "name": "aks"} if not cluster

# cluster_unknown says why the cluster cannot be checked, if it cannot.
cluster_unknown := not_collected_msg if {
	not collected
} else := msg if {
	not cluster
	msg := reasons(gap_messages("AKSCluster", ""), "the AKS cluster was not read: name it with --azure-cluster (and its resource group and subscription)")
}

subject(t) := sprintf("system:serviceaccount:%s:%s", [t.namespace, t.profile.serviceAccount])

# Storage: the container is the profile's storage.bucket, else its backup
# configurations' bucket (or config.container); the account is their
# config.storage_account (config.storageAccount).
profile_containers(p) := {b} if {
	b := trim_space(object.get(object.get(p, "storage", {}), "bucket", ""))
	b != ""
} else := {b |
	some c in configs(object.get(p, "backupConfig", ""))
	b := trim_space(object.get(c.config, "container", c.bucket))
	b != ""
}

profile_accounts(p) := {a |
	some c in configs(object.get(p, "backupConfig", ""))
	some k in ["storage_account", "storageAccount"]
	a := trim_space(object.get(c.config, k, ""))
	a != ""
}

configs("SharedBackupConfig") := [c | some c in input.kubernetes.spaces.sharedBackupConfigs; lower(c.provider) == "azure"]

configs("SpaceBackupConfig") := [c | some c in input.kubernetes.spaces.spaceBackupConfigs; lower(c.provider) == "azure"]

configs("") := []

# data actions each neutral operation on objects needs.
data_actions := {
	"read": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
	"list": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
	"write": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
	"delete": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
}

# storages[client] are the account and container pairs the identity's
# users need, with the data actions they need there.
storages[client] contains {"account": a, "container": c, "needs": needs} if {
	some client, ts in uses
	ps := {t.profile | some t in ts}
	some p in ps
	some c in profile_containers(p)
	accounts := profile_accounts(p)
	some a in accounts_or_unknown(accounts)
	needs := sort({data_actions[o] | some o in object.get(object.get(p, "access", {}), "objects", [])})
	count(needs) > 0
}

accounts_or_unknown(names) := names if count(names) > 0

accounts_or_unknown(names) := {""} if count(names) == 0

account_id(name) := input.azure.storageAccounts[name].id

account_id(name) := "" if not input.azure.storageAccounts[name]

# analysis is the built-in's judgement of an identity on one storage.
analysis(client, s) := wiscan.azure.analyze_identity(input.azure.identities[client], {
	"account": account_id(s.account),
	"container": s.container,
	"needs": s.needs,
	"azure": input.azure,
})
