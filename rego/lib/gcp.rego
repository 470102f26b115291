# METADATA
# description: Shared helpers for the GCP controls. Not a control.
package wiscan.lib.gcp

import data.wiscan.lib.k8s

gsa_key := "iam.gke.io/gcp-service-account"

wiu := "roles/iam.workloadIdentityUser"

# object_user is the bucket role a fix grants: object read, write, list
# and delete, and nothing on the bucket itself.
object_user := "roles/storage.objectUser"

# permissions each neutral operation on objects needs.
permissions := {
	"read": "storage.objects.get",
	"write": "storage.objects.create",
	"delete": "storage.objects.delete",
	"list": "storage.objects.list",
}

# targets are the profile targets that use GCP.
targets contains t if {
	some t in k8s.targets
	k8s.cloud(t) == "gcp"
}

# unread_targets are the unknown results of the targets that may use GCP
# but whose service account could not be read.
unread_targets contains u if {
	k8s.any_gap
	some t in k8s.targets
	k8s.cloud(t) in {"gcp", ""}
	u := k8s.unknown_result(["ServiceAccount"], t, k8s.sa_resource(t))
}

# not_applicable says why the GCP controls have nothing to check.
not_applicable := k8s.cloud_not_applicable({"gcp"})

# gsa is the Google service account the target's service account names,
# in lower case.
gsa(t) := lower(v) if {
	v := trim_space(k8s.service_account(t).annotations[gsa_key])
	v != ""
}

# principal_targets act as themselves through their IAM principal
# identifier: the profile says so, or the service account names no Google
# service account.
principal_targets contains t if {
	some t in targets
	k8s.method(t) == "gcp-principal"
}

principal_targets contains t if {
	some t in targets
	k8s.method(t) != "gcp-principal"
	k8s.service_account(t)
	not gsa(t)
}

# uses[email] are the targets that act as that Google service account.
uses[email] contains t if {
	some t in targets
	k8s.method(t) != "gcp-principal"
	email := gsa(t)
}

namespaces(email) := sort({t.namespace | some t in uses[email]})

# accounts_not_applicable adds: no control plane names a Google service
# account.
accounts_not_applicable := not_applicable if {
	count(not_applicable) > 0
} else := {"no control plane names a Google service account (iam.gke.io/gcp-service-account)"} if {
	count(uses) == 0
	count(unread_targets) == 0
} else := set()

# summary names the first namespaces of a list and counts the rest.
summary(list) := concat(", ", list) if {
	count(list) <= 3
} else := sprintf("%s and %d more", [concat(", ", array.slice(list, 0, 3)), count(list) - 3])

collected if input.gcp

not_collected_msg := "GCP was not read (--skip-cloud): its controls need it; scan without --skip-cloud" if {
	"gcp" in object.get(object.get(input, "source", {}), "skipCloud", [])
} else := "the evidence holds no gcloud exports: add them (see the GCP evidence export in the README)" if {
	object.get(object.get(input, "source", {}), "mode", "") == "evidence"
} else := "GCP was not read: scan without --skip-cloud, with Application Default Credentials and --gcp-project (pass --cloud gcp if nothing in the cluster names GCP)"

# gap_messages are the GCP collection errors for kind and name (an error
# without a name concerns every object of its kind).
gap_messages(kind, name) := sort([sprintf("%s not readable (%s): %s", [kind, e.reason, e.message]) |
	some e in input.errors
	e.collector in {"gcp", "evidence"}
	e.kind == kind
	object.get(e, "name", "") in {"", name}
])

reasons(gaps, _) := concat("; ", gaps) if count(gaps) > 0

reasons(gaps, fallback) := fallback if count(gaps) == 0

project := input.gcp.project

# pool is the workload identity pool the project's clusters use.
pool := sprintf("%s.svc.id.goog", [project])

cluster := input.gcp.cluster

cluster_name := object.get(object.get(input.gcp, "cluster", {}), "name", "")

cluster_resource := object.union({"kind": "GKECluster", "name": cluster.name}, object.get(cluster, "source", {})) if cluster

cluster_resource := {"kind": "GKECluster", "name": "gke"} if not cluster

# cluster_unknown says why the cluster cannot be checked, if it cannot.
cluster_unknown := not_collected_msg if {
	not collected
} else := msg if {
	not cluster
	msg := reasons(gap_messages("GKECluster", ""), "the GKE cluster was not read: name it with --gcp-project, --gcp-location and --gcp-cluster")
}

# account is the Google service account with that e-mail, when found.
account(email) := a if {
	a := input.gcp.serviceAccounts[email]
	a.found
}

# account_unknown says why an account cannot be checked, if it cannot.
account_unknown(email) := not_collected_msg if {
	not collected
} else := msg if {
	not input.gcp.serviceAccounts[email]
	msg := reasons(gap_messages("GoogleServiceAccount", email), sprintf("service account %s was not read", [email]))
}

account_resource(email) := object.union(
	{"kind": "GoogleServiceAccount", "name": email},
	object.get(object.get(object.get(input, "gcp", {}), "serviceAccounts", {}), [email, "source"], {}),
)

# subject is the target's Kubernetes service account as IAM names it.
subject(t) := {
	"pool": pool,
	"projectNumber": object.get(input.gcp, "projectNumber", ""),
	"namespace": t.namespace,
	"name": t.profile.serviceAccount,
	"cluster": cluster_name,
}

subject_key(t) := sprintf("%s/%s", [t.namespace, t.profile.serviceAccount])

# member is the legacy member spelling of the target's service account,
# which the documented binding uses.
member(t) := sprintf("serviceAccount:%s[%s/%s]", [pool, t.namespace, t.profile.serviceAccount])

# principal is its IAM principal identifier.
principal(t) := sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/subject/ns/%s/sa/%s", [input.gcp.projectNumber, pool, t.namespace, t.profile.serviceAccount])

# impersonation[email][namespace/sa] is who may act as the account, for
# each service account that names it.
impersonation[email] := wiscan.gcp.impersonation(
	{subject_key(t): subject(t) | some t in ts},
	{"account": email, "gcp": input.gcp},
) if {
	collected
	some email, ts in uses
}

# Storage: the bucket is the profile's storage.bucket, else its backup
# configurations'; the prefix the profile's storage.prefix, else theirs.
profile_buckets(p) := {b} if {
	b := trim_space(object.get(object.get(p, "storage", {}), "bucket", ""))
	b != ""
} else := {trim_space(c.bucket) |
	some c in configs(object.get(p, "backupConfig", ""))
	trim_space(c.bucket) != ""
}

profile_prefix(p) := x if {
	x := object.get(object.get(p, "storage", {}), "prefix", "")
	x != ""
} else := x if {
	xs := {object.get(c, "prefix", "") | some c in configs(object.get(p, "backupConfig", ""))}
	count(xs) == 1
	some x in xs
} else := ""

configs("SharedBackupConfig") := [c | some c in input.kubernetes.spaces.sharedBackupConfigs; lower(trim_space(c.provider)) == "gcp"]

configs("SpaceBackupConfig") := [c | some c in input.kubernetes.spaces.spaceBackupConfigs; lower(trim_space(c.provider)) == "gcp"]

configs("") := []

needs(p) := sort({permissions[o] | some o in object.get(object.get(p, "access", {}), "objects", [])})

# identities are who reaches the storage for each target: the Google
# service account, or the target's own principal.
identity(t) := {"key": sprintf("gsa:%s", [email]), "subject": {"email": email}, "resource": account_resource(email), "name": email, "member": sprintf("serviceAccount:%s", [email])} if {
	some email, ts in uses
	t in ts
}

identity(t) := {"key": sprintf("ksa:%s", [subject_key(t)]), "subject": subject(t), "resource": k8s.sa_resource(t), "name": principal(t), "member": principal(t)} if {
	t in principal_targets
}

# storages are the distinct storages the targets need, each with its
# bucket, prefix and permissions.
storage(t, b) := {"bucket": b, "prefix": profile_prefix(t.profile), "needs": needs(t.profile)}

storages contains s if {
	some t in targets
	some b in profile_buckets(t.profile)
	s := storage(t, b)
	count(s.needs) > 0
}

storage_key(s) := sprintf("%s|%s|%s", [s.bucket, s.prefix, concat(",", s.needs)])

# access[storage key][identity key] is the built-in's judgement: one call
# per storage, for every identity that needs it.
access[storage_key(s)] := wiscan.gcp.analyze_access(
	{i.key: i.subject | some t in targets; some b in profile_buckets(t.profile); storage(t, b) == s; i := identity(t)},
	{"bucket": s.bucket, "prefix": s.prefix, "needs": s.needs, "now": object.get(input, "collectedAt", ""), "gcp": input.gcp},
) if {
	collected
	some s in storages
}

# uses_of[identity key] are the targets that reach storage as it, with the
# storages they need.
uses_of[i.key] contains {"target": t, "identity": i, "storage": storage(t, b)} if {
	some t in targets
	i := identity(t)
	some b in profile_buckets(t.profile)
	count(storage(t, b).needs) > 0
}
