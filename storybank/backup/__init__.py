"""Backup and restore: a consistent snapshot of the database and media, with a checksum manifest."""
