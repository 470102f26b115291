package wiscan.k8s.identity_value_format_test

import data.wiscan.k8s.identity_value_format as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

# White space alone is trimmed by the fix; a value of the wrong shape gets
# none, since no right value can be read from it.
fix_failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in fix_cases
	got := {f.fix | some f in control.deny; f.fix} with input as fx.space(c.o)
	got != c.want
}

test_fix_cases if count(fix_failures) == 0

fix_cases := {
	"leading space": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": concat("", [" ", fx.role_arn])}}, "want": {{"action": "annotate", "kind": "ServiceAccount", "namespace": fx.ns, "name": "mxp-controller", "key": "eks.amazonaws.com/role-arn", "value": fx.role_arn}}},
	"trailing newline": {"o": {"sa_annotations": {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com\n"}}, "want": {{"action": "annotate", "kind": "ServiceAccount", "namespace": fx.ns, "name": "mxp-controller", "key": "iam.gke.io/gcp-service-account", "value": "backup-restore-sa@my-project.iam.gserviceaccount.com"}}},
	"space around a bare role name": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": " backup-restore-role"}}, "want": set()},
	"bare role name": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "backup-restore-role"}}, "want": set()},
}

cases := {
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	"role arn with path passes": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/spaces/backup-restore-role"}}, "want": {"deny": set(), "unknown": set()}},
	"china partition passes": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws-cn:iam::123456789012:role/backup"}}, "want": {"deny": set(), "unknown": set()}},
	# A role name where the ARN belongs.
	"bare role name": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "backup-restore-role"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"short account id": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::12345678901:role/backup"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"user arn": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:user/backup"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	# helm --set "...= ${ARN}" leaves a leading space.
	"leading space": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": concat("", [" ", fx.role_arn])}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"azure guid passes": {"o": {"sa_annotations": {"azure.workload.identity/client-id": "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"}}, "want": {"deny": set(), "unknown": set()}},
	"azure not a guid": {"o": {"sa_annotations": {"azure.workload.identity/client-id": "backup-restore-identity"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"gsa email passes": {"o": {"sa_annotations": {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com"}}, "want": {"deny": set(), "unknown": set()}},
	"gsa without domain": {"o": {"sa_annotations": {"iam.gke.io/gcp-service-account": "backup-restore-sa"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"gsa trailing newline": {"o": {"sa_annotations": {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com\n"}}, "want": {"deny": {fx.sa_key}, "unknown": set()}},
	"service accounts forbidden": {"o": {"serviceAccounts": {}, "errors": [{"collector": "kubernetes", "kind": "ServiceAccount", "reason": "forbidden", "message": "serviceaccounts is forbidden"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}
