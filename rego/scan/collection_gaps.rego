# METADATA
# title: Everything the controls need was collected
# description: >-
#   A collector could not read something a control needs (access denied,
#   timeout, an API that is off, a malformed or missing evidence file). The
#   controls that need it report unknown, never passed.
# related_resources:
#   - ref: https://github.com/wiscan/wiscan#permissions
# custom:
#   id: WI-SCAN-001
#   severity: high
#   remediation: >-
#     Grant the scanner the read-only access listed in the README (or export
#     the missing objects into the evidence directory), fix the file named,
#     and scan again.
package wiscan.scan.collection_gaps

deny contains f if {
	some e in input.errors
	e.reason != "not-read"
	f := {
		"msg": sprintf("%s: %s", [e.collector, e.message]),
		"resource": resource(e),
		"key": sprintf("%s:%s:%d", [e.collector, e.reason, object.get(object.get(e, "source", {}), "line", 0)]),
		"evidence": {"collector": e.collector, "reason": e.reason},
	}
}

# A kind left unread on purpose (reason not-read: a cluster-scoped kind in
# namespaced mode) is no collection failure; the controls that need it are
# unknown and say why.

# A gap in reading a kind names the kind; a gap in reading a file names
# the file.
resource(e) := {"kind": e.kind, "namespace": object.get(e, "namespace", ""), "name": name(e)} if e.kind

# A gap about one object (a role) names it; a gap about a kind says "*".
name(e) := e.name if object.get(e, "name", "") != ""

else := "*"

resource(e) := object.union({"kind": "File", "namespace": "", "name": e.source.file}, e.source) if not e.kind
