#!/usr/bin/env bash
# A throwaway Kubernetes cluster on this machine, no Docker needed: the control plane from
# scripts/k8s-build-control-plane.sh, with kwok simulating two nodes (pods get scheduled
# and become ready, but no container runs). For trying the charts and the operator by hand.
#
#   scripts/k8s-dev-cluster.sh up      # create (or reuse) and print `export KUBECONFIG=...`
#   scripts/k8s-dev-cluster.sh down    # delete it
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${CLUSTER:-anjian-dev}"
bin="$("$repo/scripts/k8s-build-control-plane.sh")"
kube_version="$("$bin/kube-apiserver" --version | awk '{print $2}')"
export KWOK_WORKDIR="${KWOK_WORKDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/anjian/kwok}"
config="$KWOK_WORKDIR/$name.kwokctl.yaml"
kubeconfig="$KWOK_WORKDIR/clusters/$name/kubeconfig.yaml"

write_config() {
    mkdir -p "$KWOK_WORKDIR"
    # Local binaries only: kwokctl would otherwise download what it misses.
    cat >"$config" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeVersion: $kube_version
  bindAddress: 127.0.0.1
  kubeApiserverBinary: $bin/kube-apiserver
  kubeControllerManagerBinary: $bin/kube-controller-manager
  kubeSchedulerBinary: $bin/kube-scheduler
  kubectlBinary: $bin/kubectl
  etcdBinary: $bin/etcd
  kwokControllerBinary: $bin/kwok
YAML
}

case "${1:-up}" in
    up)
        if [[ ! -f "$kubeconfig" ]]; then
            write_config
            "$bin/kwokctl" --config "$config" --name "$name" create cluster --wait 60s \
                --kubeconfig "$KWOK_WORKDIR/merged-kubeconfig" >&2
            "$bin/kwokctl" --name "$name" scale node --replicas 2 >&2
        fi
        echo "export KUBECONFIG=$kubeconfig PATH=$bin:\$PATH"
        ;;
    down)
        "$bin/kwokctl" --name "$name" delete cluster >&2
        rm -f "$config"
        ;;
    *)
        echo "usage: $0 up|down" >&2
        exit 2
        ;;
esac
