# The AWS part of the bindings library. Not a control.
package wiscan.lib.bindings

import data.wiscan.lib.aws
import data.wiscan.lib.k8s

# An EKS Pod Identity association binds a service account on the cloud
# side.
cloud_side[t.namespace][t.profile.serviceAccount] contains b if {
	some t in k8s.targets
	a := aws.association(t)
	b := {"cloud": "aws", "method": "pod-identity", "what": "EKS Pod Identity association", "id": a.id, "identity": a.roleArn}
}

# read holds the clouds whose cloud-side bindings were all read.
read contains "aws" if aws.associations_known

# elsewhere are the buckets a profile's identity is granted while it
# reaches none of the four permissions it needs on a bucket it was
# analysed for.
elsewhere contains e if {
	some arn, us in aws.uses
	some u in us
	some bucket, access in aws.analysis[arn].access
	count(access.missing) == count(access.required)
	count(access.buckets) > 0
	not bucket in access.buckets
	e := {"profile": u.profile, "bucket": bucket, "identity": arn, "granted": access.buckets}
}
