"""Anonymisation: find identifiers in stories and replace them with typed placeholders."""
