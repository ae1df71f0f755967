#!/usr/bin/env bash
# Run the end-to-end suite against a kind cluster (`make e2e-kind`). Needs Docker.
#
#   1. create the kind cluster (kept if it exists), build the image and load it
#   2. install PostgreSQL and NATS (e2e/kind/infra.yaml) and the operator chart
#   3. create two Prefectures, 530100 and 530300, and wait until both are Ready; give each
#      gateway a partner token for its public credit page (the operator mints none)
#   4. port-forward each tenant's gateway and hazard service, run `pytest e2e -m e2e`
#   5. on failure, collect logs, events and objects into build/e2e-kind/
#
# KEEP_CLUSTER=1 leaves the cluster running afterwards; CLUSTER names it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster="${CLUSTER:-anjian-e2e}"
image="anjian"
tag="e2e"
kind_version="${KIND_VERSION:-v0.32.0}"
logs="$repo/build/e2e-kind"
tenants=(530100 530300)
declare -A prefecture=([530100]=kunming [530300]=qujing)
forwards=()

log() { printf '[e2e-kind] %s\n' "$*" >&2; }

tools() {
    command -v docker >/dev/null || { log "docker is required"; exit 1; }
    docker info >/dev/null 2>&1 || { log "docker is installed but its daemon is not running"; exit 1; }
    # kubectl and helm come from our own build (Go module proxy), kind from `go install`.
    local bin
    bin="$("$repo/scripts/k8s-build-control-plane.sh" --print-bin-dir)"
    if [[ ! -x "$bin/kubectl" || ! -x "$bin/helm" ]]; then
        "$repo/scripts/k8s-build-control-plane.sh" >/dev/null
    fi
    export PATH="$bin:$PATH"
    if ! command -v kind >/dev/null; then
        GOBIN="$bin" go install "sigs.k8s.io/kind@$kind_version"
    fi
}

create_cluster() {
    if kind get clusters | grep -qx "$cluster"; then
        log "reusing kind cluster $cluster"
    else
        kind create cluster --name "$cluster" --config "$repo/e2e/kind/cluster.yaml" --wait 120s
    fi
    kubectl config use-context "kind-$cluster" >/dev/null
}

build_image() {
    IMAGE="$image" TAG="$tag" "$repo/images/build.sh"
    kind load docker-image "$image:$tag" --name "$cluster"
}

random() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

install_infra() {
    kubectl apply -f "$repo/e2e/kind/namespace.yaml"
    # Secrets are made once and kept, so re-running against a kept cluster works.
    if ! kubectl -n anjian-system get secret anjian-e2e-infra >/dev/null 2>&1; then
        kubectl -n anjian-system create secret generic anjian-e2e-infra \
            --from-literal=postgres-password="$(random)" \
            --from-literal=nats-system-password="$(random)" \
            --from-literal=token-secret="$(random)$(random)"
    fi
    if ! kubectl -n anjian-system get secret anjian-nats-accounts >/dev/null 2>&1; then
        kubectl -n anjian-system create secret generic anjian-nats-accounts \
            --from-literal=accounts.conf=
    fi
    kubectl apply -f "$repo/e2e/kind/infra.yaml"
    kubectl -n anjian-system rollout status statefulset/postgresql --timeout=180s
    kubectl -n anjian-system rollout status statefulset/nats --timeout=180s
}

secret() {
    kubectl -n anjian-system get secret anjian-e2e-infra -o "jsonpath={.data.$1}" | base64 -d
}

install_operator() {
    local pg
    pg="$(secret postgres-password)"
    if ! kubectl -n anjian-system get secret anjian-operator-admin >/dev/null 2>&1; then
        kubectl -n anjian-system create secret generic anjian-operator-admin \
            --from-literal=url="postgresql://postgres:$pg@postgresql.anjian-system:5432/postgres"
        kubectl -n anjian-system create secret generic anjian-operator-nats \
            --from-literal=password="$(secret nats-system-password)"
        kubectl -n anjian-system create secret generic anjian-token \
            --from-literal=secret="$(secret token-secret)"
    fi
    helm upgrade --install anjian-operator "$repo/charts/anjian-operator" \
        --namespace anjian-system --wait --timeout 180s \
        --set image.repository="$image" --set image.tag="$tag" --set image.pullPolicy=Never \
        --set tenantImage.repository="$image" --set tenantImage.tag="$tag" \
        --set tenantImage.pullPolicy=Never \
        --set database.adminSecret=anjian-operator-admin \
        --set database.host=postgresql.anjian-system:5432 \
        --set nats.url=nats://nats.anjian-system:4222 \
        --set nats.systemSecret=anjian-operator-nats \
        --set auth.existingSecret=anjian-token
}

create_tenants() {
    kubectl apply -f "$repo/e2e/kind/prefectures.yaml"
    local code
    for code in "${tenants[@]}"; do
        kubectl wait "prefecture/${prefecture[$code]}" --for=condition=Ready --timeout=600s
    done
}

# The operator names Secret anjian-public-tokens in each tenant's release but leaves it to
# whoever runs the tenant; the gateway reads it at start-up, hence the restart.
public_tokens() {
    local code ns token
    for code in "${tenants[@]}"; do
        ns="anjian-$code"
        token="$(ANJIAN_TOKEN_SECRET="$(secret token-secret)" uv run --frozen anjian token \
            --role partner --tenant "$code" --subject public-credit-query --hours 24)"
        kubectl -n "$ns" create secret generic anjian-public-tokens \
            --from-literal=tokens="{\"$code\": \"$token\"}" --dry-run=client -o yaml |
            kubectl apply -f -
        kubectl -n "$ns" rollout restart deployment/anjian-gateway
        kubectl -n "$ns" rollout status deployment/anjian-gateway --timeout=180s
    done
}

port_forward() {
    local namespace="$1" target="$2" local_port="$3" remote_port="$4"
    kubectl -n "$namespace" port-forward "$target" "$local_port:$remote_port" \
        >"$logs/port-forward-$namespace-${target##*/}.log" 2>&1 &
    forwards+=("$!")
}

stop_forwards() {
    local pid
    for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done
}

collect_logs() {
    log "collecting diagnostics into $logs"
    kubectl get prefectures -o yaml >"$logs/prefectures.yaml" 2>&1 || true
    kubectl get all,secrets,networkpolicies,resourcequotas -A -o wide >"$logs/objects.txt" 2>&1 || true
    kubectl get events -A --sort-by=.lastTimestamp >"$logs/events.txt" 2>&1 || true
    local ns pod
    for ns in anjian-system $(printf 'anjian-%s ' "${tenants[@]}"); do
        for pod in $(kubectl -n "$ns" get pods -o name 2>/dev/null); do
            kubectl -n "$ns" logs "$pod" --all-containers --prefix >"$logs/$ns-${pod#pod/}.log" 2>&1 || true
            kubectl -n "$ns" logs "$pod" --all-containers --previous \
                >"$logs/$ns-${pod#pod/}.previous.log" 2>/dev/null || true
        done
    done
}

finish() {
    local status=$?
    stop_forwards
    if [[ $status -ne 0 ]]; then
        collect_logs
        log "failed; diagnostics in $logs"
    fi
    if [[ "${KEEP_CLUSTER:-0}" != "1" ]]; then
        kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
    fi
    exit "$status"
}

main() {
    rm -rf "$logs" && mkdir -p "$logs"
    tools
    trap finish EXIT
    create_cluster
    build_image
    install_infra
    install_operator
    create_tenants
    public_tokens

    # Tenant i gets gateway 18080+i, hazard 15051+i and credit 16051+i on 127.0.0.1.
    local i=0 endpoints="{" code ns
    for code in "${tenants[@]}"; do
        ns="anjian-$code"
        port_forward "$ns" svc/anjian-gateway $((18080 + i)) 8080
        port_forward "$ns" svc/anjian-hazard $((15051 + i)) 50051
        port_forward "$ns" svc/anjian-credit $((16051 + i)) 50051
        endpoints+="\"$code\": {\"gateway\": \"http://127.0.0.1:$((18080 + i))\","
        endpoints+=" \"hazard\": \"127.0.0.1:$((15051 + i))\","
        endpoints+=" \"credit\": \"127.0.0.1:$((16051 + i))\"},"
        i=$((i + 1))
    done
    endpoints="${endpoints%,}}"
    sleep 3

    log "running the e2e suite against $endpoints"
    # Limitation: the cluster's clock runs in real time, so journeys that wait out a deadline skip.
    ANJIAN_E2E_TARGET=kind \
    ANJIAN_E2E_ENDPOINTS="$endpoints" \
    ANJIAN_E2E_TOKEN_SECRET="$(secret token-secret)" \
        uv run --frozen pytest "$repo/e2e" -m e2e "$@"
}

main "$@"
