"""The index's front door: open a reader of the current snapshot, or a writer of the next one.

    kb/index/layout.py     where the files are (the folder layout, atomic writes)
    kb/index/manifest.py   the frozen Manifest: current snapshot, model, vector index kind, chunker
    kb/index/catalog.py    the SQL of documents, chunks and facets
    kb/index/reader.py     IndexReader: typed reads of one immutable snapshot (reader.vectors, reader.keyword,
                           reader.documents_matching, reader.facet_counts, reader.chunks, ...)
    kb/index/writer.py     IndexWriter: builds the next snapshot, then swaps the manifest
    kb/index/vectors/      vector index kinds (flat, ivf) behind one protocol
    kb/index/keyword/      keyword engines (fts5) behind one protocol

Nothing outside kb/index/ knows the layout on disk or speaks SQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kb.index.layout import DB_FILE, LOCK, MANIFEST, SNAPSHOTS
from kb.index.manifest import SCHEMA_VERSION, Manifest, VectorIndexSpec, read_manifest
from kb.index.reader import IndexReader
from kb.index.vectors.arrays import ARRAY_FILE as VECTORS_FILE

if TYPE_CHECKING:
    from kb.index.writer import IndexWriter

__all__ = ["DB_FILE", "LOCK", "MANIFEST", "SCHEMA_VERSION", "SNAPSHOTS", "VECTORS_FILE", "IndexReader", "IndexWriter",
           "Manifest", "VectorIndexSpec", "open_reader", "read_manifest"]


def __getattr__(name: str) -> object:
    # The writer (its lock, its retention of old snapshots) loads with the first ingest or removal: a process
    # that only searches never needs it (~3 ms of a one-shot `kb search`).
    if name == "IndexWriter":
        from kb.index.writer import IndexWriter

        return IndexWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextlib.contextmanager
def open_reader(index_dir: Path) -> Iterator[IndexReader]:
    """A reader of the current snapshot, closed on exit."""
    reader = IndexReader(index_dir)
    try:
        yield reader
    finally:
        reader.close()
