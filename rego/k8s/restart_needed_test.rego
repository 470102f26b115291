package wiscan.k8s.restart_needed_test

import data.wiscan.k8s.restart_needed as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as build(c)
	got != c.want
}

test_cases if count(failures) == 0

other_role := "arn:aws:iam::123456789012:role/old-role"

gcp := {"cloud": "gcp"}

gsa := {"iam.gke.io/gcp-service-account": "backup-restore-sa@my-project.iam.gserviceaccount.com"}

pod_identity_env := [{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials", "hasValue": true}]

build(c) := fx.space_aws(c.o) if c.aws

else := fx.space(c.o)

# A CronJob's pods are tied to it through their Job; its fix starts a Job
# from it, since a CronJob has no rollout.
test_cronjob_fix if {
	fs := control.deny with input as fx.space(fx.as_workload("CronJob", {"pod_env": []}))
	[f] := [f | some f in fs]
	f.resource.kind == "CronJob"
	f.fix == {"action": "restart", "kind": "CronJob", "namespace": fx.ns, "name": "mxp-controller", "command": sprintf("kubectl create job --from=cronjob/mxp-controller mxp-controller-rebound -n %s", [fx.ns])}
}

test_statefulset_fix if {
	fs := control.deny with input as fx.space(fx.as_workload("StatefulSet", {"pod_env": []}))
	[f] := [f | some f in fs]
	f.fix.command == sprintf("kubectl rollout restart statefulset mxp-controller -n %s", [fx.ns])
}

cases := {
	# A pod of another workload kind counts as the workload's; one of a
	# Deployment does not count for a CronJob profile.
	"cronjob pod without injected role": {"o": fx.as_workload("CronJob", {"pod_env": []}), "want": {"deny": {fx.key_in("CronJob", "mxp-controller")}, "unknown": set()}},
	"deployment pod under a cronjob profile": {"o": object.union(fx.as_workload("CronJob", {"pod_env": []}), {"pod_workload": {"kind": "Deployment", "name": "mxp-controller"}}), "want": {"deny": set(), "unknown": set()}},
	# Without the Jobs, a CronJob's pods cannot be tied to it.
	"cronjob, jobs unreadable": {"o": fx.as_workload("CronJob", {"errors": [{"collector": "kubernetes", "kind": "Job", "reason": "forbidden", "message": "jobs is forbidden"}]}), "want": {"deny": set(), "unknown": {fx.sa_key}}},
	# Pod Identity: pods started after the association carry its variable.
	"pod identity injected": {"o": object.union(fx.pod_identity, {"pod_env": pod_identity_env, "template_env": []}), "aws": true, "want": {"deny": set(), "unknown": set()}},
	"pod started before the association": {"o": object.union(fx.pod_identity, {"pod_env": [], "template_env": []}), "aws": true, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"documented setup passes": {"o": {}, "want": {"deny": set(), "unknown": set()}},
	# A profile that says GCP over an IRSA-annotated service account is
	# WI-K8S-002's one finding: no restart brings the GCP identity.
	"irsa annotation under a gcp profile": {"o": {"profile": gcp, "pod_env": []}, "want": {"deny": set(), "unknown": set()}},
	# With the cloud unknown, every cloud's injection is judged.
	"cloud unknown, role not injected": {"o": {"cloud": "", "pod_env": []}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	# Annotated after the pod started: no injected role at all.
	"pod without injected role": {"o": {"pod_env": []}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	# The role changed; the pod still has the old one.
	"pod with old role": {"o": {"pod_env": [{"name": "AWS_ROLE_ARN", "value": other_role, "hasValue": true}]}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	# The binding was removed; the pod still carries it.
	"binding removed, pod still bound": {"o": {"sa_annotations": {}}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"no binding, no injection": {"o": {"sa_annotations": {}, "pod_env": []}, "want": {"deny": set(), "unknown": set()}},
	# The resolver names Azure from the annotation.
	"azure injected": {"o": {"cloud": "azure", "sa_annotations": {"azure.workload.identity/client-id": "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"}, "pod_env": [{"name": "AZURE_CLIENT_ID", "value": "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e", "hasValue": true}]}, "want": {"deny": set(), "unknown": set()}},
	"azure not injected": {"o": {"cloud": "azure", "sa_annotations": {"azure.workload.identity/client-id": "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"}, "pod_env": []}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"gke pod newer than binding": {"o": {"profile": gcp, "sa_annotations": gsa, "pod_env": []}, "want": {"deny": set(), "unknown": set()}},
	# The pod started before the service account last changed.
	"gke pod older than binding": {"o": {"profile": gcp, "sa_annotations": gsa, "pod_env": [], "pod_createdAt": "2026-10-01T00:00:00Z"}, "want": {"deny": {fx.deployment_key}, "unknown": set()}},
	"gke change time unknown": {"o": {"profile": gcp, "sa_annotations": gsa, "pod_env": [], "sa_updatedAt": null}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
	"pods forbidden": {"o": {"pods": {}, "errors": [{"collector": "kubernetes", "kind": "Pod", "reason": "forbidden", "message": "x"}]}, "want": {"deny": set(), "unknown": {fx.sa_key}}},
}

# One finding per workload and reason, naming every pod; the keys the pod
# findings had before are kept as formerly, so that old waivers and
# baselines still match.
test_one_finding_per_workload if {
	second := object.union(fx.pod({"pod_env": []}), {"name": "mxp-controller-7d9f8b6c5d-b8c9d"})
	two := fx.space({"pod_env": [], "pods": {"mxp-controller-7d9f8b6c5d-x2x4z": fx.pod({"pod_env": []}), "mxp-controller-7d9f8b6c5d-b8c9d": second}})
	[f] := [f | some f in control.deny] with input as two
	f.key == "stale:AWS_ROLE_ARN"
	f.evidence.pods == ["mxp-controller-7d9f8b6c5d-b8c9d", "mxp-controller-7d9f8b6c5d-x2x4z"]
	startswith(f.msg, "pod mxp-controller-7d9f8b6c5d-b8c9d carries no AWS_ROLE_ARN but its service account declares")
	endswith(f.msg, ": restart the workload")
	{x.resource.name | some x in f.formerly} == {"mxp-controller-7d9f8b6c5d-b8c9d", "mxp-controller-7d9f8b6c5d-x2x4z"}
	{x.key | some x in f.formerly} == {"stale:AWS_ROLE_ARN"}
}
