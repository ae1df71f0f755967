"""Anjian HTTP/JSON gateway and public pages."""
