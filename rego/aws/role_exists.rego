# METADATA
# title: IAM role exists
# description: >-
#   The IAM role that the service account's eks.amazonaws.com/role-arn
#   annotation or the EKS Pod Identity association names exists, in the
#   cluster's partition.
# related_resources:
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AWS-001
#   severity: high
#   remediation: >-
#     Create the role (aws iam create-role --role-name <name>
#     --assume-role-policy-document file://trust.json), or correct the role ARN
#     in the annotation or the Pod Identity association.
package wiscan.aws.role_exists

import data.wiscan.lib.aws

deny contains f if {
	some arn, _ in aws.uses
	input.aws.roles[arn].found == false
	ns := aws.namespaces(arn)
	f := {
		"msg": sprintf("role %s does not exist; %d control plane(s) use it: %s", [arn, count(ns), aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"key": "not-found",
		"evidence": {"role": arn, "namespaces": ns, "via": sort({u.via | some u in aws.uses[arn]})},
	}
}

deny contains f if {
	some arn, _ in aws.uses
	not regex.match(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`, arn)
	ns := aws.namespaces(arn)
	f := {
		"msg": sprintf("%q is not an IAM role ARN; %d control plane(s) use it: %s", [arn, count(ns), aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"key": "not-an-arn",
		"evidence": {"role": arn, "namespaces": ns},
	}
}

deny contains f if {
	some arn, _ in aws.uses
	input.aws
	p := aws.arn_part(arn, 1)
	p != aws.cluster_partition
	ns := aws.namespaces(arn)
	f := {
		"msg": sprintf("role %s is in partition %s, but the cluster is in %s: STS there cannot issue it; used by %s", [arn, p, aws.cluster_partition, aws.summary(ns)]),
		"resource": aws.role_resource(arn),
		"key": "partition",
		"evidence": {"role": arn, "partition": p, "clusterPartition": aws.cluster_partition, "namespaces": ns},
	}
}

unknown contains {"msg": msg, "resource": aws.role_resource(arn)} if {
	some arn, _ in aws.uses
	msg := aws.role_unknown(arn)
}

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.roles_not_applicable
