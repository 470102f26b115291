package wiscan.scan.collection_gaps_test

import data.wiscan.lib.fixtures as fx
import data.wiscan.scan.collection_gaps as control

cases := {
	"no gaps passes": {"o": {}, "want": 0},
	"forbidden list": {"o": {"errors": [{"collector": "kubernetes", "kind": "Secret", "reason": "forbidden", "message": "secrets is forbidden"}]}, "want": 1},
	# A malformed evidence file names the file.
	# A kind not read on purpose is no failure here.
	"not read on purpose": {"o": {"errors": [{"collector": "kubernetes", "kind": "Node", "reason": "not-read", "message": "cluster-scoped, not read in namespaced mode (--namespace)"}]}, "want": 0},
	"malformed file": {"o": {"errors": [{"collector": "evidence", "reason": "malformed", "message": "a.yaml:3: bad", "source": {"file": "a.yaml", "line": 3}}]}, "want": 1},
}

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := count(control.deny) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

test_file_resource if {
	some f in control.deny with input as fx.space({"errors": [{"collector": "evidence", "reason": "malformed", "message": "m", "source": {"file": "a.yaml", "line": 3}}]})
	f.resource == {"kind": "File", "namespace": "", "name": "a.yaml", "file": "a.yaml", "line": 3}
}

test_named_resource if {
	some f in control.deny with input as fx.space({"errors": [{"collector": "aws", "kind": "IAMRole", "name": "arn:aws:iam::123456789012:role/r", "reason": "forbidden", "message": "AccessDenied"}]})
	f.resource == {"kind": "IAMRole", "namespace": "", "name": "arn:aws:iam::123456789012:role/r"}
}
