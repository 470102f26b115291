# METADATA
# title: Federated credential for each control plane
# description: >-
#   The identity holds a federated identity credential with the cluster's
#   exact issuer URL, the subject system:serviceaccount:<namespace>:<sa>
#   (case-sensitive) and the audience api://AzureADTokenExchange, for each
#   control plane. Following the documented steps for a second control plane
#   reuses the documented credential name, and creating a credential with an
#   existing name replaces it: the first control plane loses its credential.
# related_resources:
#   - ref: https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster#create-the-federated-identity-credential
#   - ref: https://docs.upbound.io/spaces/howtos/self-hosted/workload-id/backup-restore-config/
# custom:
#   id: WI-AZ-004
#   severity: critical
#   remediation: >-
#     Create a credential per control plane, each under its own name:
#     az identity federated-credential create --name <unique name>
#     --identity-name <identity> --resource-group <group> --issuer <issuer>
#     --subject system:serviceaccount:<namespace>:mxp-controller
#     --audiences api://AzureADTokenExchange.
package wiscan.azure.federated_credential

import data.wiscan.lib.azure
import data.wiscan.lib.k8s

deny contains f if {
	some t in azure.targets
	client := azure.client_id(t)
	i := azure.identity(client)
	creds := i.federatedCredentials
	creds != null
	issuer := azure.cluster.oidcIssuer
	issuer != ""
	sub := azure.subject(t)
	not matched(creds, issuer, sub)
	f := {
		"msg": message(t, i, creds, issuer, sub),
		"resource": k8s.sa_resource(t),
		"key": "federated-credential",
		"evidence": {"identity": i.id, "issuer": issuer, "subject": sub, "audience": azure.audience, "closest": closest(creds, issuer, sub), "credentials": count(creds)},
		"profile": t.profile.name,
		"fix": {"action": "federate", "kind": "ManagedIdentity", "name": i.id, "identity": i.id, "issuer": issuer, "subjects": [sub], "audience": azure.audience},
	}
}

matched(creds, issuer, sub) if {
	some c in creds
	c.issuer == issuer
	c.subject == sub
	azure.audience in c.audiences
}

# differences of a credential from the one wanted, in words.
differences(c, issuer, sub) := [d |
	some d in [issuer_diff(c.issuer, issuer), subject_diff(c.subject, sub), audience_diff(c.audiences)]
	d != ""
]

issuer_diff(got, want) := "" if got == want

else := sprintf("its issuer %s differs from the cluster's %s only by the trailing slash", [got, want]) if trim_right(got, "/") == trim_right(want, "/")

else := sprintf("its issuer is %s, not the cluster's %s", [got, want])

subject_diff(got, want) := "" if got == want

else := sprintf("its subject %s differs only in case (subjects are case-sensitive)", [got]) if lower(got) == lower(want)

else := sprintf("its subject is %s", [got])

audience_diff(auds) := "" if azure.audience in auds

else := sprintf("its audiences are [%s], not %s", [concat(", ", auds), azure.audience])

# closest is the credential with the fewest differences (ties by name).
closest(creds, _, _) := {} if count(creds) == 0

closest(creds, issuer, sub) := {"name": c.name, "differences": ds} if {
	ranked := sort([[count(differences(c, issuer, sub)), c.name] | some c in creds])
	some c in creds
	c.name == ranked[0][1]
	ds := differences(c, issuer, sub)
}

message(t, i, creds, _, _) := sprintf("identity %s has no federated credential: control plane %s cannot exchange its token", [i.name, t.namespace]) if {
	count(creds) == 0
}

message(t, i, creds, issuer, sub) := concat("", [
	sprintf("no federated credential of identity %s matches control plane %s (issuer %s, subject %s, audience %s): the closest, %s, %s", [i.name, t.namespace, issuer, sub, azure.audience, cl.name, concat("; ", cl.differences)]),
	overwritten(creds, t),
]) if {
	count(creds) > 0
	cl := closest(creds, issuer, sub)
}

# overwritten explains the documented name reused for another control
# plane, when the names suggest it.
overwritten(creds, t) := sprintf("; credential %s, the documented name, holds control plane %s's subject: following the documented steps for a second control plane replaces the first one's credential, so give each control plane a credential of its own name", [azure.documented_credential, other]) if {
	some c in creds
	c.name == azure.documented_credential
	parts := split(c.subject, ":")
	count(parts) == 4
	other := parts[2]
	other != t.namespace
} else := ""

unknown contains {"msg": msg, "resource": k8s.sa_resource(t)} if {
	some t in azure.targets
	client := azure.client_id(t)
	msg := why_unknown(client)
}

why_unknown(client) := msg if {
	msg := azure.identity_unknown(client)
} else := "the identity's federated credentials were not read" if azure.identity(client).federatedCredentials == null

else := azure.cluster_unknown if azure.identity(client)

else := "the AKS cluster's OIDC issuer URL is not known (the issuer is off, WI-AZ-001)" if {
	azure.identity(client)
	object.get(azure.cluster, "oidcIssuer", "") == ""
}

unknown contains u if some u in azure.unread_targets

not_applicable contains why if some why in azure.identities_not_applicable
