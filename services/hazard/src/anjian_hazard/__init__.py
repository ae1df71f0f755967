"""Anjian hazard-closure service (隐患排查治理)."""
