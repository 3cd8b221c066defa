# Pinned versions of the real control plane built by test/cluster/build, and where the binaries live.
# Sourced by build, up and down (bash).
K8S_VERSION=1.36.3          # k8s.io/kubernetes
K8S_STAGING_VERSION=0.36.3  # k8s.io/<staging module> published tags paired with K8S_VERSION
ETCD_VERSION=3.6.14         # go.etcd.io/etcd/server/v3
KWOK_VERSION=0.8.0          # sigs.k8s.io/kwok

CLUSTER_VERSIONS_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
CLUSTER_CACHE_ROOT="${FLATDECK_CLUSTER_CACHE:-$HOME/.cache/flatdeck-cluster}"
CLUSTER_BIN_DIR="$CLUSTER_CACHE_ROOT/$CLUSTER_VERSIONS_KEY/bin"
CLUSTER_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)
