#!/bin/sh
# wiscan remediation plan for a scan of evidence ../../testdata/evidence/broken-space
# Read every step before running it: it changes the cluster (kubectl, the
# current context) and the cloud (the aws, az or gcloud CLI, the current
# credentials).
# 10 steps, 1 of them by hand or withheld (comments only); 0 failed findings without a step; 0 waived.
set -eux

# Step 1: trust-subject IAMRole/arn:aws:iam::123456789012:role/backup-restore-role
#   fixes WI-AWS-006: trust policy of role arn:aws:iam::123456789012:role/backup-restore-role (statement #1) does not admit control plane mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system (subject system:serviceaccount:mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system:mxp-controller); 1 of 2 control plane(s) using the role are not admitted
#   the whole trust policy, 612 of 2048 characters; what changes:
#     --- trust policy read
#     +++ trust policy planned
#     @@ -5,7 +5,10 @@
#            "Condition": {
#              "StringEquals": {
#                "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
#     -          "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system:mxp-controller"
#     +          "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": [
#     +            "system:serviceaccount:mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system:mxp-controller",
#     +            "system:serviceaccount:mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system:mxp-controller"
#     +          ]
#              }
#            },
#            "Effect": "Allow",
aws iam update-assume-role-policy '--role-name=backup-restore-role' '--policy-document={"Statement":[{"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud":"sts.amazonaws.com","oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub":["system:serviceaccount:mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system:mxp-controller","system:serviceaccount:mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system:mxp-controller"]}},"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}}],"Version":"2012-10-17"}'

# Step 2: grant IAMRole/arn:aws:iam::123456789012:role/backup-restore-role
#   fixes WI-AWS-008: role arn:aws:iam::123456789012:role/backup-restore-role lacks on bucket spaces-backups: s3:ListBucket on arn:aws:s3:::spaces-backups (granted only on arn:aws:s3:::spaces-backups/* by inline policy backup-restore statement "BackupObjects"; s3:ListBucket applies to the bucket ARN arn:aws:s3:::spaces-backups) (used by mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system, mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system)
aws iam put-role-policy '--role-name=backup-restore-role' '--policy-name=wiscan-required-access-9b8fe30a' '--policy-document={"Statement":[{"Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::spaces-backups"]}],"Version":"2012-10-17"}'

# Step 3: set-field SharedBackupConfig/default/default
#   fixes WI-K8S-013: SharedBackupConfig default: config.region " us-east-1" has surrounding white space
kubectl patch '--namespace=default' '--type=json' '--patch=[{"op":"test","path":"/spec/objectStorage/config/region","value":" us-east-1"},{"op":"replace","path":"/spec/objectStorage/config/region","value":"us-east-1"}]' -- sharedbackupconfigs.spaces.upbound.io default

# Step 4: rename-key ServiceAccount/mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system/mxp-controller
#   fixes WI-K8S-003: service account annotations has "eks.amazon.aws/role-arn", a misspelling of "eks.amazonaws.com/role-arn", which is ignored
#   fixes WI-K8S-002: service account mxp-controller has no aws workload-identity binding (annotation eks.amazonaws.com/role-arn or an EKS Pod Identity association)
kubectl patch '--namespace=mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system' '--type=json' '--patch=[{"from":"/metadata/annotations/eks.amazon.aws~1role-arn","op":"move","path":"/metadata/annotations/eks.amazonaws.com~1role-arn"}]' -- serviceaccount mxp-controller

# Step 5: annotate ServiceAccount/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/mxp-controller
#   fixes WI-K8S-004: annotation eks.amazonaws.com/role-arn value " arn:aws:iam::123456789012:role/backup-restore-role" has surrounding white space
kubectl patch '--namespace=mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system' '--type=json' '--patch=[{"op":"test","path":"/metadata/annotations/eks.amazonaws.com~1role-arn","value":" arn:aws:iam::123456789012:role/backup-restore-role"},{"op":"replace","path":"/metadata/annotations/eks.amazonaws.com~1role-arn","value":"arn:aws:iam::123456789012:role/backup-restore-role"}]' -- serviceaccount mxp-controller

# Step 6: restart Deployment/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/mxp-controller
#   fixes WI-K8S-005: pod mxp-controller-7d9f8b6c5d-m4n7r carries no AWS_ROLE_ARN but its service account declares " arn:aws:iam::123456789012:role/backup-restore-role": restart the workload
kubectl rollout restart '--namespace=mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system' -- deployment mxp-controller

# Step 7: restart Deployment/mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system/mxp-controller
#   fixes WI-K8S-003: service account annotations has "eks.amazon.aws/role-arn", a misspelling of "eks.amazonaws.com/role-arn", which is ignored (the restart that completes it)
#   fixes WI-K8S-002: service account mxp-controller has no aws workload-identity binding (annotation eks.amazonaws.com/role-arn or an EKS Pod Identity association) (the restart that completes it)
#   running pods keep the binding they started with: new ones pick up the change to ServiceAccount/mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system/mxp-controller
kubectl rollout restart '--namespace=mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system' -- deployment mxp-controller

# Step 8: use-identity SharedBackupConfig/default/default
#   fixes WI-K8S-012: SharedBackupConfig default takes credentials from source "Secret", not InjectedIdentity
#   only after the steps above have taken effect (wiscan apply scans again before it)
kubectl patch '--namespace=default' '--type=json' '--patch=[{"op":"test","path":"/spec/objectStorage/credentials/source","value":"Secret"},{"op":"replace","path":"/spec/objectStorage/credentials/source","value":"InjectedIdentity"},{"op":"remove","path":"/spec/objectStorage/credentials/secretRef"}]' -- sharedbackupconfigs.spaces.upbound.io default

# Step 9: remove-credentials Deployment/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/mxp-controller
#   fixes WI-K8S-011: Deployment mxp-controller reads static cloud credentials: container mxp-controller: env AWS_ACCESS_KEY_ID from Secret backup-creds key aws_access_key_id (aws-access-key)
#   only after the steps above have taken effect (wiscan apply scans again before it)
kubectl patch '--namespace=mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system' '--type=json' '--patch=[{"op":"test","path":"/spec/template/spec/containers/0/env/0/name","value":"AWS_ACCESS_KEY_ID"},{"op":"remove","path":"/spec/template/spec/containers/0/env/0"}]' -- deployment mxp-controller

# Step 10, withheld (needs --allow-deletion): delete-secret Secret/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/backup-creds
#   fixes WI-K8S-010: Secret backup-creds holds static cloud credentials: aws-access-key AKIA…MPLE in key "aws_access_key_id", aws-secret-key sha256:78314b11be2e in key "aws_secret_access_key", aws-shared-credentials AKIA…MPLE in key "credentials"
#   once nothing reads it, delete Secret/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/backup-creds (--allow-deletion plans it), then revoke the credential it held at the cloud provider
