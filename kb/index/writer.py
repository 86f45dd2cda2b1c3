"""IndexWriter: builds the next snapshot from the current one; `commit()` makes it current atomically, and
`checkpoint()` does so mid-run, then goes on in a fresh snapshot."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.config import DEFAULT_SNAPSHOT_GRACE_SECONDS
from kb.errors import IndexMismatch
from kb.index import catalog, keyword, layout, retention
from kb.index import vectors as vector_kinds
from kb.index.layout import DB_FILE, MANIFEST, snapshot_dir
from kb.index.lock import WriteLock
from kb.index.manifest import Manifest, VectorIndexSpec, check_schema, read_manifest
from kb.index.reader import connect
from kb.index.vectors.arrays import VectorTable, write_arrays
from kb.records import Chunk, Document, ModelSpec

if TYPE_CHECKING:
    import numpy as np

    from kb.index.keyword import KeywordWriter


class IndexWriter:
    """Builds the next snapshot from the current one; `commit()` makes it current atomically.

    Use as a context manager: it holds the index's write lock, and on an error the half-built
    snapshot is deleted and the current one stays as it was.
    """

    def __init__(self, index_dir: Path, model: ModelSpec | Mapping[str, Any], chunker: Mapping[str, Any],
                 topics: Mapping[str, Any] | None = None, index_kind: str | None = None, keyword_engine: str | None = None,
                 snapshot_grace: float = DEFAULT_SNAPSHOT_GRACE_SECONDS, rebuild_keyword: bool = False) -> None:
        """`index_kind` is one of kb.index.vectors.CHOICES; None keeps the kind the index was asked for before
        (auto when new). `keyword_engine` names one of kb.index.keyword.ENGINES for a new index (see keyword.chosen).
        `snapshot_grace`: seconds a superseded snapshot stays for readers (kb/index/retention.py). `rebuild_keyword`:
        the keyword index anew from the stored chunks, in `keyword_engine` if given (`kb reindex`)."""
        if index_kind is not None and index_kind not in vector_kinds.CHOICES:
            raise ValueError(f"unknown index kind {index_kind!r}; use one of: {', '.join(vector_kinds.CHOICES)}")
        self.index_dir = Path(index_dir)
        self.model = model if isinstance(model, ModelSpec) else ModelSpec.from_dict(model)
        self.chunker = dict(chunker)
        self.topics = dict(topics) if topics is not None else None
        self.index_kind = index_kind
        self.keyword_engine = keyword_engine
        self.snapshot_grace = snapshot_grace
        self.rebuild_keyword = rebuild_keyword
        self._lock = WriteLock(self.index_dir)
        self.db: sqlite3.Connection | None = None
        self.vectors: VectorTable | None = None
        self.keyword: KeywordWriter | None = None
        self.previous: Manifest | None = None
        self.snapshot = ""
        self.snapshot_dir = Path()
        self.committed = False

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> IndexWriter:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            self._open()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.keyword is not None:
                self.keyword.close()
            if self.db is not None:
                self.db.close()
            if not self.committed and self.snapshot_dir.name and self.snapshot_dir.exists():
                shutil.rmtree(self.snapshot_dir, ignore_errors=True)
        finally:
            self._lock.release()

    def _open(self) -> None:
        self.previous = read_manifest(self.index_dir) if (self.index_dir / MANIFEST).exists() else None
        if self.previous is not None:
            self._check_compatible(self.previous)
        retention.remove_leftovers(self.index_dir, {self.previous.snapshot, *self.previous.previous_snapshots} if self.previous else set())
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        self.snapshot = f"{stamp}-{os.getpid()}"
        self.snapshot_dir = snapshot_dir(self.index_dir, self.snapshot)
        self.snapshot_dir.mkdir(parents=True)
        current = self.previous.keyword if self.previous else None
        rebuild = self.rebuild_keyword and current is not None
        self.keyword_engine = keyword.chosen(None if rebuild else current, self.keyword_engine, self.index_dir)
        engine = keyword.engine(self.keyword_engine)
        self.db = connect(self.snapshot_dir / DB_FILE, read_only=False)
        old_dir = snapshot_dir(self.index_dir, self.previous.snapshot) if self.previous else None
        if old_dir is None:
            self.db.executescript(catalog.SCHEMA)
            engine.create(self.db, self.snapshot_dir)
            self.vectors = VectorTable.empty(int(self.model.dimension))
        else:
            source = connect(old_dir / DB_FILE, read_only=True)
            source.backup(self.db)
            source.close()
            self.vectors = VectorTable.load(old_dir)
        if rebuild:
            self._rebuild_keyword(keyword.engine(str(current)), engine)
        else:
            self.keyword = engine.writer(self.db, self.snapshot_dir, old_dir)

    def _rebuild_keyword(self, old: keyword.KeywordEngine, new: keyword.KeywordEngine) -> None:
        """A fresh keyword index in the new snapshot, from every stored chunk; the old engine's dropped."""
        db = self._db()
        old.drop(db, self.snapshot_dir)
        new.create(db, self.snapshot_dir)
        self.keyword = new.writer(db, self.snapshot_dir, None)
        for rows in catalog.keyword_rows(db):
            self.keyword.add(rows)
        self.rebuild_keyword = False  # a checkpoint's next snapshot starts from this one

    def _check_compatible(self, manifest: Manifest) -> None:
        check_schema(manifest, self.index_dir, "writes")
        old, new = manifest.model, self.model
        if not old.same_vectors(new):
            raise IndexMismatch(
                f"The index at {self.index_dir} was built with model {old.name!r} ({old.backend}/{old.precision}, "
                f"sha256 {old.sha256[:12]}…), but this run uses {new.name!r} ({new.backend}/{new.precision}, "
                f"sha256 {new.sha256[:12]}…). Use the same settings (KB_MODEL, KB_BACKEND, KB_PRECISION), "
                f"or ingest into a new index with --index NEW_DIR."
            )

    def _db(self) -> sqlite3.Connection:
        assert self.db is not None, "use the writer inside `with`"
        return self.db

    # -- reads the pipeline needs ----------------------------------------------------------
    def known_documents(self) -> dict[str, tuple[str, str]]:
        """{doc_id: (content_hash, root)} for every document in the snapshot being built."""
        rows = self._db().execute("SELECT doc_id, content_hash, root FROM documents")
        return {r["doc_id"]: (r["content_hash"], r["root"]) for r in rows}

    @property
    def chunker_changed(self) -> bool:
        """True when the previous snapshot was chunked with other settings (every document must be redone)."""
        return self.previous is not None and dict(self.previous.chunker) != self.chunker

    @property
    def topics_changed(self) -> bool:
        """True when the previous snapshot was tagged with another taxonomy (documents must be re-tagged)."""
        return self.previous is not None and self.topics is not None and self.previous.topics != self.topics

    def vectors_of(self, doc_id: str) -> np.ndarray:
        """The stored vectors of a document's chunks, in chunk order."""
        import numpy as np

        assert self.vectors is not None
        ids = [r[0] for r in self._db().execute("SELECT chunk_id FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))]
        return self.vectors.get(np.asarray(ids, dtype="int64"))

    def vectors_by_input(self, doc_id: str) -> dict[tuple[str, tuple[str, ...], str], np.ndarray]:
        """A stored document's chunk vectors, keyed by what each was embedded from: (title, heading path, text).

        The chunker builds a chunk's context line from the title and heading path alone, so a new chunk
        with the same key (under the same chunker and model) would get the same vector.
        """
        import numpy as np

        assert self.vectors is not None
        rows = self._db().execute(
            "SELECT c.chunk_id, d.title, c.heading_path, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
            "WHERE c.doc_id = ?", (doc_id,)).fetchall()
        if not rows:
            return {}
        vectors = self.vectors.get(np.asarray([r[0] for r in rows], dtype="int64"))
        return {(r[1], tuple(json.loads(r[2])), r[3]): vector for r, vector in zip(rows, vectors)}

    def text_of(self, doc_id: str) -> str:
        """A stored document's chunk texts, joined in order."""
        rows = self._db().execute("SELECT text FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        return " ".join(r[0] for r in rows)

    def given_topics(self, doc_id: str) -> list[str]:
        """The topics a stored document's own metadata gave (all its topics minus the automatic ones)."""
        row = self._db().execute("SELECT metadata FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        metadata = json.loads(row[0])
        auto = set(metadata.get("topics_auto", []))
        return [t for t in metadata.get("topics", []) if t not in auto]

    def set_topics(self, doc_id: str, topics: Sequence[str], auto: Sequence[str]) -> None:
        """Replace a document's topics (all, and those assigned automatically) in its metadata and facets."""
        catalog.set_topics(self._db(), doc_id, topics, auto)

    # -- writes ---------------------------------------------------------------------------
    def remove_documents(self, doc_ids: Iterable[str]) -> None:
        """Delete documents with their chunks, vectors, facets and keyword rows."""
        import numpy as np

        assert self.vectors is not None and self.keyword is not None
        removed: list[int] = []
        for doc_id in doc_ids:
            ids = catalog.delete_document(self._db(), doc_id)
            if ids:
                removed.extend(ids)
                self.keyword.remove(ids)
        self.vectors.remove(np.asarray(removed, dtype="int64"))

    def add_document(self, doc: Document, root: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert one document, its chunks and their vectors (rows of `vectors` match `chunks`)."""
        import numpy as np

        assert self.vectors is not None and self.keyword is not None
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors for {doc.doc_id}")
        ids = catalog.insert_document(self._db(), doc, root, chunks)
        self.keyword.add([(i, doc.title, " ".join(c.heading_path), c.text) for i, c in zip(ids, chunks)])
        if ids:
            self.vectors.add(np.asarray(ids, dtype="int64"), np.asarray(vectors, dtype="float32"))

    def _write_vectors(self) -> VectorIndexSpec:
        """Write the snapshot's vectors: the exact arrays, and the files of its kind."""
        assert self.vectors is not None
        previous = self.previous.index if self.previous else None
        requested = self.index_kind or (previous.requested if previous else vector_kinds.DEFAULT_KIND)
        name = vector_kinds.resolve_kind(requested, len(self.vectors))
        ids, vectors = self.vectors.arrays()
        previous_folder = snapshot_dir(self.index_dir, self.previous.snapshot) if self.previous else None
        params = vector_kinds.kind(name).build(self.snapshot_dir, ids, vectors, self.vectors, previous, previous_folder)
        write_arrays(self.snapshot_dir, ids, vectors)
        return VectorIndexSpec(kind=name, requested=requested, ntotal=len(ids), params=dict(params))

    def commit(self) -> Manifest:
        """Make the new snapshot current: flush SQLite and the vectors, then swap the manifest atomically."""
        topics = self.topics if self.topics is not None else (self.previous.topics if self.previous else None)
        return self._commit(self.chunker, topics)

    def checkpoint(self) -> Manifest:
        """Commit what is written so far, as `commit()` does, and go on writing in a fresh snapshot started from it,
        still under the write lock. Call it between documents: a checkpoint then holds whole documents only.

        While the run re-chunks or re-tags the documents held before it, the checkpoint's manifest names the
        chunker and taxonomy those were made with, so a run stopped after it still redoes them.
        """
        previous = self.previous
        chunker = dict(previous.chunker) if previous is not None and self.chunker_changed else self.chunker
        topics = previous.topics if previous is not None and (self.topics is None or self.topics_changed) else self.topics
        manifest = self._commit(chunker, topics)
        self.snapshot_dir, self.committed = Path(), False  # from here on the committed folder is not this writer's to delete
        self._open()
        return manifest

    def _commit(self, chunker: Mapping[str, Any], topics: Mapping[str, Any] | None) -> Manifest:
        db = self._db()
        assert self.vectors is not None and self.keyword is not None and self.keyword_engine is not None
        documents, chunks = db.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
        if len(self.vectors) != chunks:
            raise RuntimeError(f"index out of step: {len(self.vectors)} vectors for {chunks} chunks; nothing was written")
        self.keyword.commit()
        db.commit()
        db.execute("PRAGMA optimize")
        db.close()
        self.db = None
        index = self._write_vectors()
        layout.fsync_files(self.snapshot_dir)  # a keyword engine's folder syncs itself
        # The snapshot's entry in snapshots/ and, on the first run, snapshots/ itself: on disk before the manifest
        # names the snapshot, or a power cut could leave a manifest pointing at nothing.
        for folder in (self.snapshot_dir.parent, self.index_dir):
            layout.fsync_dir(folder)
        now = dt.datetime.now(dt.UTC)
        stamp = now.isoformat(timespec="seconds")
        previous = self.previous
        history = [previous.snapshot, *previous.previous_snapshots] if previous else []
        kept = retention.retain(history, previous.superseded if previous else {}, now, self.snapshot_grace)
        manifest = Manifest(
            snapshot=self.snapshot, previous_snapshots=kept.kept, superseded=kept.superseded, model=self.model,
            index=index, keyword=self.keyword_engine, chunker=dict(chunker), topics=topics,
            counts={"documents": documents, "chunks": chunks},
            created_at=previous.created_at if previous else stamp, updated_at=stamp,
        )
        layout.atomic_write(self.index_dir / MANIFEST, json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n")
        self.committed = True
        for old in kept.expired:  # after the swap: a kill before this leaves them to the next run's clean-up
            shutil.rmtree(snapshot_dir(self.index_dir, old), ignore_errors=True)
        return manifest
