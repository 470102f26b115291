# METADATA
# description: >-
#   What the clouds' libraries tell the Kubernetes controls: bindings made on
#   the cloud side (not on the service account), whether they were read, and
#   buckets an identity is granted instead of the one configured. Each cloud
#   adds its own file to this package; the Kubernetes controls read this
#   package and the clouds table, and import no cloud library. Not a control.
package wiscan.lib.bindings

# of is the set of cloud-side bindings of target t (cloud_side[namespace]
# [service account]): objects with the cloud, method, id and identity of
# each, and what names it in a message.
of(t) := object.get(cloud_side, [t.namespace, t.profile.serviceAccount], set())
