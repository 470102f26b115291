package wiscan.azure.workload_identity_test

import data.wiscan.azure.workload_identity as control
import data.wiscan.lib.fixtures as fx

failures contains {"case": name, "got": got, "want": c.want} if {
	some name, c in cases
	got := fx.results(control.deny, control.unknown) with input as c.input
	got != c.want
}

test_cases if count(failures) == 0

cluster(o) := object.union(fx.azure({}).cluster, o)

cases := {
	"documented setup passes": {"input": fx.space_azure({}), "want": {"deny": set(), "unknown": set()}},
	"workload identity disabled": {"input": fx.space_azure({"az_cluster": cluster({"workloadIdentityEnabled": false})}), "want": {"deny": {fx.az_cluster_key}, "unknown": set()}},
	# An answer without the flag: the issuer is not on.
	"securityProfile.workloadIdentity absent": {"input": fx.space_azure({"az_cluster": cluster({"workloadIdentityEnabled": null})}), "want": {"deny": {fx.az_cluster_key}, "unknown": set()}},
	"cluster not read": {"input": object.union(fx.space(fx.azure_k8s({})), {"azure": object.remove(fx.azure({}), ["cluster"])}), "want": {"deny": set(), "unknown": {"AKSCluster /aks"}}},
	"azure not collected": {"input": fx.space(fx.azure_k8s({})), "want": {"deny": set(), "unknown": {"AKSCluster /aks"}}},
	"no azure target": {"input": fx.space({}), "want": {"deny": set(), "unknown": set()}},
}

# The message names the cluster and the state.
test_message if {
	[f] := [f | some f in control.deny] with input as fx.space_azure({"az_cluster": cluster({"workloadIdentityEnabled": null})})
	f.msg == "AKS cluster spaces has workload identity disabled (securityProfile.workloadIdentity absent): pods get no token or client ID injected"
}
