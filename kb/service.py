"""KnowledgeBase: the one object the CLI and the API call."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from kb.config import MAX_K, MAX_QUERY_CHARS, Settings
from kb.embed import Embedder
from kb.errors import IndexMismatch, QueryError
from kb.index.search import MODES, rank_documents, run_search
from kb.index.store import IndexReader
from kb.records import Document, Filters, IndexInfo, IngestReport, SearchResult


class KnowledgeBase:
    """Ingest files into an index and search it. Thread-safe for searching."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._embedder = embedder
        self._reader: IndexReader | None = None
        self._lock = threading.Lock()

    # -- the model ----------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder for this index: the one it was built with, so queries match documents."""
        if self._embedder is None:
            self._embedder = Embedder(self.settings.model, self.settings.batch_size)
        return self._embedder

    def _query_embedder(self, reader: IndexReader) -> Embedder:
        model = reader.manifest["model"]
        embedder = self.embedder
        if embedder.path != model.get("path") and embedder.model_hash != model.get("sha256"):
            raise IndexMismatch(
                f"The index at {self.settings.index_dir} was built with model {model.get('name')!r}; "
                f"this run asks for {embedder.name!r}. Search with the same model (KB_MODEL), or re-ingest."
            )
        return embedder

    # -- reading ------------------------------------------------------------------------------
    def reader(self) -> IndexReader:
        """The current snapshot, reopened when an ingest has replaced it since the last call."""
        with self._lock:
            if self._reader is None or not self._reader.is_current():
                fresh = IndexReader(self.settings.index_dir)
                self._reader = fresh  # the old reader is left to the garbage collector: a search may still use it
            return self._reader

    def info(self) -> IndexInfo:
        """Documents, chunks, model and freshness of the index."""
        return self.reader().info()

    def document(self, doc_id: str) -> Document:
        """One document's metadata; DocumentNotFound when the id is unknown."""
        return self.reader().document(doc_id)

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        """The k best documents for a question, each with its best passages."""
        query = " ".join((query or "").split())
        if not query:
            raise QueryError("The query is empty. Ask a question, e.g. kb search \"apprenticeships for women\"")
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"The query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}.")
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K} (got {k}).")
        if mode not in MODES:
            raise QueryError(f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
        reader = self.reader()
        encode = self._query_embedder(reader).encode if mode != "keyword" else None
        return run_search(reader, query, k=k, mode=mode, filters=filters or Filters(), encode=encode)

    def rank(self, query: str, k: int = 100, mode: str = "hybrid", filters: Filters | None = None) -> list[str]:
        """Ids of the k best documents, without passages: for evaluations and batch jobs."""
        reader = self.reader()
        encode = self._query_embedder(reader).encode if mode != "keyword" else None
        return rank_documents(reader, query, k=k, mode=mode, filters=filters or Filters(), encode=encode)

    # -- writing ------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], progress=None) -> IngestReport:
        """Bring the index in line with the files under `paths` (added, updated, removed)."""
        from kb.ingest.pipeline import ingest

        report = ingest(paths, self.settings, self.embedder, progress)
        return report



