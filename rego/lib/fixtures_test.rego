# Fixtures for the policy tests: a control plane namespace set up as the
# documented AWS IRSA setup says, with every part overridable by name.
package wiscan.lib.fixtures

ns := "mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system"

role_arn := "arn:aws:iam::123456789012:role/backup-restore-role"

profile := {
	"name": "spaces-backup",
	"namespaces": {"pattern": "^mxp-[0-9a-f-]+-system$"},
	"serviceAccount": "mxp-controller",
	"workload": {"kind": "Deployment", "name": "mxp-controller"},
	"backupConfig": "SharedBackupConfig",
	"storage": {},
	"access": {"objects": ["read", "write", "delete", "list"]},
	"targets": [ns],
}

irsa_env := [
	{"name": "AWS_ROLE_ARN", "value": role_arn, "hasValue": true},
	{"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", "hasValue": true},
]

irsa_volumes := [{"name": "aws-iam-token", "projected": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}]

irsa_mounts := [{"volume": "aws-iam-token", "path": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}]

pod_spec(o, prefix) := {
	"labels": object.get(o, concat("", [prefix, "labels"]), {"app": "mxp-controller"}),
	"annotations": object.get(o, concat("", [prefix, "annotations"]), {}),
	"serviceAccount": object.get(o, concat("", [prefix, "serviceAccount"]), "mxp-controller"),
	"automount": object.get(o, concat("", [prefix, "automount"]), null),
	"hostNetwork": object.get(o, concat("", [prefix, "hostNetwork"]), false),
	"containers": [{
		"name": "mxp-controller",
		"env": object.get(o, concat("", [prefix, "env"]), irsa_env),
		"envFrom": object.get(o, concat("", [prefix, "envFrom"]), []),
		"mounts": object.get(o, concat("", [prefix, "mounts"]), irsa_mounts),
	}],
	"volumes": object.get(o, concat("", [prefix, "volumes"]), irsa_volumes),
}

sa(o) := {
	"namespace": ns,
	"name": "mxp-controller",
	"labels": object.get(o, "sa_labels", {}),
	"annotations": object.get(o, "sa_annotations", {"eks.amazonaws.com/role-arn": role_arn}),
	"automount": object.get(o, "sa_automount", null),
	"updatedAt": object.get(o, "sa_updatedAt", "2026-11-01T10:00:00Z"),
}

deployment(o) := {
	"namespace": ns,
	"name": "mxp-controller",
	"kind": "Deployment",
	"labels": object.get(o, "deployment_labels", {}),
	"annotations": object.get(o, "deployment_annotations", {}),
	"selector": {"app": "mxp-controller"},
	"template": pod_spec(o, "template_"),
}

pod(o) := {
	"namespace": ns,
	"name": "mxp-controller-7d9f8b6c5d-x2x4z",
	"labels": object.get(o, "pod_labels", {"app": "mxp-controller"}),
	"annotations": {},
	"createdAt": object.get(o, "pod_createdAt", "2026-11-02T10:00:00Z"),
	"spec": pod_spec(o, "pod_"),
	"phase": "Running",
	"nodeName": object.get(o, "pod_nodeName", ""),
	"owner": {"kind": "ReplicaSet", "name": "mxp-controller-7d9f8b6c5d"},
	"workload": object.get(o, "pod_workload", {"kind": "Deployment", "name": "mxp-controller"}),
}

# as_workload(kind, o) is o with the workload a kind other than
# Deployment: the profile names it, the cluster holds it under its kind,
# and the pod is tied to it.
as_workload(kind, o) := object.union(o, {
	"profile": object.union(object.get(o, "profile", {}), {"workload": {"kind": kind, "name": "mxp-controller"}}),
	"deployments": {},
	workload_field[kind]: {ns: {"mxp-controller": object.union(deployment(o), {"kind": kind})}},
	"pod_workload": {"kind": kind, "name": "mxp-controller"},
})

workload_field := {"StatefulSet": "statefulSets", "DaemonSet": "daemonSets", "Job": "jobs", "CronJob": "cronJobs"}

backup_config(o) := {
	"namespace": "default",
	"name": "default",
	"labels": {},
	"annotations": {},
	"kind": "SharedBackupConfig",
	"provider": object.get(o, "bc_provider", "AWS"),
	"bucket": object.get(o, "bc_bucket", "spaces-backups"),
	"config": object.get(o, "bc_config", {"region": "us-east-1"}),
	"credentialsSource": object.get(o, "bc_source", "InjectedIdentity"),
}

# space builds a snapshot input; o overrides parts by name (sa_annotations,
# template_env, pod_volumes, secrets, errors, ...).
space(o) := {
	"schemaVersion": "wiscan.io/snapshot/v1alpha4",
	"collectedAt": "2026-11-29T12:00:00Z",
	"profiles": [object.union(profile, object.get(o, "profile", {}))],
	"targets": object.get(o, "targets", [target(o)]),
	"kubernetes": {
		"namespaces": {ns: {"name": ns, "labels": {}}},
		"serviceAccounts": {ns: object.get(o, "serviceAccounts", {"mxp-controller": sa(o)})},
		"deployments": {ns: object.get(o, "deployments", {"mxp-controller": deployment(o)})},
		"statefulSets": object.get(o, "statefulSets", {}),
		"daemonSets": object.get(o, "daemonSets", {}),
		"jobs": object.get(o, "jobs", {}),
		"cronJobs": object.get(o, "cronJobs", {}),
		"pods": {ns: object.get(o, "pods", {"mxp-controller-7d9f8b6c5d-x2x4z": pod(o)})},
		"secrets": {ns: object.get(o, "secrets", {})},
		"nodes": object.get(o, "nodes", {}),
		"spaces": {
			"kinds": object.get(o, "spaces_kinds", {"SharedBackupConfig": true}),
			"controlPlanes": [],
			"sharedBackupConfigs": object.get(o, "sharedBackupConfigs", [backup_config(o)]),
			"spaceBackupConfigs": [],
		},
	},
	"errors": object.get(o, "errors", []),
	"stats": [],
}

# target is the fixture's one target as wiscan resolves it before the
# evaluation; the fixture is an AWS setup, so the cloud is AWS unless the
# case or its profile names another (or "" for an undecided one).
target(o) := {
	"profile": "spaces-backup",
	"namespace": ns,
	"cloud": object.get(o, "cloud", object.get(object.get(o, "profile", {}), "cloud", "aws")),
	"cloudFrom": object.get(o, "cloudFrom", cloud_from(o)),
	"method": object.get(o, "method", object.get(object.get(o, "profile", {}), "method", "")),
	"annotated": sort([name |
		some name, c in data.wiscan.clouds
		object.get(object.get(o, "sa_annotations", {"eks.amazonaws.com/role-arn": role_arn}), c.annotation.key, null) != null
	]),
}

# cloud_from says what named the fixture's cloud: its profile, else the
# service account's annotation.
cloud_from(o) := "profile" if object.get(object.get(o, "profile", {}), "cloud", "") != ""

else := "annotation"

# sa_gap is the collector's gap for service accounts it may not list.
sa_gap := {"collector": "kubernetes", "kind": "ServiceAccount", "reason": "forbidden", "message": "HTTP 403 Forbidden"}

# results says what a control found on an input: for deny and unknown, the
# resources ("Kind namespace/name") its results are about.
# Two results of one control with the same identity (resource and key)
# are reported under "duplicate keys", which no case wants: a finding's
# key must tell it apart from every other of its control.
results(deny, unknown) := object.union(
	{
		"deny": {result_key(f) | some f in deny},
		"unknown": {result_key(u) | some u in unknown},
	},
	{"duplicate keys": d | d := duplicates(deny) | duplicates(unknown); count(d) > 0},
)

identity(f) := sprintf("%s|%s", [result_key(f), object.get(f, "key", "")])

duplicates(fs) := {identity(f) |
	some f in fs
	count([g | some g in fs; identity(g) == identity(f)]) > 1
}

result_key(f) := sprintf("%s %s/%s", [f.resource.kind, object.get(f.resource, "namespace", ""), f.resource.name])

# Keys of the fixture's resources, for the wanted results.
key_in(kind, name) := sprintf("%s %s/%s", [kind, ns, name])

sa_key := key_in("ServiceAccount", "mxp-controller")

deployment_key := key_in("Deployment", "mxp-controller")

pod_key := key_in("Pod", "mxp-controller-7d9f8b6c5d-x2x4z")

role_key := sprintf("IAMRole /%s", [role_arn])

provider_key := sprintf("IAMOIDCProvider /%s", [provider_arn])

# outcome counts a control's results on an input.
outcome(deny, unknown) := {"deny": count(deny), "unknown": count(unknown)}

# The AWS side of the documented setup: the cluster's OIDC provider
# registered, the role trusting the control plane's subject, and the
# documented permission policy on the backup bucket.
account := "123456789012"

issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

provider_arn := sprintf("arn:aws:iam::%s:oidc-provider/%s", [account, issuer])

subject := sprintf("system:serviceaccount:%s:mxp-controller", [ns])

bucket := "spaces-backups"

aud_key := sprintf("%s:aud", [issuer])

sub_key := sprintf("%s:sub", [issuer])

# documented_trust is the documented IRSA trust policy for the given
# subjects and condition operator.
documented_trust(subjects) := {
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Allow",
		"Principal": {"Federated": provider_arn},
		"Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": {"StringEquals": {aud_key: "sts.amazonaws.com", sub_key: subjects}},
	}],
}

pod_identity_trust := {
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Allow",
		"Principal": {"Service": "pods.eks.amazonaws.com"},
		"Action": ["sts:AssumeRole", "sts:TagSession"],
	}],
}

documented_permissions := {
	"Version": "2012-10-17",
	"Statement": [{
		"Effect": "Allow",
		"Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
		"Resource": [sprintf("arn:aws:s3:::%s", [bucket]), sprintf("arn:aws:s3:::%s/*", [bucket])],
	}],
}

# statement builds a one-statement policy.
statement(s) := {"Version": "2012-10-17", "Statement": [s]}

role(o) := object.union(
	{
		"arn": role_arn,
		"name": "backup-restore-role",
		"found": object.get(o, "role_found", true),
		"trustPolicy": {"document": object.get(o, "trust", documented_trust(subject))},
		"inlinePolicies": object.get(o, "inline", [{"name": "backup-restore", "document": documented_permissions}]),
		"attachedPolicies": object.get(o, "attached", []),
	},
	boundary(o),
)

boundary(o) := {"permissionsBoundary": {"arn": "arn:aws:iam::123456789012:policy/boundary", "document": o.boundary}} if o.boundary

else := {}

association := {"id": "a-0123456789abcdef0", "namespace": ns, "serviceAccount": "mxp-controller", "roleArn": role_arn}

aws(o) := {
	"account": account,
	"partition": "aws",
	"cluster": object.get(o, "cluster", {"name": "spaces", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/spaces", "oidcIssuer": concat("", ["https://", issuer])}),
	"oidcProviders": object.get(o, "providers", {provider_arn: {"arn": provider_arn, "url": issuer, "clientIds": ["sts.amazonaws.com"]}}),
	"roles": object.get(o, "roles", {role_arn: role(o)}),
	"podIdentityAssociations": object.get(o, "associations", {}),
	"buckets": object.get(o, "buckets", {}),
}

# space_aws is space(o) with the AWS side.
space_aws(o) := object.union(space(o), {"aws": aws(o)})

# pod_identity are the overrides of the documented Pod Identity setup.
pod_identity := {
	"sa_annotations": {},
	"profile": {"cloud": "aws", "method": "pod-identity"},
	"trust": pod_identity_trust,
	"associations": {ns: {"mxp-controller": association}},
}

# with replaces one override (object.union would merge nested objects).
replace(o, k, v) := object.union(object.remove(o, [k]), {k: v})

# The Azure side of the documented setup: AKS with its OIDC issuer and
# workload identity on, a user-assigned identity with one federated
# credential for the control plane, Storage Blob Data Contributor on the
# storage account, and shared-key access off.
az_sub := "00000000-1111-2222-3333-444444444444"

az_rg := sprintf("/subscriptions/%s/resourceGroups/spaces", [az_sub])

az_client := "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"

az_principal := "11111111-2222-3333-4444-555555555555"

az_identity_id := sprintf("%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity", [az_rg])

az_account := sprintf("%s/providers/Microsoft.Storage/storageAccounts/spacesbackups", [az_rg])

az_issuer := "https://eastus.oic.prod-aks.azure.com/00000000-aaaa-bbbb-cccc-000000000000/11111111-aaaa-bbbb-cccc-111111111111/"

az_sbdc := sprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe", [az_sub])

az_credential(name, subject) := {"name": name, "issuer": az_issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]}

az_assignment(id, scope, role) := {"id": id, "scope": scope, "roleDefinitionId": role, "principalId": az_principal, "principalType": "ServicePrincipal"}

azure_env := [
	{"name": "AZURE_CLIENT_ID", "value": az_client, "hasValue": true},
	{"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/tokens/azure-identity-token", "hasValue": true},
]

azure_volumes := [{"name": "azure-identity-token", "projected": [{"serviceAccountToken": {"audience": "api://AzureADTokenExchange", "path": "azure-identity-token"}}]}]

azure_mounts := [{"volume": "azure-identity-token", "path": "/var/run/secrets/azure/tokens"}]

azure_labels := {"app": "mxp-controller", "azure.workload.identity/use": "true"}

# azure_k8s is the Kubernetes side of the Azure setup, under o.
azure_k8s(o) := object.union(
	{
		"profile": {"cloud": "azure"},
		"sa_annotations": {"azure.workload.identity/client-id": az_client},
		"template_env": azure_env, "pod_env": azure_env,
		"template_volumes": azure_volumes, "pod_volumes": azure_volumes,
		"template_mounts": azure_mounts, "pod_mounts": azure_mounts,
		"template_labels": azure_labels, "pod_labels": azure_labels,
		"bc_provider": "Azure", "bc_bucket": "backups", "bc_config": {"storage_account": "spacesbackups"},
	},
	o,
)

azure(o) := {
	"subscriptions": [az_sub],
	"identitiesListed": [az_sub],
	"cluster": object.get(o, "az_cluster", {
		"id": sprintf("%s/providers/Microsoft.ContainerService/managedClusters/spaces", [az_rg]), "name": "spaces",
		"oidcIssuerEnabled": true, "oidcIssuer": az_issuer, "workloadIdentityEnabled": true,
	}),
	"identities": object.get(o, "az_identities", {az_client: object.union(
		{
			"id": az_identity_id, "name": "backup-restore-identity", "clientId": az_client, "principalId": az_principal,
			"found": true, "assignments": true, "denyAssignments": true,
			"federatedCredentials": [az_credential("backup-restore-federated-identity", subject)],
		},
		object.get(o, "az_identity", {}),
	)}),
	"roleAssignments": object.get(o, "az_assignments", [az_assignment("a1", az_account, az_sbdc)]),
	"roleDefinitions": object.get(o, "az_definitions", {}),
	"denyAssignments": object.get(o, "az_deny", []),
	"storageAccounts": object.get(o, "az_accounts", {"spacesbackups": {"id": az_account, "name": "spacesbackups", "allowSharedKeyAccess": false}}),
}

# space_azure is the documented Azure setup; o overrides parts by name
# (the Kubernetes ones as for space, the Azure ones az_*).
space_azure(o) := object.union(space(azure_k8s(o)), {"azure": azure(o)})

az_identity_key := sprintf("ManagedIdentity /%s", [az_identity_id])

az_cluster_key := sprintf("AKSCluster /%s/providers/Microsoft.ContainerService/managedClusters/spaces", [az_rg])

az_account_key := sprintf("StorageAccount /%s", [az_account])

# GCP: the documented setup on GKE, a Google service account with Storage
# Object Admin on the project and the workload identity user binding for
# the control plane's service account.
gcp_project := "acme-prod"

gcp_number := "123456789012"

gcp_pool := "acme-prod.svc.id.goog"

gcp_email := "backup-restore-sa@acme-prod.iam.gserviceaccount.com"

gcp_cluster := "projects/acme-prod/locations/us-central1/clusters/spaces"

gcp_member := sprintf("serviceAccount:%s[%s/mxp-controller]", [gcp_pool, ns])

gcp_principal := sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/subject/ns/%s/sa/mxp-controller", [gcp_number, gcp_pool, ns])

gcp_node := "gke-spaces-default-pool-1a2b3c4d-x9z8"

# gcp_k8s is the Kubernetes side of the GCP setup, under o: GKE injects
# nothing into the pod, which runs on a node of the default pool.
gcp_k8s(o) := object.union(
	object.remove(
		object.union(
			{
				"profile": {"cloud": "gcp"},
				"template_env": [], "pod_env": [],
				"template_volumes": [], "pod_volumes": [],
				"template_mounts": [], "pod_mounts": [],
				"pod_nodeName": gcp_node,
				"bc_provider": "GCP", "bc_bucket": "spaces-backups", "bc_config": {},
			},
			o,
		),
		["nodes", "sa_annotations"],
	),
	{
		"nodes": object.get(o, "nodes", {gcp_node: {"name": gcp_node, "pool": "default-pool"}}),
		"sa_annotations": object.get(o, "sa_annotations", {"iam.gke.io/gcp-service-account": gcp_email}),
	},
)

gcp_binding(role, members) := {"role": role, "members": members}

gcp_policy(bindings) := {"version": 1, "bindings": bindings}

gcp(o) := {
	"project": gcp_project,
	"projectNumber": gcp_number,
	"ancestry": object.get(o, "gcp_ancestry", ["organizations/222"]),
	"cluster": object.get(o, "gcp_cluster", {"name": gcp_cluster, "workloadPool": gcp_pool}),
	"nodePools": object.get(o, "gcp_node_pools", {"default-pool": {"name": "default-pool", "workloadMetadata": "GKE_METADATA"}}),
	"serviceAccounts": object.get(o, "gcp_accounts", {gcp_email: object.union(
		{
			"email": gcp_email, "uniqueId": "109876543210987654321", "project": gcp_project, "found": true,
			"policy": gcp_policy(object.get(o, "gcp_wiu", [gcp_binding("roles/iam.workloadIdentityUser", [gcp_member])])),
			"keys": [],
		},
		object.get(o, "gcp_account", {}),
	)}),
	"policies": object.get(o, "gcp_policies", {
		sprintf("projects/%s", [gcp_project]): gcp_policy(object.get(o, "gcp_project_bindings", [gcp_binding("roles/storage.objectAdmin", [sprintf("serviceAccount:%s", [gcp_email])])])),
		"organizations/222": gcp_policy([]),
		"buckets/spaces-backups": gcp_policy(object.get(o, "gcp_bucket_bindings", [])),
	}),
	"denyPolicies": object.get(o, "gcp_deny", {sprintf("projects/%s", [gcp_project]): [], "organizations/222": []}),
	"roles": object.get(o, "gcp_roles", {}),
}

# space_gcp is the documented GCP setup; o overrides parts by name (the
# Kubernetes ones as for space, the GCP ones gcp_*).
space_gcp(o) := object.union(space(gcp_k8s(o)), {"gcp": gcp(o)})

# least_gcp is the least-privilege form: the storage grant on the bucket.
least_gcp := {
	"gcp_project_bindings": [],
	"gcp_bucket_bindings": [gcp_binding("roles/storage.objectUser", [sprintf("serviceAccount:%s", [gcp_email])])],
}

gcp_account_key := sprintf("GoogleServiceAccount /%s", [gcp_email])

gcp_cluster_key := sprintf("GKECluster /%s", [gcp_cluster])
