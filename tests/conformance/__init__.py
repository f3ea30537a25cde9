"""Offline conformance checks against upstream schemas (see validator.py)."""
