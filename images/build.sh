#!/usr/bin/env bash
# Build the Anjian image on a machine with Docker (BuildKit):
#   images/build.sh                        # anjian:dev
#   IMAGE=registry.example.org/anjian TAG=0.1.0 PUSH=1 images/build.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="${IMAGE:-anjian}"
tag="${TAG:-dev}"

"$repo/images/lint.sh"
DOCKER_BUILDKIT=1 docker build \
    --file "$repo/images/Dockerfile" \
    --tag "$image:$tag" \
    "$repo"
if [[ "${PUSH:-0}" == "1" ]]; then
    docker push "$image:$tag"
fi
echo "$image:$tag"
