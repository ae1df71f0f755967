# Every target a developer or CI needs; `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# A fresh machine may have only python3 and pip: `setup` then installs uv with pip, and a
# pip-installed uv is reachable as `python3 -m uv` even where its script is not on PATH.
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PYTEST_ARGS ?=
GRPCURL_VERSION := v1.9.4
PROTO_DEPS := build/proto-deps

.PHONY: help setup proto proto-check proto-deps lint test run up bench e2e e2e-kind \
	images charts-lint k8s-tools grpcurl clean

help: ## list the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

setup: ## install uv if missing, then every workspace package and dev tool into .venv
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv
	@if [ -f uv.lock ]; then $(UV) sync --all-packages --frozen; \
		else $(UV) sync --all-packages; fi

proto: setup ## regenerate services/contracts from proto/
	$(UV) run python scripts/gen_proto.py

proto-check: setup ## fail if services/contracts is not what proto/ generates
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/services/contracts/src"; cp -r proto scripts "$$tmp/"; \
	$(UV) run python "$$tmp/scripts/gen_proto.py"; \
	diff -rq --exclude=__pycache__ "$$tmp/services/contracts/src/anjian" \
		services/contracts/src/anjian \
		|| { echo "services/contracts is stale: run 'make proto' and commit it" >&2; exit 1; }

proto-deps: setup ## copy the googleapis protos we import into build/proto-deps for buf
	@googleapis=$$($(UV) run python -c \
		'import google.type.date_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])'); \
	rm -rf $(PROTO_DEPS); mkdir -p $(PROTO_DEPS); \
	cd "$$googleapis" && find google/type google/rpc google/api -name '*.proto' \
		-exec cp --parents {} $(CURDIR)/$(PROTO_DEPS) \;

lint: setup proto-deps ## ruff check and format, buf lint, mypy --strict on every hand-written package
	$(UV) run ruff check
	$(UV) run ruff format --check
	$(UV) run buf lint
	$(UV) run mypy

test: setup ## run the unit and integration tests (real PostgreSQL and NATS from wheels)
	$(UV) run pytest $(PYTEST_ARGS)

run: setup ## start the whole stack with demo data
	$(UV) run anjian demo

up: setup ## start the whole stack on this machine
	$(UV) run anjian up

bench: setup ## measure hazard reporting throughput and latency
	$(UV) run python bench/report_hazard.py

e2e: setup ## run the end-to-end suite against the local stack
	$(UV) run pytest e2e -m e2e

e2e-kind: setup ## run the end-to-end suite against a kind cluster (needs Docker)
	./e2e/kind.sh

images: ## build the container images
	bash images/build.sh

charts-lint: ## lint the Helm charts and test the values schema
	bash charts/lint.sh

k8s-tools: ## build kube-apiserver, etcd, kwok, kubectl and helm from the Go module proxy (cached)
	bash scripts/k8s-build-control-plane.sh

grpcurl: bin/grpcurl ## install grpcurl into ./bin (needs Go)

bin/grpcurl:
	GOBIN=$(CURDIR)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

clean: ## remove build output, ./bin and tool caches (keeps .venv and local stack data)
	rm -rf build bin .pytest_cache .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
