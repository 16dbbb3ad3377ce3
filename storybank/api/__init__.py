"""The read-only research API: per-user bearer tokens and JSON endpoints under /api/v1/."""
