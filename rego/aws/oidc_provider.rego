# METADATA
# title: Cluster OIDC issuer registered in IAM
# description: >-
#   IRSA needs the EKS cluster's OIDC issuer registered as an IAM OIDC
#   identity provider in the role's account, with the client ID (audience)
#   sts.amazonaws.com.
# related_resources:
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html
# custom:
#   id: WI-AWS-002
#   severity: high
#   remediation: >-
#     eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve,
#     or aws iam add-client-id-to-open-id-connect-provider
#     --open-id-connect-provider-arn <arn> --client-id sts.amazonaws.com.
package wiscan.aws.oidc_provider

import data.wiscan.lib.aws

# accounts are the accounts of the roles used through IRSA.
accounts[acct] contains arn if {
	some arn, _ in aws.uses
	count(aws.via(arn, "irsa")) > 0
	acct := aws.arn_part(arn, 4)
}

provider(acct) := sprintf("arn:%s:iam::%s:oidc-provider/%s", [aws.cluster_partition, acct, issuer_or_any])

issuer_or_any := aws.issuer if aws.issuer != ""

else := "*"

resource(acct) := object.union(
	{"kind": "IAMOIDCProvider", "name": provider(acct)},
	object.get(object.get(input.aws.oidcProviders, provider(acct), {}), "source", {}),
)

known(acct) if {
	input.aws
	aws.issuer != ""
	count(aws.gap_messages("IAMOIDCProvider", "")) == 0
	acct == input.aws.account
}

known(acct) if input.aws.oidcProviders[provider(acct)]

deny contains f if {
	some acct, roles in accounts
	known(acct)
	not input.aws.oidcProviders[provider(acct)]
	f := {
		"msg": sprintf("the cluster's OIDC issuer %s is not an IAM OIDC provider in account %s (roles %s)", [aws.issuer, acct, aws.summary(sort(roles))]),
		"resource": resource(acct),
		"key": "missing",
		"evidence": {"issuer": aws.issuer, "account": acct, "roles": sort(roles), "providers": object.keys(input.aws.oidcProviders)},
	}
}

deny contains f if {
	some acct, roles in accounts
	p := input.aws.oidcProviders[provider(acct)]
	is_array(p.clientIds)
	not "sts.amazonaws.com" in p.clientIds
	f := {
		"msg": sprintf("IAM OIDC provider %s lacks client ID sts.amazonaws.com (has %v)", [provider(acct), object.get(p, "clientIds", [])]),
		"resource": resource(acct),
		"key": "client-id",
		"evidence": {"provider": provider(acct), "clientIds": object.get(p, "clientIds", []), "roles": sort(roles)},
	}
}

# The provider is listed but its client IDs were not read.
unknown contains u if {
	some acct, _ in accounts
	p := input.aws.oidcProviders[provider(acct)]
	not is_array(object.get(p, "clientIds", null))
	u := {
		"msg": sprintf("the client IDs of IAM OIDC provider %s were not collected: add aws iam get-open-id-connect-provider to the evidence", [provider(acct)]),
		"resource": resource(acct),
		"key": "client-ids-unread",
	}
}

unknown contains {"msg": msg, "resource": {"kind": "IAMOIDCProvider", "name": name}, "key": "provider-unread"} if {
	some acct, _ in accounts
	not known(acct)
	name := provider(acct)
	msg := why(acct)
}

why(acct) := aws.not_collected_msg if {
	not input.aws
} else := msg if {
	aws.issuer == ""
	msg := aws.reasons(aws.gap_messages("EKSCluster", ""), "the EKS cluster's OIDC issuer is not known: pass --cluster-name, or add aws eks describe-cluster to the evidence")
} else := msg if {
	gaps := aws.gap_messages("IAMOIDCProvider", "")
	count(gaps) > 0
	msg := concat("; ", gaps)
} else := sprintf("the OIDC providers of account %s were not collected (the scan's credentials are in account %s)", [acct, input.aws.account])

# Without the service account, the role a target uses is not known.
unknown contains u if some u in aws.unread_targets

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in aws.irsa_not_applicable
