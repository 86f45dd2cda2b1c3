"""Ingest: files in -> documents -> chunks."""
