package wiscan.k8s.service_account_test

import data.wiscan.k8s.service_account as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

cases := {
	# The workload may be a StatefulSet: its template's account is checked.
	"statefulset under another account": {"o": fx.as_workload("StatefulSet", {"template_serviceAccount": "default"}), "want": {"deny": {fx.key_in("StatefulSet", "mxp-controller")}, "unknown": set()}},
	"statefulset under its account": {"o": fx.as_workload("StatefulSet", {}), "want": {"deny": set(), "unknown": set()}},
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# The chart was installed without the service account.
	"service account missing": {"o": {"serviceAccounts": {"default": fx.sa({})}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# The Deployment was patched to run as another account.
	"workload under another service account": {"o": {"template_serviceAccount": "default"}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"both broken": {"o": {"serviceAccounts": {}, "template_serviceAccount": "default"}, "want": {"deny": {fx.deployment_key, fx.sa_key}, "unknown": set()}},
	# Service accounts could not be listed: unknown, never a pass.
	"service accounts forbidden": {"o": {"serviceAccounts": {}, "errors": [{"collector": "kubernetes", "kind": "ServiceAccount", "reason": "forbidden", "message": "serviceaccounts is forbidden"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# A gap in another namespace does not affect this one.
	"gap elsewhere": {"o": {"errors": [{"collector": "kubernetes", "kind": "ServiceAccount", "namespace": "other", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": set()}},
}
