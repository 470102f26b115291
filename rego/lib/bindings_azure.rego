# The Azure part of the bindings library. Not a control.
package wiscan.lib.bindings

import data.wiscan.lib.azure

# elsewhere (Azure) are the storage scopes a profile's identity holds
# every needed data action on, while it holds none of them on the backup
# container its configuration names.
elsewhere contains e if {
	some client, ts in azure.uses
	i := azure.identity(client)
	some s in azure.storages[client]
	a := azure.analysis(client, s)
	count([n | some n in a.needs; n.status == "missing"]) == count(a.needs)
	count(a.elsewhere) > 0
	some t in ts
	e := {"profile": t.profile.name, "bucket": s.container, "identity": i.name, "granted": a.elsewhere}
}
