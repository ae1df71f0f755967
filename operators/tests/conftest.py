"""Fixtures of the operator tests; they live in operator_env so tests can import its types."""

from operator_env import cluster, k8s_bin, nats_accounts, operator

__all__ = ["cluster", "k8s_bin", "nats_accounts", "operator"]
