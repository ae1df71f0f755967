"""Anjian credit and blacklist service (安全生产信用与黑名单)."""
