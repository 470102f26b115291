#!/bin/sh
# wiscan remediation plan for a scan of evidence ../../testdata/evidence/azure-space
# Read every step before running it: it changes the cluster (kubectl, the
# current context) and the cloud (the aws, az or gcloud CLI, the current
# credentials).
# 3 steps, 1 of them by hand or withheld (comments only); 3 failed findings without a step; 0 waived.
# Not planned: WI-AZ-007|StorageAccount///subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Storage/storageAccounts/spacesbackups|shared-key: no fix for WI-AZ-007: az storage account update --name <account> --resource-group <group> --allow-shared-key-access false (check first that nothing else uses the keys or a SAS signed with them).
# Not planned: WI-K8S-006|Deployment/mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system/mxp-controller: no fix for WI-K8S-006: Set the label through the Spaces Helm values: --set controlPlanes.mxpController.pod.customLabels."azure\.workload\.identity/use"="true", then restart the workload.
# Not planned: WI-K8S-006|Pod/mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system/mxp-controller-6d7e8f9a0b-q8r2t: no fix for WI-K8S-006: Set the label through the Spaces Helm values: --set controlPlanes.mxpController.pod.customLabels."azure\.workload\.identity/use"="true", then restart the workload.
set -eux

# Step 1, by hand: unassign ManagedIdentity//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity
#   fixes WI-AZ-006: identity backup-restore-identity holds Storage Blob Data Contributor at resource group scope /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces, above storage account spacesbackups: it reaches every account there
#   once the identity holds the role it needs on the storage account, remove role assignment /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e (az role assignment delete --ids /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e)

# Step 2: federate ManagedIdentity//subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity
#   fixes WI-AZ-004: no federated credential of identity backup-restore-identity matches control plane mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system (issuer https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/, subject system:serviceaccount:mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system:mxp-controller, audience api://AzureADTokenExchange): the closest, backup-restore-federated-identity, its subject is system:serviceaccount:mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system:mxp-controller; credential backup-restore-federated-identity, the documented name, holds control plane mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system's subject: following the documented steps for a second control plane replaces the first one's credential, so give each control plane a credential of its own name
az identity federated-credential create '--name=mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system-mxp-controller' '--identity-name=backup-restore-identity' '--resource-group=spaces' '--subscription=0b1f6471-1bf0-4dda-aec3-111122223333' '--issuer=https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/' '--subject=system:serviceaccount:mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system:mxp-controller' '--audiences=api://AzureADTokenExchange'

# Step 3: restart Deployment/mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system/mxp-controller
#   fixes WI-K8S-005: pod mxp-controller-6d7e8f9a0b-q8r2t carries no AZURE_CLIENT_ID but its service account declares "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e": restart the workload
kubectl rollout restart '--namespace=mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system' -- deployment mxp-controller
