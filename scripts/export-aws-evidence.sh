#!/usr/bin/env bash
# export-aws-evidence.sh OUT_DIR --cluster NAME [--bucket BUCKET]... [aws flags...]
#
# Exports what wiscan's AWS controls read, with the AWS CLI alone, into
# OUT_DIR/aws, beside what export-evidence.sh wrote into OUT_DIR, for
# `wiscan scan --evidence OUT_DIR`:
#   - the caller identity, the EKS cluster, its Pod Identity associations
#     (each described, for its role), the IAM OIDC providers and the
#     cluster's provider with its client IDs;
#   - each IAM role the cluster names (the service accounts'
#     eks.amazonaws.com/role-arn annotations in OUT_DIR/serviceaccounts.json,
#     and the associations' roles), in roles/<role name>/: the role, its
#     inline policies, its attached policies and, in policies/<policy name>/,
#     each managed policy (and permissions boundary) with its default
#     version;
#   - each backup bucket's policy in buckets/<bucket>/policy.json, written as
#     {"Policy": null} when the bucket has none, so that "none" is told from
#     "not exported". The buckets are the --bucket ones, else those the
#     Spaces backup configurations in OUT_DIR name.
# These are the calls wiscan's live collector makes, and need the same
# read-only permissions (see the README). Every command asks for JSON
# (--output json), which is what wiscan reads.
#
# Needs aws and jq. Exit status: 0 when everything was exported, 1 when some
# call failed (it is reported, and the rest is still exported).
set -euo pipefail
# AWS CLI v2 pages long output through less unless told not to.
export AWS_PAGER=""

out=${1:?usage: export-aws-evidence.sh OUT_DIR --cluster NAME [--bucket BUCKET]... [aws flags...]}
shift
cluster=
buckets=()
aws_args=()
while (($#)); do
  case $1 in
    --cluster) cluster=${2:?--cluster needs a name}; shift 2 ;;
    --bucket) buckets+=("${2:?--bucket needs a name}"); shift 2 ;;
    *) aws_args+=("$1"); shift ;;
  esac
done
[[ -n $cluster ]] || { echo "export-aws-evidence: --cluster NAME is required" >&2; exit 2; }
dir="$out/aws"
mkdir -p "$dir"
status=0

# call FILE aws-arguments...: one AWS CLI call into FILE, written only when
# it succeeds; a failure is reported and leaves no file.
call() {
  local file=$1 err
  shift
  mkdir -p "$(dirname "$file")"
  if err=$(aws "${aws_args[@]}" "$@" --output json 2>&1 >"$file.tmp"); then
    mv "$file.tmp" "$file"
    return 0
  fi
  rm -f "$file.tmp"
  printf 'export-aws-evidence: aws %s: %s\n' "$*" "$(head -c 400 <<<"$err")" >&2
  status=1
  return 1
}

call "$dir/caller-identity.json" sts get-caller-identity || true
call "$dir/cluster.json" eks describe-cluster --name "$cluster" || true
if call "$dir/pod-identity-associations.json" eks list-pod-identity-associations --cluster-name "$cluster"; then
  for id in $(jq -r '.associations[].associationId' "$dir/pod-identity-associations.json"); do
    call "$dir/associations/$id.json" eks describe-pod-identity-association --cluster-name "$cluster" --association-id "$id" || true
  done
fi
call "$dir/oidc-providers.json" iam list-open-id-connect-providers || true
if [[ -s $dir/cluster.json && -s $dir/caller-identity.json ]]; then
  issuer=$(jq -r '.cluster.identity.oidc.issuer // empty' "$dir/cluster.json")
  account=$(jq -r '.Account' "$dir/caller-identity.json")
  partition=$(jq -r '.Arn | split(":")[1]' "$dir/caller-identity.json")
  if [[ -n $issuer ]]; then
    call "$dir/oidc-provider.json" iam get-open-id-connect-provider \
      --open-id-connect-provider-arn "arn:$partition:iam::$account:oidc-provider/${issuer#https://}" || true
  fi
fi

# The roles the cluster names.
roles=$(
  {
    if [[ -s $out/serviceaccounts.json ]]; then
      jq -r '(.items // [.])[] | .metadata.annotations["eks.amazonaws.com/role-arn"] // empty' "$out/serviceaccounts.json"
    fi
    for f in "$dir"/associations/*.json; do
      [[ -s $f ]] && jq -r '.association.roleArn // empty' "$f"
    done
  } | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -E '^arn:[^:]+:iam::[0-9]{12}:role/' | sort -u || true
)

# managed ARN: a managed policy and its default version, once.
declare -A exported=()
managed() {
  local arn=$1 name version
  [[ -n ${exported[$arn]:-} ]] && return 0
  exported[$arn]=1
  name=${arn##*/}
  call "$dir/policies/$name/policy.json" iam get-policy --policy-arn "$arn" || return 0
  version=$(jq -r '.Policy.DefaultVersionId' "$dir/policies/$name/policy.json")
  call "$dir/policies/$name/version.json" iam get-policy-version --policy-arn "$arn" --version-id "$version" || true
}

for arn in $roles; do
  role=${arn##*/}
  rdir="$dir/roles/$role"
  call "$rdir/role.json" iam get-role --role-name "$role" || continue
  if call "$rdir/inline.json" iam list-role-policies --role-name "$role"; then
    for p in $(jq -r '.PolicyNames[]' "$rdir/inline.json"); do
      call "$rdir/inline-$p.json" iam get-role-policy --role-name "$role" --policy-name "$p" || true
    done
  fi
  if call "$rdir/attached.json" iam list-attached-role-policies --role-name "$role"; then
    for p in $(jq -r '.AttachedPolicies[].PolicyArn' "$rdir/attached.json"); do
      managed "$p"
    done
  fi
  boundary=$(jq -r '.Role.PermissionsBoundary.PermissionsBoundaryArn // empty' "$rdir/role.json")
  if [[ -n $boundary ]]; then managed "$boundary"; fi
done

# The backup buckets' policies.
if ((${#buckets[@]} == 0)); then
  for f in "$out"/sharedbackupconfigs.json "$out"/spacebackupconfigs.json; do
    [[ -s $f ]] || continue
    while IFS= read -r b; do buckets+=("$b"); done < <(jq -r '(.items // [.])[] | .spec.objectStorage.bucket // empty' "$f" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u)
  done
fi
for b in "${buckets[@]}"; do
  mkdir -p "$dir/buckets/$b"
  if err=$(aws "${aws_args[@]}" s3api get-bucket-policy --bucket "$b" --output json 2>&1 >"$dir/buckets/$b/policy.json.tmp"); then
    mv "$dir/buckets/$b/policy.json.tmp" "$dir/buckets/$b/policy.json"
  elif grep -q NoSuchBucketPolicy <<<"$err"; then
    rm -f "$dir/buckets/$b/policy.json.tmp"
    echo '{"Policy": null}' >"$dir/buckets/$b/policy.json"
  else
    rm -f "$dir/buckets/$b/policy.json.tmp"
    printf 'export-aws-evidence: bucket %s: %s\n' "$b" "$(head -c 400 <<<"$err")" >&2
    status=1
  fi
done
exit $status
