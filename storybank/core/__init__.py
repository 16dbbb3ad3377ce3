"""Shared foundations: database base, storage, jobs, audit, sanitising and access helpers."""
