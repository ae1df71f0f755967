#!/usr/bin/env bash
# Build a real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl), etcd, kwok/kwokctl and helm from the Go module proxy
# into a cache keyed by version, so tests can run against a real API server on a
# machine without Docker. Skips whatever is already cached.
#
#   scripts/k8s-build-control-plane.sh          # build (or reuse) and print the bin dir
#   scripts/k8s-build-control-plane.sh --print-bin-dir   # only print where it goes
#   ANJIAN_K8S_CACHE=/some/dir scripts/k8s-build-control-plane.sh
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.0}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"

cache_root="${ANJIAN_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anjian/k8s}"
key="${KUBE_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}-helm${HELM_VERSION}"
out="$cache_root/$key"
bin="$out/bin"
if [[ "${1:-}" == "--print-bin-dir" ]]; then
    echo "$bin"
    exit 0
fi
mkdir -p "$bin"

log() { printf '[k8s-build] %s\n' "$*" >&2; }

have() {
    local name
    for name in "$@"; do
        [[ -x "$bin/$name" ]] || return 1
    done
}

# The staging modules (k8s.io/api, k8s.io/apiserver, ...) are replaced by local
# paths in k8s.io/kubernetes's go.mod, which Go ignores for a dependency; the
# wrapper pins every one of them to the matching v0.x.y tag instead.
build_kubernetes() {
    have kube-apiserver kube-controller-manager kube-scheduler kubectl && return
    local work="$out/src/kubernetes" staging="v0.${KUBE_VERSION#v1.}"
    rm -rf "$work" && mkdir -p "$work" && cd "$work"

    go mod init anjian.local/k8s-control-plane >/dev/null 2>&1
    local mod
    mod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$mod" | while read -r m; do
        # Sample modules are not published; nothing the binaries import needs them.
        case "$m" in k8s.io/sample-*) continue ;; esac
        go mod edit -replace "$m=$m@$staging"
    done
    # Pin the rest of the build list exactly as upstream tested it.
    go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION"
    local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
    for c in "${cmds[@]}"; do
        go get -tool "k8s.io/kubernetes/cmd/$c@$KUBE_VERSION"
    done

    local commit date ver_pkgs ldflags="-s -w"
    commit="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" \
        | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1)"
    date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    local major minor
    major="${KUBE_VERSION#v}"; major="${major%%.*}"
    minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
    ver_pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
    for p in "${ver_pkgs[@]}"; do
        ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
        ldflags+=" -X $p.gitCommit=${commit:-unknown} -X $p.gitTreeState=clean -X $p.buildDate=$date"
    done

    log "building kubernetes $KUBE_VERSION (${cmds[*]}): this takes a while on a cold cache"
    local pkgs=()
    for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    CGO_ENABLED=0 go build -trimpath -tags providerless -ldflags "$ldflags" -o "$bin/" "${pkgs[@]}"
}

# etcd's main lives in the server module's etcdmain package; a three-line main
# calls it so the binary is built from go.etcd.io/etcd/server/v3 itself.
build_etcd() {
    have etcd && return
    local work="$out/src/etcd"
    rm -rf "$work" && mkdir -p "$work" && cd "$work"
    go mod init anjian.local/etcd >/dev/null 2>&1
    cat >main.go <<'GO'
// Command etcd runs the etcd server from go.etcd.io/etcd/server/v3.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod tidy
    log "building etcd $ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .
}

build_kwok() {
    have kwok kwokctl && return
    log "building kwok $KWOK_VERSION"
    CGO_ENABLED=0 GOBIN="$bin" go install -trimpath -ldflags "-s -w" \
        "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_helm() {
    have helm && return
    local major="${HELM_VERSION%%.*}"
    # Without this flag helm reports only its minor version (v4.3).
    local ver="-X helm.sh/helm/$major/internal/version.version=$HELM_VERSION"
    log "building helm $HELM_VERSION"
    CGO_ENABLED=0 GOBIN="$bin" go install -trimpath -ldflags "-s -w $ver" \
        "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
}

main() {
    build_etcd
    build_kwok
    build_helm
    build_kubernetes
    rm -rf "$out/src"
    echo "$bin"
}

main "$@"
