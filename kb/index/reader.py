"""IndexReader: a read-only view of one snapshot, with typed methods that return records."""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import DocumentNotFound, IndexNotFound
from kb.index import catalog, kept, keyword
from kb.index import vectors as vector_kinds
from kb.index.layout import DB_FILE, MANIFEST, snapshot_dir
from kb.index.manifest import check_schema, read_manifest
from kb.records import Chunk, Document, Filters

if TYPE_CHECKING:
    import numpy as np

    from kb.index.keyword import KeywordIndex
    from kb.index.vectors import VectorIndex
    from kb.ingest_records import IndexInfo

# Page cache of each reader connection (SQLite's default is 2 MB); the OS caches the file for all of them.
READER_CACHE_KB = 1024
# Documents and chunks a reader keeps after reading them (~1-3 KB each): a search reads ~60 chunks.
KEPT_DOCUMENTS = 2048
KEPT_CHUNKS = 4096


def connect(path: Path, read_only: bool) -> sqlite3.Connection:
    """A connection to a snapshot's database; the writer's enforces foreign keys (cascading deletes).

    A read-only one opens the file as immutable: a committed snapshot is never written again (the writer builds
    the next one in a new folder), so SQLite may skip its locks and change checks. Replicas reading one
    snapshot on shared storage then take no lock at all, and NFS-style locking cannot stall or break them.
    """
    if read_only:
        uri = f"file:{urllib.parse.quote(str(Path(path).absolute()))}?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
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
        check_schema(self.manifest, self.index_dir, "reads")
        self.snapshot = self.manifest.snapshot
        self.snapshot_dir = snapshot_dir(self.index_dir, self.snapshot)
        # Connections to the snapshot's database, one per query at a time: SQLite runs queries without the
        # GIL, so threads serving requests side by side read in parallel. Idle ones wait here for reuse.
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._connections: list[sqlite3.Connection] = []
        try:
            self._rows("SELECT 1 FROM documents LIMIT 1")
        except sqlite3.Error as exc:
            raise IndexNotFound(f"The index at {index_dir} is damaged ({exc}). Rebuild: kb ingest PATH --index {index_dir}") from None
        self.index_spec = self.manifest.index
        self.keyword: KeywordIndex = keyword.engine(self.manifest.keyword).open_index(
            self.snapshot_dir, self._rows, lambda: self.chunk_count)
        self._vectors: VectorIndex | None = None
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self._owners: catalog.ChunkOwners | None = None
        self._owner_lookups = 0
        self._facets: kept.FacetTable | None = None
        self._documents: kept.Kept[str, Document] = kept.Kept(KEPT_DOCUMENTS)
        self._chunks: kept.Kept[int, Chunk] = kept.Kept(KEPT_CHUNKS)
        self._facet_lookups = 0

    # -- vectors --------------------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        """True when vector search gives exact scores for every chunk."""
        return self.vectors.exact

    @property
    def vectors(self) -> VectorIndex:
        """The snapshot's vector index, of whatever kind it was built as (opened on first use)."""
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    try:
                        kind = vector_kinds.kind(self.index_spec.kind)
                        self._vectors = kind.open_index(self.snapshot_dir, self.index_spec)
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

        return self.vectors.get(np.asarray(chunk_ids, dtype="int64"))

    # -- freshness and lifetime -------------------------------------------------------------------------
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
            current = read_manifest(self.index_dir).snapshot == self.snapshot
        except IndexNotFound:
            return False
        if current:  # the file read may be newer than the stat; then the next call reads it again
            self._manifest_stamp = stamp
        return current

    def close(self) -> None:
        for db in self._connections:
            db.close()
        if self._vectors is not None:
            self._vectors.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = connect(self.snapshot_dir / DB_FILE, read_only=True)
            db.execute(f"PRAGMA cache_size = -{READER_CACHE_KB}")
            self._connections.append(db)
        try:
            yield db
        finally:
            self._idle.put(db)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, params).fetchall()

    # -- documents and chunks ---------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document:
        """One document; DocumentNotFound when the id is unknown."""
        rows = self._rows("SELECT * FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise DocumentNotFound(f"No document {doc_id!r} in the index. List them with: kb browse")
        return catalog.document_from_row(rows[0])

    def documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """{doc_id: Document} for those of the ids that exist."""
        return self._documents.get(doc_ids, lambda missing: catalog.read_documents(self._rows, missing))

    def all_documents(self) -> list[Document]:
        """Every document, newest first."""
        return [catalog.document_from_row(r) for r in self._rows("SELECT * FROM documents ORDER BY date DESC, doc_id")]

    def document_root(self, doc_id: str) -> str:
        """The folder (or record collection) a document was ingested from; DocumentNotFound when unknown."""
        rows = self._rows("SELECT root FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise DocumentNotFound(f"No document {doc_id!r} in the index. List them with: kb browse")
        return str(rows[0][0])

    def document_ids(self) -> list[str]:
        """Every document's id, sorted."""
        return [r[0] for r in self._rows("SELECT doc_id FROM documents ORDER BY doc_id")]

    @cached_property
    def roots(self) -> tuple[str, ...]:
        """The folders (or record collections) documents were ingested from, longest first."""
        return tuple(sorted((r[0] for r in self._rows("SELECT DISTINCT root FROM documents")), key=len, reverse=True))

    def content_hashes(self) -> dict[str, str]:
        """{doc_id: content hash} of every document."""
        return {r[0]: r[1] for r in self._rows("SELECT doc_id, content_hash FROM documents")}

    def chunks(self, chunk_ids: Iterable[int]) -> dict[int, Chunk]:
        """{chunk_id: Chunk} for those of the ids that exist."""
        return self._chunks.get((int(c) for c in chunk_ids), lambda missing: catalog.read_chunks(self._rows, missing))

    def chunk_documents(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        """{chunk_id: doc_id} for the given chunks that exist."""
        # A reader that has answered a search keeps the whole map (12 bytes a chunk; 4 ms to load at 11.6k chunks),
        # and then finds a query's ~400 chunks in 0.3 ms instead of 1.2 ms of SQL (labour-docs). A one-shot search
        # makes one lookup and stays on SQL.
        self._owner_lookups += 1
        if self._owners is None and self._owner_lookups > 1:
            self._owners = catalog.ChunkOwners(self._rows("SELECT chunk_id, doc_id FROM chunks ORDER BY chunk_id"))
        if self._owners is not None:
            return self._owners.of(chunk_ids)
        sql = "SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({marks})"
        return {int(r[0]): r[1] for r in catalog.rows_in(self._rows, sql, (int(c) for c in chunk_ids))}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in reading order."""
        rows = self._rows(f"SELECT {catalog.CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        return [catalog.chunk_from_row(r) for r in rows]

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> list[int]:
        """The chunk ids of these documents."""
        return [int(r[0]) for r in catalog.rows_in(self._rows, "SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", doc_ids)]

    def all_chunks(self) -> Iterator[Chunk]:
        """Every chunk, by chunk id."""
        for row in self._rows(f"SELECT {catalog.CHUNK_COLUMNS} FROM chunks ORDER BY chunk_id"):
            yield catalog.chunk_from_row(row)

    # -- filters and facets -------------------------------------------------------------------------------
    def documents_matching(self, filters: Filters) -> set[str] | None:
        """Doc ids that pass normalised filters (kb/search/filters.py); None when there are none (all pass)."""
        if not filters:
            return None
        where, params = catalog.filter_sql(filters)
        return {r[0] for r in self._rows(f"SELECT d.doc_id FROM documents d WHERE {where}", params)}

    def facet_counts(self, doc_ids: Sequence[str] | None, fields: Sequence[str]) -> dict[str, dict[str, int]]:
        """{field: {value: number of documents}} over these documents (None: the whole index), unsorted."""
        # As chunk_documents: a reader that has counted once keeps every document's values (kept.FacetTable).
        self._facet_lookups += 1
        if self._facets is None and self._facet_lookups > 1:
            self._facets = kept.FacetTable(self._rows("SELECT doc_id, field, value FROM facets"))
        if self._facets is not None and self._facets.exact:
            return self._facets.counts(doc_ids, fields)
        return catalog.facet_counts(self._rows, doc_ids, fields)

    def facet_fields(self) -> set[str]:
        """The names of the facets the index's documents carry (type, language, topic, country, ...)."""
        return {r[0] for r in self._rows("SELECT DISTINCT field FROM facets")}

    # -- counts, info, integrity ----------------------------------------------------------------------------
    @cached_property
    def chunk_count(self) -> int:
        return self.counts()[1]

    @cached_property
    def _counts(self) -> tuple[int, int]:
        row = self._rows("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)")[0]
        return int(row[0]), int(row[1])

    def counts(self) -> tuple[int, int]:
        """(documents, chunks), counted once: a snapshot never changes."""
        return self._counts

    def info(self) -> IndexInfo:
        """What `kb info` shows."""
        from kb.ingest_records import IndexInfo  # a search never makes one (kb/ingest_records.py)

        documents, chunks = self.counts()
        size = sum(f.stat().st_size for f in self.snapshot_dir.rglob("*") if f.is_file())
        model = self.manifest.model
        types = {r[0]: r[1] for r in self._rows("SELECT type, count(*) FROM documents GROUP BY type ORDER BY 2 DESC")}
        return IndexInfo(
            index_dir=str(self.index_dir), documents=documents, chunks=chunks, model=model.name,
            model_hash=model.sha256, dimension=int(model.dimension), schema_version=self.manifest.schema_version,
            size_bytes=size, created_at=self.manifest.created_at, updated_at=self.manifest.updated_at,
            snapshot=self.snapshot, chunker=dict(self.manifest.chunker), types=types, index=self.index_spec.to_dict(),
        )

    def check_integrity(self) -> list[str]:
        """What is inconsistent in this snapshot (empty when nothing): SQLite's own check, orphan chunks, and
        chunks missing from the keyword index or the vectors, or there without a chunk, and the vector index's own
        files that searches work around (a flat screen that cannot be read)."""
        import numpy as np

        problems = []
        if self._rows("PRAGMA integrity_check")[0][0] != "ok":
            problems.append("SQLite integrity_check failed")
        orphans = self._rows("SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)")[0][0]
        if orphans:
            problems.append(f"{orphans} chunks without their document")
        chunk_ids = {int(r[0]) for r in self._rows("SELECT chunk_id FROM chunks")}
        keyword_ids = self.keyword.chunk_ids()
        if keyword_ids != chunk_ids:
            problems.append(f"{len(keyword_ids)} keyword rows for {len(chunk_ids)} chunks")
        try:
            self.vectors.get(np.asarray(sorted(chunk_ids), dtype="int64"))
        except KeyError:
            problems.append("some chunks have no vector")
        if len(self.vectors) != len(chunk_ids):
            problems.append(f"{len(self.vectors)} vectors for {len(chunk_ids)} chunks")
        return problems + self.vectors.problems()
