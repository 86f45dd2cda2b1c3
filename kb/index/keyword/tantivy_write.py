"""The tantivy keyword engine's writing side (kb/index/keyword/tantivy.py reads): a new snapshot's index starts from
the previous one's segments, hard-linked, and gets the new chunks' tokens and the deletes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index import catalog, layout
from kb.index.keyword.analysis import analyzer, document_language
from kb.index.keyword.tantivy import FOLDER, analysis_version, open_folder

if TYPE_CHECKING:
    import tantivy

# The writer's indexing memory, shared by its threads; one segment is written each time it fills.
WRITER_HEAP_BYTES = 256_000_000
# Files of Tantivy's own locks: never carried into another snapshot.
LOCK_FILES = {".tantivy-meta.lock", ".tantivy-writer.lock"}
# Files Tantivy rewrites (by an atomic rename) on each commit: copied, where the immutable segment files are linked.
COPIED_FILES = {"meta.json", ".managed.json"}


def carry_over(previous: Path, folder: Path) -> None:
    """Start the new snapshot's index from the previous one's, without writing a byte into the previous folder."""
    import shutil  # a writer's: with it come zlib, bz2 and lzma, ~3 ms of every search's start
    source, target = previous / FOLDER, folder / FOLDER
    target.mkdir()
    for file in source.iterdir():
        if file.name in LOCK_FILES or not file.is_file():
            continue
        if file.name in COPIED_FILES:
            shutil.copy2(file, target / file.name)
        else:
            os.link(file, target / file.name)


def _body(title: str, heading: str, text: str, language: str) -> str:
    """The body field's tokens: the title's twice (weight 2), the heading path's and the text's once."""
    return " ".join(analyzer(language).tokens("\n".join((title, title, heading, text))))


class TantivyWriter:
    """Adds and removes the chunks of the snapshot being built; the Tantivy writer is opened on first use."""

    def __init__(self, db: sqlite3.Connection, folder: Path) -> None:
        self.db = db
        self.folder = folder
        self.index = open_folder(folder)
        self.version = analysis_version(folder)  # an index keeps the analysis it was created with
        self._writer: tantivy.IndexWriter | None = None

    def _open_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES)
        return self._writer

    def add(self, rows: Sequence[tuple[int, str, str, str]]) -> None:
        """Index chunks; each one's document id and language come from the snapshot's chunks and documents tables
        (inserted just before)."""
        import tantivy

        if not rows:
            return
        sql = "SELECT c.chunk_id, c.doc_id, d.language FROM chunks c JOIN documents d USING (doc_id) WHERE c.chunk_id IN ({marks})"
        found = catalog.rows_in(self._rows, sql, (int(r[0]) for r in rows))
        docs = {int(r[0]): (r[1], document_language(r[2], self.version)) for r in found}
        writer = self._open_writer()
        for chunk_id, title, heading, text in rows:
            doc_id, language = docs[int(chunk_id)]
            writer.add_document(tantivy.Document(chunk_id=int(chunk_id), doc_id=doc_id, body=_body(title, heading, text, language)))

    def _rows(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def remove(self, chunk_ids: Sequence[int]) -> None:
        import tantivy

        if len(chunk_ids):
            ids = [int(i) for i in chunk_ids]
            self._open_writer().delete_documents_by_query(tantivy.Query.term_set_query(self.index.schema, "chunk_id", ids))

    def commit(self) -> None:
        """Write the new segments and deletes, wait for merges, and put the folder on disk."""
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()  # merges finish in this snapshot, not after the manifest names it
            self._writer = None
        layout.fsync_files(self.folder / FOLDER)

    def close(self) -> None:
        """Roll back what was not committed and stop the writer's threads: none may still write into the folder
        while a failed write deletes it (a merge thread did, and left the half-built snapshot behind)."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer.wait_merging_threads()
            self._writer = None
