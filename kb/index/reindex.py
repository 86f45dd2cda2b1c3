"""`kb reindex`: the keyword index built anew from the stored chunks, in a new snapshot; nothing is embedded again.

For another keyword engine (an index made with fts5 moving to tantivy), a newer text analysis (languages), or a
keyword index that is missing or damaged. Documents, chunks, facets and vectors are carried over as they are.
"""

from __future__ import annotations

from pathlib import Path

from kb.config import DEFAULT_SNAPSHOT_GRACE_SECONDS
from kb.index.manifest import Manifest, read_manifest
from kb.index.writer import IndexWriter


def reindex(index_dir: Path, engine: str | None = None, snapshot_grace: float = DEFAULT_SNAPSHOT_GRACE_SECONDS) -> Manifest:
    """Rebuild the keyword index of `index_dir` with `engine` (None: the one it has); returns the new manifest."""
    manifest = read_manifest(index_dir)  # IndexNotFound, saying what to run, when there is none
    with IndexWriter(index_dir, manifest.model, manifest.chunker, manifest.topics, keyword_engine=engine or manifest.keyword,
                     snapshot_grace=snapshot_grace, rebuild_keyword=True) as writer:
        return writer.commit()
