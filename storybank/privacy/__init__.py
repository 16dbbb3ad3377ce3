"""Consent changes, withdrawal and erasure."""
