#!/usr/bin/env bash
# Lint both charts the way CI does: `helm lint --strict` with every example values file
# (helm validates the merged values against values.schema.json), the default values
# against the schema with check-jsonschema (examples are partial: they are checked merged,
# by helm), and `helm template` of every example.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
bin="$("$repo/scripts/k8s-build-control-plane.sh" --print-bin-dir)"
helm="$bin/helm"
if [[ ! -x "$helm" ]]; then
    helm="$(command -v helm || true)"
fi
if [[ -z "$helm" ]]; then
    echo "helm not found: run scripts/k8s-build-control-plane.sh" >&2
    exit 1
fi
# The workspace's own copy when the dev group has it, else a pinned one through uvx.
if uv run --frozen --quiet check-jsonschema --version >/dev/null 2>&1; then
    check_jsonschema=(uv run --frozen --quiet check-jsonschema)
else
    check_jsonschema=(uvx --quiet --from "check-jsonschema==0.39.0" check-jsonschema)
fi

for chart in "$here"/anjian "$here"/anjian-operator; do
    name="$(basename "$chart")"
    echo "== $name"
    "${check_jsonschema[@]}" --schemafile "$chart/values.schema.json" "$chart/values.yaml"
    for example in "$chart"/examples/*.yaml; do
        echo "-- $(basename "$example")"
        "$helm" lint --strict --quiet "$chart" -f "$example"
        "$helm" template lint-check "$chart" -f "$example" >/dev/null
    done
done
echo "charts OK"
