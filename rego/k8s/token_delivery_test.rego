package wiscan.k8s.token_delivery_test

import data.wiscan.k8s.token_delivery as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.outcome(control.deny, control.unknown) with input as fx.space(c.o)
	got != c.want
}

test_cases if count(failures) == 0

wrong_aud := [{"name": "aws-iam-token", "projected": [{"serviceAccountToken": {"audience": "sts.amazonaws.com.cn", "path": "token"}}]}]

gcp := {"cloud": "gcp"}

gsa := {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com"}

cases := {
	"documented setup passes": {"o": {}, "want": {"deny": 0, "unknown": 0}},
	"wrong audience on the pod": {"o": {"pod_volumes": wrong_aud}, "want": {"deny": 1, "unknown": 0}},
	"wrong audience on template and pod": {"o": {"pod_volumes": wrong_aud, "template_volumes": wrong_aud}, "want": {"deny": 2, "unknown": 0}},
	# The service account may set another audience on purpose.
	"audience override honoured": {"o": {"sa_annotations": {"eks.amazonaws.com/role-arn": fx.role_arn, "eks.amazonaws.com/audience": "sts.amazonaws.com.cn"}, "pod_volumes": wrong_aud, "template_volumes": wrong_aud}, "want": {"deny": 0, "unknown": 0}},
	"gke automount default": {"o": {"profile": gcp, "sa_annotations": gsa}, "want": {"deny": 0, "unknown": 0}},
	"gke automount off on pod": {"o": {"profile": gcp, "sa_annotations": gsa, "pod_automount": false}, "want": {"deny": 1, "unknown": 0}},
	# The service account's setting applies when the pod does not set one.
	"gke automount off on service account": {"o": {"profile": gcp, "sa_annotations": gsa, "sa_automount": false}, "want": {"deny": 2, "unknown": 0}},
	"gke pod overrides service account": {"o": {"profile": gcp, "sa_annotations": gsa, "sa_automount": false, "pod_automount": true, "template_automount": true}, "want": {"deny": 0, "unknown": 0}},
	"pods forbidden": {"o": {"pods": {}, "errors": [{"collector": "kubernetes", "kind": "Pod", "reason": "forbidden", "message": "x"}]}, "want": {"deny": 0, "unknown": 1}},
}
