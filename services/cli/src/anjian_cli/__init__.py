"""Anjian command line: embedded stack, tokens, demo."""
