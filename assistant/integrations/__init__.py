"""Adapters that let other frameworks use shequn's parts (optional dependencies)."""
