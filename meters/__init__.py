"""Meter registry and meter readings (next issue)."""
