# The GCP part of the bindings library. Not a control.
package wiscan.lib.bindings

import data.wiscan.lib.gcp

# An IAM binding that names a control plane's service account by its
# principal identifier (or the legacy member spelling) binds it on the
# cloud side, with no annotation.
cloud_side[t.namespace][t.profile.serviceAccount] contains b if {
	gcp.collected
	some t in gcp.targets
	some resource, pol in input.gcp.policies
	some binding in pol.bindings
	some m in binding.members
	m in {gcp.member(t), gcp.principal(t)}
	b := {"cloud": "gcp", "method": "gcp-principal", "what": "IAM principal-identifier binding", "id": sprintf("%s on %s", [binding.role, resource]), "identity": m}
}

# read holds the clouds whose cloud-side bindings were all read: for GCP,
# the policies of the buckets, the project and its ancestry.
read contains "gcp" if {
	gcp.collected
	input.gcp.ancestry != null
	every l in array.concat([sprintf("projects/%s", [gcp.project])], input.gcp.ancestry) {
		input.gcp.policies[l]
	}
	every t in gcp.targets {
		every b in gcp.profile_buckets(t.profile) {
			input.gcp.policies[sprintf("buckets/%s", [b])]
		}
	}
}

# elsewhere (GCP) are the buckets a profile's identity holds every needed
# permission on, while it holds none of them on the bucket its
# configuration names.
elsewhere contains e if {
	some key, us in gcp.uses_of
	some u in us
	a := gcp.access[gcp.storage_key(u.storage)][key]
	count([n | some n in a.needs; n.status == "missing"]) == count(a.needs)
	granted := {b |
		some name, _ in input.gcp.policies
		startswith(name, "buckets/")
		b := substring(name, 8, -1)
		b != u.storage.bucket
		gcp_granted(key, u, b)
	}
	count(granted) > 0
	e := {"profile": u.target.profile.name, "bucket": u.storage.bucket, "identity": u.identity.name, "granted": sort(granted)}
}

gcp_granted(key, u, b) if {
	a := wiscan.gcp.analyze_access({key: u.identity.subject}, {
		"bucket": b, "prefix": u.storage.prefix, "needs": u.storage.needs,
		"now": object.get(input, "collectedAt", ""), "gcp": input.gcp,
	})[key]
	count([n | some n in a.needs; n.status == "granted"]) == count(a.needs)
}
