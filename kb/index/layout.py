"""Where an index keeps its files: the one module that knows the folder layout.

    INDEX_DIR/
      manifest.json          the current snapshot's name, the model, the vector index kind, the chunker, counts
      .lock                  held by the one process writing
      snapshots/NAME/
        kb.sqlite            documents, chunks (with provenance), facets; an fts5 index's keyword table
        tantivy/             a tantivy index's keyword index (kb/index/keyword/tantivy.py)
        chunk_ids.npy        the exact vectors, one per chunk, sorted by chunk_id (kb/index/vectors/arrays.py)
        vectors.npy
        ann.faiss            only for an approximate (ivf) index: what its queries search

A write builds a new snapshot beside the current one and then replaces manifest.json with an
atomic rename: readers see the old snapshot or the new one, never a mix.
"""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST = "manifest.json"
LOCK = ".lock"
SNAPSHOTS = "snapshots"
DB_FILE = "kb.sqlite"


def snapshot_dir(index_dir: Path, name: str) -> Path:
    """The folder of one snapshot."""
    return Path(index_dir) / SNAPSHOTS / name


def atomic_write(path: Path, text: str) -> None:
    """Replace a file whole: written aside, flushed to disk, then renamed over the old one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Put a folder's entries on disk (a rename is durable only once its folder is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_files(folder: Path) -> None:
    """Put a folder's files (not its subfolders') and then its entries on disk."""
    for file in (f for f in folder.iterdir() if f.is_file()):
        with open(file, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(folder)
