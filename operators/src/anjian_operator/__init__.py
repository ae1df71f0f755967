"""Anjian tenant operator."""
