"""The one place that knows the index layout on disk.

    INDEX_DIR/
      manifest.json          model, dimension, chunker, schema, counts, and the current snapshot's name
      .lock                  held by the one process writing
      snapshots/NAME/
        kb.sqlite            documents, chunks (with provenance), facets, FTS5 keyword index
        chunk_ids.npy        the exact vectors, one per chunk, sorted by chunk_id (kb/index/vectors.py):
        vectors.npy          what a flat index searches
        ann.faiss            only for an approximate index (kb/index/ann.py): the IVF-SQ8 index queries search

A write builds a new snapshot beside the current one and then replaces manifest.json with an
atomic rename: readers see the old snapshot or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import queue
import shutil
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.config import SNAPSHOTS_KEPT
from kb.errors import DocumentNotFound, IndexLocked, IndexMismatch, IndexNotFound
from kb.index import ann
from kb.index.vectors import (
    ARRAY_FILE,
    FlatVectors,
    StoredVectors,
    VectorTable,
    write_arrays,
)
from kb.records import Chunk, Document, IndexInfo

if TYPE_CHECKING:
    import numpy as np

SCHEMA_VERSION = 1
# Page cache of each reader connection (SQLite's default is 2 MB); the OS caches the file for all of them.
READER_CACHE_KB = 1024
MANIFEST = "manifest.json"
LOCK = ".lock"
SNAPSHOTS = "snapshots"
DB_FILE = "kb.sqlite"
VECTORS_FILE = ARRAY_FILE  # written by every index kind as the snapshot is committed

# Multi-valued metadata keys are filtered and counted under a singular facet name.
FACET_ALIASES = {"topics": "topic", "countries": "country", "regions": "region", "keywords": "keyword", "tags": "tag",
                 "authors": "author"}

_SCHEMA = """
CREATE TABLE documents (
    doc_id       TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    type         TEXT NOT NULL,
    date         TEXT,
    language     TEXT,
    source       TEXT NOT NULL,
    root         TEXT NOT NULL,
    format       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    description  TEXT,
    n_pages      INTEGER,
    metadata     TEXT NOT NULL DEFAULT '{}',
    ingested_at  TEXT NOT NULL
);
CREATE TABLE chunks (
    chunk_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    text         TEXT NOT NULL,
    n_tokens     INTEGER NOT NULL,
    page         INTEGER,
    page_label   TEXT,
    heading_path TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX chunks_by_doc ON chunks(doc_id, ordinal);
CREATE TABLE facets (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (doc_id, field, value)
);
CREATE INDEX facets_by_value ON facets(field, value);
-- BM25 over title, heading path and text; rowid = chunk_id. Porter stemming over unicode61 tokens.
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of an index; IndexNotFound (with the command to build one) when there is none."""
    path = Path(index_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFound(f"No index at {index_dir}. Run: kb ingest corpus/ --index {index_dir}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexNotFound(f"The index manifest {path} is unreadable ({exc}). Rebuild: kb ingest PATH --index {index_dir}") from None


def facet_field(key: str) -> str:
    """The facet name for a metadata key: 'countries' -> 'country'."""
    key = key.strip().lower()
    return FACET_ALIASES.get(key, key)


def _facet_rows(doc: Document) -> list[tuple[str, str, str]]:
    rows = [(doc.doc_id, "type", doc.type)]
    if doc.language:
        rows.append((doc.doc_id, "language", doc.language))
    if doc.date:
        rows.append((doc.doc_id, "year", doc.date[:4]))
    for key, values in doc.metadata.items():
        if key.endswith("_auto"):
            continue  # provenance of a facet, not a facet of its own
        rows.extend((doc.doc_id, facet_field(key), v) for v in values if len(v) <= 200)
    return list(dict.fromkeys(rows))


def _document_from_row(row: sqlite3.Row) -> Document:
    return Document(
        doc_id=row["doc_id"],
        title=row["title"],
        type=row["type"],
        date=row["date"],
        language=row["language"],
        source=row["source"],
        format=row["format"],
        content_hash=row["content_hash"],
        description=row["description"],
        n_pages=row["n_pages"],
        metadata={k: tuple(v) for k, v in json.loads(row["metadata"]).items()},
    )


def _chunk_from_row(row: sqlite3.Row) -> Chunk:
    return Chunk(
        doc_id=row["doc_id"],
        ordinal=row["ordinal"],
        text=row["text"],
        n_tokens=row["n_tokens"],
        page=row["page"],
        page_label=row["page_label"],
        heading_path=tuple(json.loads(row["heading_path"])),
        chunk_id=row["chunk_id"],
    )


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    if read_only:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path, check_same_thread=False)
        db.execute("PRAGMA foreign_keys = ON")
    db.row_factory = sqlite3.Row
    return db


class IndexReader:
    """A read-only view of one snapshot: documents, chunks, facets, keyword index and vectors."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.manifest = read_manifest(self.index_dir)
        if self.manifest.get("schema_version") != SCHEMA_VERSION:
            raise IndexMismatch(
                f"The index at {index_dir} has schema version {self.manifest.get('schema_version')}; this kb reads "
                f"version {SCHEMA_VERSION}. Rebuild it: kb ingest PATH --index NEW_DIR"
            )
        self.snapshot = self.manifest["snapshot"]
        self.snapshot_dir = self.index_dir / SNAPSHOTS / self.snapshot
        # Connections to the snapshot's database, one per query at a time: SQLite runs queries without the
        # GIL, so threads serving requests side by side read in parallel. Idle ones wait here for reuse.
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._connections: list[sqlite3.Connection] = []
        self._match_counts: dict[str, int] = {}
        try:
            with self._connection() as db:
                db.execute("SELECT 1 FROM documents LIMIT 1")
        except sqlite3.Error as exc:
            raise IndexNotFound(f"The index at {index_dir} is damaged ({exc}). Rebuild: kb ingest PATH --index {index_dir}") from None
        # Indexes written before kinds existed are flat and say only that.
        self.index_spec: dict[str, Any] = {"kind": "flat", **self.manifest.get("index", {})}
        self._vectors = None
        self._stored: StoredVectors | None = None
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    @property
    def exact(self) -> bool:
        """True when `vectors` is a flat index: exact scores for every chunk."""
        return self.index_spec["kind"] == "flat"

    @property
    def vectors(self):
        """What queries search: `FlatVectors` for a flat index, else the FAISS ivf index (loaded on first use)."""
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    try:
                        if self.exact:
                            self._vectors = FlatVectors.open(self.snapshot_dir)
                        else:
                            import faiss

                            # One query is too small to share among threads; a server runs queries side by side.
                            faiss.omp_set_num_threads(1)
                            self._vectors = ann.read_ivf(self.snapshot_dir / ann.IVF_FILE, self.index_spec)
                    # numpy and faiss report a missing or damaged file as one of these
                    except (OSError, ValueError, EOFError, RuntimeError) as exc:
                        raise IndexNotFound(
                            f"The vectors of the index at {self.index_dir} are missing or damaged ({str(exc).splitlines()[0]}). "
                            f"Rebuild: kb ingest PATH --index NEW_DIR"
                        ) from None
        return self._vectors

    def vectors_by_id(self, chunk_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The exact stored vectors of these chunks, in the order asked."""
        import numpy as np

        if self.exact:
            return self.vectors.get(np.asarray(chunk_ids, dtype="int64"))
        if self._stored is None:
            with self._lock:
                if self._stored is None:
                    self._stored = StoredVectors(self.snapshot_dir)
        return self._stored.get(np.asarray(chunk_ids, dtype="int64"))

    def is_current(self) -> bool:
        """False once a newer snapshot has replaced this one.

        Asked on every request, so the manifest is read only when its stat changed: a commit renames a
        new file over it, which changes the inode and the modification time.
        """
        try:
            st = os.stat(self.index_dir / MANIFEST)
        except OSError:
            return False
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._manifest_stamp:
            return True
        try:
            current = read_manifest(self.index_dir).get("snapshot") == self.snapshot
        except IndexNotFound:
            return False
        if current:  # the file read may be newer than the stat; then the next call reads it again
            self._manifest_stamp = stamp
        return current

    def close(self) -> None:
        for db in self._connections:
            db.close()
        if self._stored is not None:
            self._stored.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = _connect(self.snapshot_dir / DB_FILE, read_only=True)
            db.execute(f"PRAGMA cache_size = -{READER_CACHE_KB}")
            self._connections.append(db)
        try:
            yield db
        finally:
            self._idle.put(db)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, params).fetchall()

    def document(self, doc_id: str) -> Document:
        rows = self.query("SELECT * FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise DocumentNotFound(f"No document {doc_id!r} in the index. List them with: kb browse")
        return _document_from_row(rows[0])

    def query_in(self, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
        """Rows of `sql` whose one `IN ({marks})` is filled with the distinct values, 500 at a time
        (SQLite limits the number of parameters in one statement)."""
        ids = list(dict.fromkeys(values))
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            yield from self.query(sql.format(marks=",".join("?" * len(part))), part)

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        rows = self.query_in("SELECT * FROM documents WHERE doc_id IN ({marks})", doc_ids)
        return {row["doc_id"]: _document_from_row(row) for row in rows}

    def all_documents(self) -> list[Document]:
        return [_document_from_row(r) for r in self.query("SELECT * FROM documents ORDER BY date DESC, doc_id")]

    def chunks(self, chunk_ids: Iterable[int]) -> dict[int, Chunk]:
        rows = self.query_in("SELECT * FROM chunks WHERE chunk_id IN ({marks})", (int(c) for c in chunk_ids))
        return {row["chunk_id"]: _chunk_from_row(row) for row in rows}

    def chunk_documents(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        """{chunk_id: doc_id} for the given chunks that exist."""
        return dict(self.query_in("SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({marks})", (int(c) for c in chunk_ids)))

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [_chunk_from_row(r) for r in self.query("SELECT * FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))]

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> list[int]:
        return [r[0] for r in self.query_in("SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", doc_ids)]

    def rows_matching(self, match: str) -> int:
        """How many chunks an FTS5 MATCH expression finds (remembered: this snapshot never changes)."""
        count = self._match_counts.get(match)
        if count is None:
            count = int(self.query("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,))[0][0])
            if len(self._match_counts) >= 50_000:
                self._match_counts.clear()
            self._match_counts[match] = count
        return count

    def facet_fields(self) -> set[str]:
        """The names of the facets the index's documents carry (type, language, topic, country, ...)."""
        return {r[0] for r in self.query("SELECT DISTINCT field FROM facets")}

    def document_root(self, doc_id: str) -> str:
        """The folder (or record collection) a document was ingested from; DocumentNotFound when unknown."""
        rows = self.query("SELECT root FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise DocumentNotFound(f"No document {doc_id!r} in the index. List them with: kb browse")
        return str(rows[0][0])

    @cached_property
    def chunk_count(self) -> int:
        return self.counts()[1]

    def counts(self) -> tuple[int, int]:
        row = self.query("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)")[0]
        return int(row[0]), int(row[1])

    def info(self) -> IndexInfo:
        documents, chunks = self.counts()
        size = sum(f.stat().st_size for f in self.snapshot_dir.iterdir() if f.is_file())
        model = self.manifest["model"]
        types = {r[0]: r[1] for r in self.query("SELECT type, count(*) FROM documents GROUP BY type ORDER BY 2 DESC")}
        return IndexInfo(
            index_dir=str(self.index_dir),
            documents=documents,
            chunks=chunks,
            model=model["name"],
            model_hash=model["sha256"],
            dimension=int(model["dimension"]),
            schema_version=self.manifest["schema_version"],
            size_bytes=size,
            created_at=self.manifest["created_at"],
            updated_at=self.manifest["updated_at"],
            snapshot=self.snapshot,
            chunker=self.manifest.get("chunker", {}),
            types=types,
            index=self.index_spec,
        )


_WRITERS: weakref.WeakSet[IndexWriter] = weakref.WeakSet()


def _drop_inherited_locks() -> None:
    """In a forked child (an ingest's file reader), close the inherited lock file without unlocking it:
    the lock then dies with the writing process alone, not with the last of its children."""
    for writer in list(_WRITERS):
        if writer._lock_fh is not None:
            with contextlib.suppress(OSError):
                writer._lock_fh.close()  # closing one of two descriptors of a flock leaves it held
            writer._lock_fh = None


os.register_at_fork(after_in_child=_drop_inherited_locks)


class IndexWriter:
    """Builds the next snapshot from the current one; `commit()` makes it current atomically.

    Use as a context manager: it holds the index's write lock, and on an error the half-built
    snapshot is deleted and the current one stays as it was.
    """

    def __init__(self, index_dir: Path, model: Mapping[str, Any], chunker: Mapping[str, Any],
                 topics: Mapping[str, Any] | None = None, index_kind: str | None = None) -> None:
        """`index_kind` is one of ann.KINDS; None keeps the kind the index was asked for before (auto when new)."""
        if index_kind is not None and index_kind not in ann.KINDS:
            raise ValueError(f"unknown index kind {index_kind!r}; use one of: {', '.join(ann.KINDS)}")
        self.index_dir = Path(index_dir)
        self.model = dict(model)
        self.chunker = dict(chunker)
        self.topics = dict(topics) if topics is not None else None
        self.index_kind = index_kind
        self._lock_fh = None
        self.db: sqlite3.Connection | None = None
        self.vectors: VectorTable | None = None
        self.previous: dict[str, Any] | None = None
        self.snapshot = ""
        self.snapshot_dir = Path()
        self.committed = False

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> IndexWriter:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._open()
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.db is not None:
                self.db.close()
            if not self.committed and self.snapshot_dir.name and self.snapshot_dir.exists():
                shutil.rmtree(self.snapshot_dir, ignore_errors=True)
        finally:
            self._release_lock()

    def _acquire_lock(self) -> None:
        fh = open(self.index_dir / LOCK, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise IndexLocked(f"The index at {self.index_dir} is being written by {holder}. Wait for it to finish, then run again.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"kb ingest (pid {os.getpid()})")
        fh.flush()
        self._lock_fh = fh
        _WRITERS.add(self)

    def _release_lock(self) -> None:
        if self._lock_fh is not None:
            with contextlib.suppress(OSError):
                self._lock_fh.truncate(0)
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def _open(self) -> None:
        manifest_path = self.index_dir / MANIFEST
        self.previous = read_manifest(self.index_dir) if manifest_path.exists() else None
        if self.previous is not None:
            self._check_compatible(self.previous)
        self._remove_leftovers()
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        self.snapshot = f"{stamp}-{os.getpid()}"
        self.snapshot_dir = self.index_dir / SNAPSHOTS / self.snapshot
        self.snapshot_dir.mkdir(parents=True)
        db_path = self.snapshot_dir / DB_FILE
        if self.previous is None:
            self.db = _connect(db_path, read_only=False)
            self.db.executescript(_SCHEMA)
            self.vectors = VectorTable.empty(int(self.model["dimension"]))
        else:
            old_dir = self.index_dir / SNAPSHOTS / self.previous["snapshot"]
            source = _connect(old_dir / DB_FILE, read_only=True)
            self.db = _connect(db_path, read_only=False)
            source.backup(self.db)
            source.close()
            self.vectors = VectorTable.load(old_dir)

    def _check_compatible(self, manifest: Mapping[str, Any]) -> None:
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise IndexMismatch(
                f"The index at {self.index_dir} has schema version {manifest.get('schema_version')}, this kb writes "
                f"{SCHEMA_VERSION}. Ingest into a new index (--index NEW_DIR) or delete {self.index_dir}."
            )
        old = manifest["model"]
        same = all(old.get(key) == self.model.get(key) for key in ("sha256", "backend", "precision"))
        if not same or int(old.get("dimension", 0)) != int(self.model["dimension"]):
            raise IndexMismatch(
                f"The index at {self.index_dir} was built with model {old.get('name')!r} "
                f"({old.get('backend')}/{old.get('precision')}, sha256 {str(old.get('sha256'))[:12]}…), but this run uses "
                f"{self.model.get('name')!r} ({self.model.get('backend')}/{self.model.get('precision')}, "
                f"sha256 {str(self.model.get('sha256'))[:12]}…). Use the same settings (KB_MODEL, KB_BACKEND, "
                f"KB_PRECISION), or ingest into a new index with --index NEW_DIR."
            )

    def _remove_leftovers(self) -> None:
        """Delete snapshot folders a killed run left behind (never the current one)."""
        folder = self.index_dir / SNAPSHOTS
        if not folder.is_dir():
            return
        keep = {self.previous["snapshot"]} if self.previous else set()
        keep.update((self.previous or {}).get("previous_snapshots", []))
        for child in folder.iterdir():
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
        for tmp in self.index_dir.glob(f".{MANIFEST}.*.tmp"):
            tmp.unlink(missing_ok=True)

    # -- reads the pipeline needs ----------------------------------------------------------
    def known_documents(self) -> dict[str, tuple[str, str]]:
        """{doc_id: (content_hash, root)} for every document in the snapshot being built."""
        assert self.db is not None
        return {r["doc_id"]: (r["content_hash"], r["root"]) for r in self.db.execute("SELECT doc_id, content_hash, root FROM documents")}

    @property
    def chunker_changed(self) -> bool:
        """True when the previous snapshot was chunked with other settings (every document must be redone)."""
        return self.previous is not None and self.previous.get("chunker") != self.chunker

    @property
    def topics_changed(self) -> bool:
        """True when the previous snapshot was tagged with another taxonomy (documents must be re-tagged)."""
        return self.previous is not None and self.topics is not None and self.previous.get("topics") != self.topics

    def vectors_of(self, doc_id: str):
        """The stored vectors of a document's chunks, in chunk order."""
        import numpy as np

        assert self.db is not None and self.vectors is not None
        ids = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))]
        return self.vectors.get(np.asarray(ids, dtype="int64"))

    def vectors_by_input(self, doc_id: str) -> dict[tuple[str, tuple[str, ...], str], np.ndarray]:
        """A stored document's chunk vectors, keyed by what each was embedded from: (title, heading path, text).

        The chunker builds a chunk's context line from the title and heading path alone, so a new chunk
        with the same key (under the same chunker and model) would get the same vector.
        """
        assert self.db is not None and self.vectors is not None
        rows = self.db.execute(
            "SELECT c.chunk_id, d.title, c.heading_path, c.text FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
            "WHERE c.doc_id = ?", (doc_id,)).fetchall()
        if not rows:
            return {}
        vectors = self.vectors.get([r[0] for r in rows])
        return {(r[1], tuple(json.loads(r[2])), r[3]): vector for r, vector in zip(rows, vectors)}

    def text_of(self, doc_id: str) -> str:
        """A stored document's chunk texts, joined in order."""
        assert self.db is not None
        rows = self.db.execute("SELECT text FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        return " ".join(r[0] for r in rows)

    def given_topics(self, doc_id: str) -> list[str]:
        """The topics a stored document's own metadata gave (all its topics minus the automatic ones)."""
        assert self.db is not None
        row = self.db.execute("SELECT metadata FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        metadata = json.loads(row[0])
        auto = set(metadata.get("topics_auto", []))
        return [t for t in metadata.get("topics", []) if t not in auto]

    def set_topics(self, doc_id: str, topics: Sequence[str], auto: Sequence[str]) -> None:
        """Replace a document's topics (all, and those assigned automatically) in its metadata and facets."""
        assert self.db is not None
        row = self.db.execute("SELECT metadata FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        metadata = json.loads(row[0])
        metadata["topics"], metadata["topics_auto"] = list(topics), list(auto)
        self.db.execute("UPDATE documents SET metadata = ? WHERE doc_id = ?", (json.dumps(metadata, ensure_ascii=False), doc_id))
        self.db.execute("DELETE FROM facets WHERE doc_id = ? AND field = 'topic'", (doc_id,))
        self.db.executemany("INSERT OR IGNORE INTO facets (doc_id, field, value) VALUES (?, 'topic', ?)",
                            [(doc_id, t) for t in topics])

    # -- writes ---------------------------------------------------------------------------
    def remove_documents(self, doc_ids: Iterable[str]) -> None:
        """Delete documents with their chunks, vectors, facets and keyword rows."""
        import numpy as np

        assert self.db is not None and self.vectors is not None
        removed: list[int] = []
        for doc_id in doc_ids:
            ids = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))]
            if ids:
                removed.extend(ids)
                self.db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
            self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))  # cascades to chunks, facets
        self.vectors.remove(np.asarray(removed, dtype="int64"))

    def add_document(self, doc: Document, root: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert one document, its chunks and their vectors (rows of `vectors` match `chunks`)."""
        import numpy as np

        assert self.db is not None and self.vectors is not None
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors for {doc.doc_id}")
        self.db.execute(
            "INSERT INTO documents (doc_id, title, type, date, language, source, root, format, content_hash, "
            "description, n_pages, metadata, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.doc_id, doc.title, doc.type, doc.date, doc.language, doc.source, root, doc.format,
                doc.content_hash, doc.description, doc.n_pages,
                json.dumps({k: list(v) for k, v in doc.metadata.items()}, ensure_ascii=False), _now(),
            ),
        )
        self.db.executemany("INSERT OR IGNORE INTO facets (doc_id, field, value) VALUES (?,?,?)", _facet_rows(doc))
        ids: list[int] = []
        for chunk in chunks:
            cur = self.db.execute(
                "INSERT INTO chunks (doc_id, ordinal, text, n_tokens, page, page_label, heading_path) VALUES (?,?,?,?,?,?,?)",
                (doc.doc_id, chunk.ordinal, chunk.text, chunk.n_tokens, chunk.page, chunk.page_label,
                 json.dumps(list(chunk.heading_path), ensure_ascii=False)),
            )
            ids.append(int(cur.lastrowid))
            self.db.execute(
                "INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?,?,?,?)",
                (cur.lastrowid, doc.title, " ".join(chunk.heading_path), chunk.text),
            )
        if ids:
            self.vectors.add(np.asarray(ids, dtype="int64"), np.asarray(vectors, dtype="float32"))

    def _write_vectors(self) -> dict[str, Any]:
        """Write the snapshot's vectors in the form of the index kind; returns manifest["index"]."""
        assert self.vectors is not None
        previous = (self.previous or {}).get("index") or {"kind": "flat"}
        requested = self.index_kind or previous.get("requested", ann.DEFAULT_KIND)
        kind = ann.resolve_kind(requested, len(self.vectors))
        ids, vectors = self.vectors.arrays()
        if kind == "flat":
            spec = {"kind": "flat", "metric": "inner_product", "ntotal": len(ids)}
        else:
            import faiss

            old_file = self.index_dir / SNAPSHOTS / self.previous["snapshot"] / ann.IVF_FILE if self.previous else None
            index, spec = ann.ivf_for(ids, vectors, self.vectors, previous, old_file)
            faiss.write_index(index, str(self.snapshot_dir / ann.IVF_FILE))
        write_arrays(self.snapshot_dir, ids, vectors)
        return {**spec, "requested": requested}

    def commit(self) -> dict[str, Any]:
        """Make the new snapshot current: flush SQLite and FAISS, then swap the manifest atomically."""
        assert self.db is not None and self.vectors is not None
        documents, chunks = self.db.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
        if len(self.vectors) != chunks:
            raise RuntimeError(f"index out of step: {len(self.vectors)} vectors for {chunks} chunks; nothing was written")
        self.db.commit()
        self.db.execute("PRAGMA optimize")
        self.db.close()
        self.db = None
        index = self._write_vectors()
        for file in self.snapshot_dir.iterdir():
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())
        # The files' entries, the snapshot's entry in snapshots/ and, on the first run, snapshots/ itself: all on
        # disk before the manifest names the snapshot, or a power cut could leave a manifest pointing at nothing.
        for folder in (self.snapshot_dir, self.snapshot_dir.parent, self.index_dir):
            _fsync_dir(folder)
        now = _now()
        history = [self.previous["snapshot"]] + self.previous.get("previous_snapshots", []) if self.previous else []
        kept = history[: SNAPSHOTS_KEPT - 1]
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "snapshot": self.snapshot,
            "previous_snapshots": kept,
            "model": self.model,
            "index": index,
            "chunker": self.chunker,
            "topics": self.topics if self.topics is not None else (self.previous or {}).get("topics"),
            "counts": {"documents": documents, "chunks": chunks},
            "created_at": self.previous["created_at"] if self.previous else now,
            "updated_at": now,
        }
        _atomic_write(self.index_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        self.committed = True
        for old in history[SNAPSHOTS_KEPT - 1:]:
            shutil.rmtree(self.index_dir / SNAPSHOTS / old, ignore_errors=True)
        return manifest


@contextlib.contextmanager
def open_reader(index_dir: Path) -> Iterator[IndexReader]:
    """A reader closed on exit."""
    reader = IndexReader(index_dir)
    try:
        yield reader
    finally:
        reader.close()
