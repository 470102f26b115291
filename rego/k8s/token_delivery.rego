# METADATA
# title: Identity token reaches the pod
# description: >-
#   The SDK reads the identity token from the file the injected environment
#   names (AWS_WEB_IDENTITY_TOKEN_FILE, AZURE_FEDERATED_TOKEN_FILE). A
#   projected service-account token with the audience the cloud exchanges
#   (sts.amazonaws.com, api://AzureADTokenExchange) must be mounted at that
#   path in the same container. Judged by audience and path, not by volume
#   name, which differs between webhook versions. Does not apply on GKE,
#   whose metadata server serves the identity without a token in the pod.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
#   - ref: https://docs.aws.amazon.com/eks/latest/userguide/pod-configuration.html
# custom:
#   id: WI-K8S-007
#   severity: medium
#   remediation: >-
#     Remove hand-written token volumes, mounts and token-file variables and
#     let the cloud's webhook project the token (restart the workload), or
#     mount a projected service-account token with the expected audience at
#     the path the variable names.
package wiscan.k8s.token_delivery

import data.wiscan.clouds
import data.wiscan.lib.k8s

# The variable naming the token file, per cloud that projects one.
token_env := {name: c.tokenEnv |
	some name, c in clouds
	object.get(c, "tokenEnv", "") != ""
}

# The token's audience, unless the cloud's audience annotation on the
# service account sets another on purpose.
expected_audience(c, t) := aud if {
	sa := k8s.service_account(t)
	aud := trim_space(sa.annotations[clouds[c].audienceAnnotation])
	aud != ""
} else := clouds[c].tokenAudience

# specs are the template and the pods, each with its resource.
specs(t) := array.concat(
	[{"resource": k8s.resource(d.kind, d), "spec": d.template, "what": "the pod template"} | d := k8s.workload(t)],
	[{"resource": k8s.resource("Pod", p), "spec": p.spec, "what": sprintf("pod %s", [p.name])} | some p in k8s.workload_pods(t)],
)

# token_files are the token paths a spec's containers name, with the
# container: only specs that name one are judged (a pod without the
# variable is WI-K8S-005's business).
token_files(spec, env) := {[ctr.name, clean(e.value)] |
	some ctr in spec.containers
	not object.get(ctr, "init", false)
	some e in ctr.env
	e.name == env
	object.get(e, "value", "") != ""
}

# audiences_at are the audiences of the projected tokens that container
# ctr sees at path file.
audiences_at(spec, name, file) := {tok.audience |
	some ctr in spec.containers
	ctr.name == name
	some m in ctr.mounts
	some v in spec.volumes
	v.name == m.volume
	some src in object.get(v, "projected", [])
	tok := src.serviceAccountToken
	location(m, tok.path) == file
}

# location is where a file of a volume at path p appears in the container
# through mount m, which may mount one file or folder of the volume
# (subPath) instead of all of it.
location(m, p) := clean(concat("/", [m.path, p])) if object.get(m, "subPath", "") == ""

location(m, p) := clean(m.path) if {
	sub := clean(object.get(m, "subPath", ""))
	sub != ""
	clean(p) == sub
}

location(m, p) := clean(concat("/", [m.path, trim_prefix(clean(p), concat("", [sub, "/"]))])) if {
	sub := clean(object.get(m, "subPath", ""))
	sub != ""
	startswith(clean(p), concat("", [sub, "/"]))
}

# clean drops repeated and trailing slashes and a leading "./".
clean(p) := trim_prefix(trim_right(regex.replace(p, "/+", "/"), "/"), "./")

deny contains f if {
	some t in k8s.targets
	c := k8s.cloud(t)
	env := token_env[c]
	want := expected_audience(c, t)
	some s in specs(t)
	some [container, file] in token_files(s.spec, env)
	got := audiences_at(s.spec, container, file)
	not want in got
	f := {
		"msg": message(s.what, container, env, file, got, want),
		"resource": s.resource,
		"key": sprintf("%s:%s", [container, file]),
		"evidence": {"container": container, "variable": env, "tokenFile": file, "audiences": sort(got), "expected": want},
		"profile": t.profile.name,
	}
}

message(what, container, env, file, got, want) := sprintf(
	"%s, container %s: %s names %s, but no projected service-account token is mounted there; the SDK cannot exchange a token for %s",
	[what, container, env, file, want],
) if {
	count(got) == 0
} else := sprintf(
	"%s, container %s: the token mounted at %s (named by %s) has audience %s, not %q",
	[what, container, file, env, concat(", ", [sprintf("%q", [a]) | some a in sort(got)]), want],
)

unknown contains u if {
	k8s.any_gap
	some t in k8s.targets
	k8s.cloud(t) in object.keys(token_env)
	u := k8s.unknown_result(["ServiceAccount", k8s.workload_kind(t), "Pod"], t, k8s.sa_resource(t))
}

# Why the control has nothing to check, when it has not.
not_applicable contains why if some why in k8s.cloud_not_applicable(object.keys(token_env))
