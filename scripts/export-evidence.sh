#!/usr/bin/env bash
# export-evidence.sh OUT_DIR [kubectl flags...]
#
# Exports what wiscan's Kubernetes controls read, with kubectl alone, into
# OUT_DIR for `wiscan scan --evidence OUT_DIR`. For auditors who may run
# kubectl but not wiscan next to the cluster; where wiscan can run, prefer
# `wiscan collect -o json=snapshot.json`, which never writes a value.
#
# No secret value reaches the disk:
#   - every Secret value becomes wiscan:redacted:<kind>:<fingerprint>, the
#     kind being what the value looks like (an AWS key pair, a shared
#     credentials file, a service-account key, a connection string) and the
#     fingerprint the one wiscan computes (a SHA-256 prefix, or an access key
#     ID's first and last four characters); wiscan judges such a value by
#     its kind and its key's name;
#   - environment values in pods and pod templates become the same, except
#     the variables whose value the controls compare (role ARN, token file,
#     region, client ID, ...), listed below as in wiscan's PublicEnv;
#   - kubectl.kubernetes.io/last-applied-configuration annotations, which
#     repeat values, are dropped from every object, and so are the fields
#     of managedFields (each manager's time stays: it tells when the object
#     last changed).
# Values pass through pipes and shell variables only, never through a
# command's arguments.
#
# One kubectl call per kind: a kind that cannot be read (forbidden, a
# Spaces CRD the cluster does not serve) is reported and leaves no file, and
# the others are still exported. Needs kubectl, jq, base64 and sha256sum.
# Exit status: 0 when every kind was exported, 1 when some could not be.
set -euo pipefail

out=${1:?usage: export-evidence.sh OUT_DIR [kubectl flags such as --context]}
shift
kubectl_args=("$@")
mkdir -p "$out"
status=0
# The replacements (placeholders only, never a value) for one kind.
patches="$out/.patches"

# The variables whose literal value the controls read (wiscan's PublicEnv).
public_env='["AWS_ROLE_ARN","AWS_WEB_IDENTITY_TOKEN_FILE","AWS_REGION","AWS_DEFAULT_REGION","AWS_STS_REGIONAL_ENDPOINTS","AWS_CONTAINER_CREDENTIALS_FULL_URI","AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE","AZURE_CLIENT_ID","AZURE_TENANT_ID","AZURE_FEDERATED_TOKEN_FILE","AZURE_AUTHORITY_HOST","GOOGLE_APPLICATION_CREDENTIALS","GOOGLE_CLOUD_PROJECT","CLOUDSDK_CORE_PROJECT"]'

# Each value to replace, one per line: its path (JSON), the value in
# base64, and whether the replacement goes back base64-encoded (Secret
# data) or as text.
find_values='
  paths(type == "string") as $p
  | ($p | length) as $n
  | if $n >= 3 and ($p[$n-2] == "data" or $p[$n-2] == "stringData")
       and ((getpath($p[:$n-2]) | .kind? // "") == "Secret")
    then [($p | tojson), (if $p[$n-2] == "data" then getpath($p) else (getpath($p) | @base64) end),
          (if $p[$n-2] == "data" then "base64" else "text" end)]
    elif $n >= 3 and $p[$n-1] == "value" and $p[$n-3] == "env"
       and ((getpath($p[:$n-1]).name? // "") as $name | $public | index($name) | not)
    then [($p | tojson), (getpath($p) | @base64), "text"]
    else empty end
  | @tsv'

# Drops what repeats values: last-applied-configuration, and the fields
# of managedFields (each manager's time stays: it tells when the object
# last changed).
strip='
  walk(if type == "object" and (.metadata? | type) == "object"
       then .metadata |= (if (.managedFields | type) == "array"
              then .managedFields |= map({manager, operation, apiVersion, time})
              else . end
            | if (.annotations | type) == "object"
              then .annotations |= del(.["kubectl.kubernetes.io/last-applied-configuration"])
              else . end)
       else . end)'

# placeholder reads a value in base64 on stdin and prints what stands for
# it: wiscan:redacted:<kind or ->:<fingerprint>.
placeholder() {
  local v kind=- fp
  v=$(base64 -d 2>/dev/null || true)
  # wiscan fingerprints the value without surrounding white space.
  v="${v#"${v%%[![:space:]]*}"}"
  v="${v%"${v##*[![:space:]]}"}"
  fp="sha256:$(printf '%s' "$v" | sha256sum | cut -c1-12)"
  shopt -s nocasematch
  if [[ $v == *aws_access_key_id* || $v == *aws_secret_access_key* ]]; then
    kind=aws-shared-credentials
    if [[ $v =~ (AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16} ]]; then fp="${BASH_REMATCH[0]:0:4}…${BASH_REMATCH[0]: -4}"; fi
  elif [[ $v =~ ^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}$ ]]; then
    kind=aws-access-key
    fp="${v:0:4}…${v: -4}"
  elif [[ $v == *'"private_key"'* && $v == *'"client_email"'* ]]; then
    kind=gcp-service-account-key
  elif [[ $v =~ (^|;)[[:space:]]*(AccountKey|SharedAccessSignature)[[:space:]]*= ]]; then
    kind=azure-connection-string
  elif [[ $v =~ (^|[?\&])sig= && $v =~ (^|[?\&])sv=[0-9]{4}-[0-9]{2}-[0-9]{2} ]]; then
    kind=azure-sas-token
  fi
  shopt -u nocasematch
  printf 'wiscan:redacted:%s:%s' "$kind" "$fp"
}

# redact reads kubectl's JSON on stdin and prints it with every value above
# replaced and the repeating metadata dropped. Here-strings are avoided:
# bash may back them with a temporary file.
redact() {
  local doc
  doc=$(cat)
  printf '%s' "$doc" | jq -r --argjson public "$public_env" "$find_values" |
    while IFS=$'\t' read -r path b64 encoding; do
      p=$(printf '%s' "$b64" | placeholder)
      if [[ $encoding == base64 ]]; then p=$(printf '%s' "$p" | base64 -w0); fi
      printf '{"path":%s,"value":"%s"}\n' "$path" "$p"
    done >"$patches"
  printf '%s' "$doc" | jq --slurpfile patches "$patches" 'reduce $patches[] as $x (.; setpath($x.path; $x.value))' | jq "$strip"
  rm -f "$patches"
}

# export_kind FILE RESOURCE [kubectl get flags]: one kind into FILE.json,
# written only when complete.
export_kind() {
  local file="$out/$1.json" resource=$2
  shift 2
  local err
  if ! err=$(kubectl "${kubectl_args[@]}" get "$resource" "$@" -o json 2>&1 >"$file.tmp" | head -c 400); then :; fi
  if [[ -s $file.tmp ]] && jq -e . "$file.tmp" >/dev/null 2>&1; then
    redact <"$file.tmp" >"$file.redacted" && mv "$file.redacted" "$file"
    rm -f "$file.tmp"
    echo "exported $resource" >&2
  else
    rm -f "$file.tmp" "$file.redacted"
    echo "export-evidence: $resource not exported: ${err:-no output}" >&2
    status=1
  fi
}

export_kind namespaces namespaces
export_kind serviceaccounts serviceaccounts --all-namespaces --show-managed-fields
export_kind deployments deployments --all-namespaces
export_kind pods pods --all-namespaces
export_kind secrets secrets --all-namespaces
# The nodes tell which GKE node pool a pod runs on (WI-GCP-002); a cluster
# on another cloud needs none, so a refusal is reported but does not fail
# the export.
before=$status
export_kind nodes nodes
status=$before
# The other workload kinds a profile may name: their pods are tied to them
# through the owner chain (a CronJob's through its Jobs).
for kind in statefulsets daemonsets jobs cronjobs; do
  export_kind "$kind" "$kind" --all-namespaces
done

# Which Spaces kinds the cluster serves, as the live scan reads it:
# discovery of the group's versions, or an empty list when the group is
# not served at all.
discovery="$out/spaces-discovery.json"
if group=$(kubectl "${kubectl_args[@]}" get --raw /apis/spaces.upbound.io 2>&1); then
  {
    echo '['
    sep=
    for v in $(jq -r '.versions[].version' <<<"$group"); do
      printf '%s' "$sep"
      kubectl "${kubectl_args[@]}" get --raw "/apis/spaces.upbound.io/$v"
      sep=,
    done
    echo ']'
  } >"$discovery.tmp" && jq -e . "$discovery.tmp" >/dev/null && mv "$discovery.tmp" "$discovery" || {
    rm -f "$discovery.tmp"
    echo "export-evidence: Spaces discovery not exported" >&2
    status=1
  }
elif grep -q NotFound <<<"$group"; then
  echo '[{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "spaces.upbound.io", "resources": []}]' >"$discovery"
else
  echo "export-evidence: Spaces discovery not exported: $(head -c 400 <<<"$group")" >&2
  status=1
fi

# The Spaces kinds, each on its own: a cluster serves some, all or none.
served=$(kubectl "${kubectl_args[@]}" api-resources --api-group=spaces.upbound.io -o name 2>/dev/null || true)
for kind in sharedbackupconfigs spacebackupconfigs controlplanes; do
  if grep -qx "$kind.spaces.upbound.io" <<<"$served"; then
    export_kind "$kind" "$kind.spaces.upbound.io" --all-namespaces
  else
    echo "export-evidence: $kind: not served by this cluster, nothing to export" >&2
  fi
done
exit $status
