#!/usr/bin/env bash
# export-azure-evidence.sh OUT_DIR --resource-group GROUP --cluster NAME
#     [--subscription ID]... [--storage-account NAME]... [az flags...]
#
# Exports what wiscan's Azure controls read, with the Azure CLI alone, into
# OUT_DIR/az, beside what export-evidence.sh wrote into OUT_DIR, for
# `wiscan scan --evidence OUT_DIR`:
#   - the AKS cluster (az aks show);
#   - every user-assigned identity of each subscription in scope (the
#     --subscription ones, else the current one), wrapped as
#     {"subscription": ID, "identities": [...]}: a full listing is what
#     proves a client ID absent, since Azure has no lookup by client ID;
#   - for each identity the service accounts name (their
#     azure.workload.identity/client-id annotations in
#     OUT_DIR/serviceaccounts.json), in identities/<name>/: its federated
#     credentials ({"identity": ID, "federatedCredentials": [...]}), its
#     role assignments at every scope with its groups'
#     ({"assignee": principal, "includeGroups": true, "roleAssignments":
#     [...]}), its deny assignments ({"principalId": principal,
#     "denyAssignments": [...]}, through az rest: the CLI has no command for
#     them), and the definition of each role it is assigned;
#   - each backup storage account (the --storage-account ones, else those
#     the Spaces backup configurations in OUT_DIR name in
#     config.storage_account), in storage-accounts/<name>.json.
# Every call only reads, and asks for JSON (--output json). The wrappers
# are the --query of each call: what az prints is what wiscan reads.
#
# Needs az and jq. Exit status: 0 when everything was exported, 1 when some
# call failed (it is reported, and the rest is still exported), 2 on a
# usage error.
set -euo pipefail

usage='usage: export-azure-evidence.sh OUT_DIR --resource-group GROUP --cluster NAME [--subscription ID]... [--storage-account NAME]... [az flags...]'
out=${1:?$usage}
shift
group='' cluster=''
subs=() accounts=() az_args=()
while (($#)); do
  case $1 in
    --resource-group) group=${2:?--resource-group needs a name}; shift 2 ;;
    --cluster) cluster=${2:?--cluster needs a name}; shift 2 ;;
    --subscription) subs+=("${2:?--subscription needs an ID}"); shift 2 ;;
    --storage-account) accounts+=("${2:?--storage-account needs a name}"); shift 2 ;;
    *) az_args+=("$1"); shift ;;
  esac
done
[[ -n $group && -n $cluster ]] || { echo "export-azure-evidence: --resource-group and --cluster are required" >&2; exit 2; }
dir="$out/az"
mkdir -p "$dir"
status=0

# A value that goes into a --query literal or a path: IDs and names of
# Azure resources hold letters, digits and - _ . ( ) only; anything else
# is refused rather than quoted.
safe() {
  [[ $1 =~ ^[A-Za-z0-9._()-]+$ ]] || { printf 'export-azure-evidence: refusing %s: not an Azure name or ID\n' "$2" >&2; status=1; return 1; }
}

# call FILE az-arguments...: one az call into FILE, written only when it
# succeeds; a failure is reported and leaves no file.
call() {
  local file=$1 err
  shift
  mkdir -p "$(dirname "$file")"
  if err=$(az "$@" "${az_args[@]}" --output json 2>&1 >"$file.tmp"); then
    mv "$file.tmp" "$file"
    return 0
  fi
  rm -f "$file.tmp"
  printf 'export-azure-evidence: az %s: %s\n' "$*" "$(head -c 400 <<<"$err")" >&2
  status=1
  return 1
}

call "$dir/aks.json" aks show --resource-group "$group" --name "$cluster" || true

if ((${#subs[@]} == 0)); then
  if sub=$(az account show --query id --output tsv "${az_args[@]}" 2>/dev/null) && [[ -n $sub ]]; then
    subs=("$sub")
  else
    echo "export-azure-evidence: no --subscription, and az account show names none" >&2
    exit 1
  fi
fi
for s in "${subs[@]}"; do
  safe "$s" "subscription" || continue
  call "$dir/identities-$s.json" identity list --subscription "$s" --query "{subscription: '$s', identities: @}" || true
done

# The client IDs the service accounts name.
clients=$(
  if [[ -s $out/serviceaccounts.json ]]; then
    jq -r '(.items // [.])[] | .metadata.annotations["azure.workload.identity/client-id"] // empty' "$out/serviceaccounts.json" |
      tr 'A-F' 'a-f' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u
  fi
)

declare -A defined=()
for client in $clients; do
  safe "$client" "client ID" || continue
  found=
  for f in "$dir"/identities-*.json; do
    [[ -s $f ]] || continue
    found=$(jq -c --arg c "$client" '.identities[] | select((.clientId | ascii_downcase) == $c)' "$f" | head -n 1)
    [[ -n $found ]] && break
  done
  if [[ -z $found ]]; then
    printf 'export-azure-evidence: client ID %s: no identity in the subscriptions listed\n' "$client" >&2
    continue
  fi
  id=$(jq -r .id <<<"$found")
  name=$(jq -r .name <<<"$found")
  rg=$(jq -r .resourceGroup <<<"$found")
  principal=$(jq -r .principalId <<<"$found")
  sub=$(cut -d/ -f3 <<<"$id")
  if ! { safe "$name" "identity name" && safe "$rg" "resource group" && safe "$principal" "principal ID" && safe "$sub" "subscription"; }; then continue; fi
  idir="$dir/identities/$name"
  call "$idir/federated-credentials.json" identity federated-credential list --identity-name "$name" --resource-group "$rg" --subscription "$sub" \
    --query "{identity: '$id', federatedCredentials: @}" || true
  if call "$idir/role-assignments.json" role assignment list --assignee "$principal" --include-groups --include-inherited --all --subscription "$sub" \
    --query "{assignee: '$principal', includeGroups: \`true\`, roleAssignments: @}"; then
    for role in $(jq -r '.roleAssignments[].roleDefinitionId | split("/") | last' "$idir/role-assignments.json" | sort -u); do
      safe "$role" "role definition" || continue
      [[ -n ${defined[$role]:-} ]] && continue
      defined[$role]=1
      call "$dir/role-definitions/$role.json" role definition list --name "$role" --subscription "$sub" || true
    done
  fi
  call "$idir/deny-assignments.json" rest --method get \
    --url "/subscriptions/$sub/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01&\$filter=principalId%20eq%20'$principal'" \
    --query "{principalId: '$principal', denyAssignments: value}" || true
done

# The backup storage accounts.
if ((${#accounts[@]} == 0)); then
  for f in "$out"/sharedbackupconfigs.json "$out"/spacebackupconfigs.json; do
    [[ -s $f ]] || continue
    while IFS= read -r a; do accounts+=("$a"); done < <(jq -r '(.items // [.])[] | .spec.objectStorage.config // {} | (.storage_account // .storageAccount // empty)' "$f" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | sort -u)
  done
fi
for a in "${accounts[@]}"; do
  safe "$a" "storage account" || continue
  call "$dir/storage-accounts/$a.json" storage account show --name "$a" --subscription "${subs[0]}" || true
done
exit $status
