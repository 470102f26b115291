#!/bin/sh
# wiscan remediation plan for a scan of evidence ../../testdata/evidence/gcp-space
# Read every step before running it: it changes the cluster (kubectl, the
# current context) and the cloud (the aws, az or gcloud CLI, the current
# credentials).
# 6 steps, 2 of them by hand or withheld (comments only); 0 failed findings without a step; 0 waived.
set -eux

# Step 1: bind GoogleServiceAccount/backup-restore-sa@acme-prod.iam.gserviceaccount.com
#   fixes WI-GCP-004: Google service account backup-restore-sa@acme-prod.iam.gserviceaccount.com does not grant roles/iam.workloadIdentityUser to serviceAccount:acme-prod.svc.id.goog[mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system/mxp-controller] (its policy names serviceAccount:acme-prod.svc.id.goog[mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-sytem/mxp-controller] instead)
gcloud iam service-accounts add-iam-policy-binding backup-restore-sa@acme-prod.iam.gserviceaccount.com '--member=serviceAccount:acme-prod.svc.id.goog[mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system/mxp-controller]' '--role=roles/iam.workloadIdentityUser' '--condition=None'

# Step 2: node-pool-metadata NodePool/legacy-pool
#   fixes WI-GCP-002: node pool legacy-pool runs mxp-controller-8b9c0d1e2f-z5k8p with workload metadata unset (the node's metadata), not GKE_METADATA: its pods get the node's identity; 1 control plane(s) run there: mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system
#   disruptive: GKE recreates every node of the pool to apply this, draining and rescheduling its pods
gcloud container node-pools update legacy-pool '--cluster=spaces' '--location=us-central1' '--project=acme-prod' '--workload-metadata=GKE_METADATA'

# Step 3: bind Bucket/spaces-backups
#   fixes WI-GCP-007: backup-restore-sa@acme-prod.iam.gserviceaccount.com holds roles/storage.objectAdmin on projects/acme-prod (above the bucket): it grants storage.objects.create beyond the objects of one bucket, on every bucket there; used by mxp-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-system, mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system, mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system
gcloud storage buckets add-iam-policy-binding gs://spaces-backups '--member=serviceAccount:backup-restore-sa@acme-prod.iam.gserviceaccount.com' '--role=roles/storage.objectUser'

# Step 4: no-host-network Deployment/mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system/mxp-controller
#   fixes WI-GCP-002: pod mxp-controller-9c0d1e2f3a-z5k8p runs with hostNetwork: true, so its metadata requests reach the node's Compute Engine metadata server and it gets the node's identity, not backup-restore-sa@acme-prod.iam.gserviceaccount.com
kubectl patch '--namespace=mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system' '--type=json' '--patch=[{"op":"test","path":"/spec/template/spec/hostNetwork","value":true},{"op":"remove","path":"/spec/template/spec/hostNetwork"}]' -- deployment mxp-controller

# Step 5, withheld (needs --allow-narrowing): unbind GoogleServiceAccount/backup-restore-sa@acme-prod.iam.gserviceaccount.com
#   fixes WI-GCP-007: backup-restore-sa@acme-prod.iam.gserviceaccount.com holds roles/storage.objectAdmin on projects/acme-prod (above the bucket): it grants storage.objects.create beyond the objects of one bucket, on every bucket there; used by mxp-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-system, mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system, mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system
#   once the narrower grant above is in place: gcloud projects remove-iam-policy-binding acme-prod --member=serviceAccount:backup-restore-sa@acme-prod.iam.gserviceaccount.com --role=roles/storage.objectAdmin --condition=None (--allow-narrowing plans it)

# Step 6, withheld (needs --allow-deletion): delete-key GoogleServiceAccount/backup-restore-sa@acme-prod.iam.gserviceaccount.com
#   fixes WI-GCP-008: Google service account backup-restore-sa@acme-prod.iam.gserviceaccount.com has user-managed key 3f9a1c5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a, valid since 2026-09-14T09:30:00Z: a static credential that works without workload identity; the account serves 3 control plane(s): mxp-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-system, mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system, mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system
#   once nothing uses it any more, delete user-managed key 3f9a1c5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a of backup-restore-sa@acme-prod.iam.gserviceaccount.com (gcloud iam service-accounts keys delete 3f9a1c5e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a --iam-account=backup-restore-sa@acme-prod.iam.gserviceaccount.com; --allow-deletion plans it)
