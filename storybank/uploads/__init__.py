"""Resumable uploads over the tus 1.0 protocol: a recording arrives in chunks, survives a drop."""
