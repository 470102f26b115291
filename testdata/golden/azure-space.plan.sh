#!/bin/sh
# wiscan remediation plan for a scan of evidence ../../testdata/evidence/azure-space
# Read every step before running it: it changes the cluster (kubectl, the
# current context) and the cloud (the aws, az or gcloud CLI, the current
# credentials).
# 6 steps, 2 of them by hand or withheld (comments only); 0 failed findings without a step; 0 waived.
set -eux

# Step 1: assign-role ManagedIdentity//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity
#   fixes WI-AZ-006: identity backup-restore-identity holds Storage Blob Data Contributor at resource group scope /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces, above storage account spacesbackups: it reaches every account there
az role assignment create '--name=da890abe-e168-5d14-8442-8847bd5f54f9' '--assignee-object-id=6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f' '--assignee-principal-type=ServicePrincipal' '--role=ba92f5b4-2d11-453d-a403-e96b0029c9fe' '--scope=/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Storage/storageAccounts/spacesbackups'

# Step 2: federate ManagedIdentity//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity
#   fixes WI-AZ-004: no federated credential of identity backup-restore-identity matches control plane mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system (issuer https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/, subject system:serviceaccount:mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system:mxp-controller, audience api://AzureADTokenExchange): the closest, backup-restore-federated-identity, its subject is system:serviceaccount:mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system:mxp-controller; credential backup-restore-federated-identity, the documented name, holds control plane mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system's subject: following the documented steps for a second control plane replaces the first one's credential, so give each control plane a credential of its own name
az identity federated-credential create '--name=mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system-mxp-controller' '--identity-name=backup-restore-identity' '--resource-group=spaces' '--subscription=0b1f6471-1bf0-4dda-aec3-111122223333' '--issuer=https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/' '--subject=system:serviceaccount:mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system:mxp-controller' '--audiences=api://AzureADTokenExchange'

# Step 3: label Deployment/mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system/mxp-controller
#   fixes WI-K8S-006: the pod template of Deployment mxp-controller lacks label azure.workload.identity/use: "true"
#   fixes WI-K8S-006: pod mxp-controller-6d7e8f9a0b-q8r2t lacks label azure.workload.identity/use: "true"
kubectl patch '--namespace=mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system' '--type=json' '--patch=[{"op":"add","path":"/spec/template/metadata/labels/azure.workload.identity~1use","value":"true"}]' -- deployment mxp-controller

# Step 4: restart Deployment/mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system/mxp-controller
#   fixes WI-K8S-005: pod mxp-controller-6d7e8f9a0b-q8r2t carries no AZURE_CLIENT_ID but its service account declares "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e": restart the workload
kubectl rollout restart '--namespace=mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system' -- deployment mxp-controller

# Step 5, withheld (needs --allow-narrowing): unassign ManagedIdentity//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity
#   fixes WI-AZ-006: identity backup-restore-identity holds Storage Blob Data Contributor at resource group scope /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces, above storage account spacesbackups: it reaches every account there
#   once the narrower grant above is in place: az role assignment delete --ids=/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e (--allow-narrowing plans it)

# Step 6, withheld (needs --allow-narrowing): disable-shared-key StorageAccount//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Storage/storageAccounts/spacesbackups
#   fixes WI-AZ-007: storage account spacesbackups allows shared-key access (allowSharedKeyAccess null, which Azure treats as true): its static keys keep working beside workload identity
#   the account's keys, and SAS tokens signed with them, stop working: check first that nothing else uses them
#   once nothing uses the account's keys: az storage account update --ids=/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Storage/storageAccounts/spacesbackups --allow-shared-key-access=false (--allow-narrowing plans it)
