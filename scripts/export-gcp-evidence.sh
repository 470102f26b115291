#!/usr/bin/env bash
# export-gcp-evidence.sh OUT_DIR --project ID --location LOCATION --cluster NAME
#     [--account EMAIL]... [--bucket NAME]... [gcloud flags...]
#
# Exports what wiscan's GCP controls read, with the Google Cloud CLI alone,
# into OUT_DIR/gcloud, beside what export-evidence.sh wrote into OUT_DIR,
# for `wiscan scan --evidence OUT_DIR`:
#   - the GKE cluster (its workload pool) and its node pools (their
#     workload metadata mode);
#   - the project (its number, which principal identifiers name), its
#     ancestry, and the IAM policies of the project, its folders and its
#     organization;
#   - the deny policies of each of those, listed and read one by one,
#     wrapped as {"attachmentPoint": ..., "denyPolicies": [...]}: the full
#     list is what proves there are no others;
#   - each Google service account the service accounts name (their
#     iam.gke.io/gcp-service-account annotations in
#     OUT_DIR/serviceaccounts.json, else --account): the account, its IAM
#     policy, and its user-managed keys as metadata, wrapped as
#     {"iamAccount": EMAIL, "keys": [...]} (an empty list proves none);
#   - each backup bucket's IAM policy (--bucket, else the buckets of the
#     GCP backup configurations in OUT_DIR);
#   - the custom roles those policies grant.
# gcloud prints an IAM policy without naming its resource, so each is
# written to a file named after it (iam-policy.<kind>.<name>.json), which
# is how wiscan pairs them.
# Every call only reads, and asks for JSON (--format=json).
#
# Needs gcloud and jq. Exit status: 0 when everything was exported, 1 when
# some call failed (it is reported, and the rest is still exported), 2 on
# a usage error.
set -euo pipefail

usage='usage: export-gcp-evidence.sh OUT_DIR --project ID --location LOCATION --cluster NAME [--account EMAIL]... [--bucket NAME]... [gcloud flags...]'
out=${1:?$usage}
shift
project='' location='' cluster=''
accounts=() buckets=() gc_args=()
while (($#)); do
  case $1 in
    --project) project=${2:?--project needs an ID}; shift 2 ;;
    --location) location=${2:?--location needs a region or zone}; shift 2 ;;
    --cluster) cluster=${2:?--cluster needs a name}; shift 2 ;;
    --account) accounts+=("${2:?--account needs an e-mail}"); shift 2 ;;
    --bucket) buckets+=("${2:?--bucket needs a name}"); shift 2 ;;
    *) gc_args+=("$1"); shift ;;
  esac
done
[[ -n $project && -n $location && -n $cluster ]] || { echo "export-gcp-evidence: --project, --location and --cluster are required" >&2; exit 2; }
dir="$out/gcloud"
mkdir -p "$dir"
status=0

# A value that goes into a file name or an argument: GCP's project IDs,
# locations, cluster, bucket and role names, numeric IDs and service
# account e-mails hold letters, digits and - _ . @ only (a role's name
# also /); anything else is refused rather than quoted.
safe() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._@/-]*$ && $1 != *..* ]] || { printf 'export-gcp-evidence: refusing %s: not a GCP name\n' "$2" >&2; status=1; return 1; }
}

# call FILE gcloud-arguments...: one gcloud call into FILE, written only
# when it succeeds; a failure is reported and leaves no file.
call() {
  local file=$1 err
  shift
  mkdir -p "$(dirname "$file")"
  if err=$(gcloud "$@" "${gc_args[@]}" --format=json 2>&1 >"$file.tmp"); then
    mv "$file.tmp" "$file"
    return 0
  fi
  rm -f "$file.tmp"
  printf 'export-gcp-evidence: gcloud %s: %s\n' "$*" "$(head -c 400 <<<"$err")" >&2
  status=1
  return 1
}

for v in "$project" "$location" "$cluster"; do safe "$v" "$v" || exit 2; done

call "$dir/cluster.json" container clusters describe "$cluster" --location="$location" --project="$project" || true
call "$dir/node-pools.json" container node-pools list --cluster="$cluster" --location="$location" --project="$project" || true
call "$dir/project.json" projects describe "$project" || true
call "$dir/iam-policy.project.$project.json" projects get-iam-policy "$project" || true

# The ancestry, nearest first: each folder's and the organization's
# policies.
points=("projects/$project")
if call "$dir/ancestors.json" projects get-ancestors "$project"; then
  while IFS=$'\t' read -r type id; do
    safe "$id" "$type ID" || continue
    case $type in
      folder)
        call "$dir/iam-policy.folder.$id.json" resource-manager folders get-iam-policy "$id" || true
        points+=("folders/$id") ;;
      organization)
        call "$dir/iam-policy.organization.$id.json" organizations get-iam-policy "$id" || true
        points+=("organizations/$id") ;;
    esac
  done < <(jq -r '.[] | select(.type != "project") | [.type, (.id | tostring)] | @tsv' "$dir/ancestors.json")
fi

# The deny policies of each attachment point: listed, then each read with
# its rules, then wrapped; written only when every read succeeded.
for point in "${points[@]}"; do
  attach="cloudresourcemanager.googleapis.com%2F${point//\//%2F}"
  file="$dir/deny-policies.${point/\//.}.json"
  list="$file.list"
  call "$list" iam policies list --attachment-point="$attach" --kind=denypolicies || continue
  ok=1
  : >"$file.parts"
  for name in $(jq -r '.[].name | split("/") | last' "$list"); do
    safe "$name" "deny policy" || { ok=; continue; }
    if call "$file.part" iam policies get "$name" --attachment-point="$attach" --kind=denypolicies; then
      cat "$file.part" >>"$file.parts"
    else
      ok=
    fi
  done
  if [[ -n $ok ]]; then
    jq -s --arg p "cloudresourcemanager.googleapis.com/$point" '{attachmentPoint: $p, denyPolicies: .}' "$file.parts" >"$file"
  fi
  rm -f "$list" "$file.part" "$file.parts"
done

# The Google service accounts the service accounts name.
if ((${#accounts[@]} == 0)) && [[ -s $out/serviceaccounts.json ]]; then
  while IFS= read -r a; do accounts+=("$a"); done < <(
    jq -r '(.items // [.])[] | .metadata.annotations["iam.gke.io/gcp-service-account"] // empty' "$out/serviceaccounts.json" |
      tr '[:upper:]' '[:lower:]' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u)
fi
for a in "${accounts[@]}"; do
  safe "$a" "service account" || continue
  call "$dir/service-account.$a.json" iam service-accounts describe "$a" || continue
  call "$dir/iam-policy.service-account.$a.json" iam service-accounts get-iam-policy "$a" || true
  if call "$dir/keys.$a.json.tmp" iam service-accounts keys list --iam-account="$a" --managed-by=user; then
    jq --arg a "$a" '{iamAccount: $a, keys: .}' "$dir/keys.$a.json.tmp" >"$dir/keys.$a.json"
  fi
  rm -f "$dir/keys.$a.json.tmp"
done

# The backup buckets.
if ((${#buckets[@]} == 0)); then
  for f in "$out"/sharedbackupconfigs.json "$out"/spacebackupconfigs.json; do
    [[ -s $f ]] || continue
    while IFS= read -r b; do buckets+=("$b"); done < <(
      jq -r '(.items // [.])[] | .spec.objectStorage | select((.provider // "" | ascii_downcase | gsub("\\s"; "")) == "gcp") | .bucket // empty' "$f" |
        sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u)
  done
fi
for b in "${buckets[@]}"; do
  safe "$b" "bucket" || continue
  call "$dir/iam-policy.bucket.$b.json" storage buckets get-iam-policy "gs://$b" || true
done

# The custom roles the policies grant.
for role in $(cat "$dir"/iam-policy.*.json 2>/dev/null | jq -r '.bindings[]?.role | select(test("^(projects|organizations)/[^/]+/roles/"))' | sort -u); do
  safe "$role" "role" || continue
  IFS=/ read -r kind parent _ id <<<"$role"
  scope=--project="$parent"
  [[ $kind == organizations ]] && scope=--organization="$parent"
  call "$dir/roles/${role//\//.}.json" iam roles describe "$id" "$scope" || true
done
exit $status
