"""KnowledgeBase: the one object the CLI and the API call."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kb import languages
from kb.cache import LRU
from kb.config import DEFAULT_BROWSE_K, DEFAULT_K, DEFAULT_MODE, DENSE_MODES, MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MODES, Settings
from kb.embed import Embedder, load_embedder, resolve_model
from kb.errors import DocumentNotFound, IndexMismatch, QueryError
from kb.index.store import IndexReader, Manifest, read_manifest
from kb.records import Document, Filters, Hit, ModelSpec, SearchResult
from kb.resolve import ALWAYS_FIELDS, document_file, document_id, known_values, shown_document, shown_report, shown_result
from kb.search import allowed_documents, facet_counts, rank_documents, run_search, similar_documents
from kb.search.filters import KnownValues, describe, resolve
from kb.search.kinds import listing
from kb.search.query import Encode, read_question
from kb.turns import Turns

if TYPE_CHECKING:
    from kb.ingest_records import IndexInfo, IngestReport


def _same_model(mine: dict, recorded: ModelSpec) -> bool:
    return (mine.get("path"), mine.get("backend"), mine.get("precision")) == (recorded.path, recorded.backend, recorded.precision)


def _checked_query(query: str, k: int, mode: str, offset: int) -> str:
    """The query with its whitespace normalised; QueryError when it, k, mode or offset cannot be searched."""
    query = " ".join((query or "").split())
    if not query:
        raise QueryError("The query is empty: ask a question, e.g. \"apprenticeships for women\".")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"The query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}.")
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K} (got {k}).")
    if mode not in MODES:
        raise QueryError(f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET} (got {offset}).")
    return query


def _result_key(reader: IndexReader, query: str, k: int, mode: str, filters: Filters, offset: int) -> tuple[object, ...]:
    # Keyed by snapshot: a new snapshot is never answered from an old one's results.
    return (reader.snapshot, query, k, offset, mode, repr(filters))


# Cores one query's embedding may use: a query is a few tokens, and a server runs many at once.
QUERY_THREADS = 1


class KnowledgeBase:
    """Ingest files into an index and search it. Thread-safe for searching."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None, one_shot: bool = False) -> None:
        """`one_shot`: this process asks a question or two and exits (a `kb search`), so the query model is
        opened the quickest way rather than the way that answers many questions fastest."""
        self.settings = settings or Settings.from_env()
        self._embedder = embedder
        self._one_shot = one_shot
        self._reader: IndexReader | None = None
        self._query_embedders: dict[str, Embedder] = {}
        self._known: tuple[str, KnownValues] | None = None  # what filters may name, by snapshot
        self._lock = threading.Lock()
        self._embed_turns, self._search_turns = Turns(), Turns()  # an uncached search's two stretches
        # Recent results, keyed by snapshot: a new snapshot is never answered from an old one's results.
        self._results = LRU(self.settings.result_cache)

    # -- the model ----------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder that ingest uses: the model, backend and precision of the settings."""
        if self._embedder is None:
            s = self.settings
            self._embedder = load_embedder(s.model, s.backend, s.precision, s.batch_size, threads=s.threads or None)
        return self._embedder

    def _query_embedder(self, reader: IndexReader) -> Embedder:
        """Queries are embedded exactly as the index's documents were: same model, backend and precision."""
        model = reader.manifest.model
        if self._embedder is not None and _same_model(self._embedder.describe_light(), model):
            return self._embedder
        key = f"{model.sha256}/{model.backend}/{model.precision}"
        cached = self._query_embedders.get(key)
        if cached is None:
            wanted = self.settings.model
            known = {model.name, model.path}
            if wanted not in known and resolve_model(wanted) not in known:
                raise IndexMismatch(
                    f"The index at {self.settings.index_dir} was built with model {model.name!r}; "
                    f"this run asks for {wanted!r}. Search with the same model (KB_MODEL), or re-ingest."
                )
            cached = load_embedder(model.source(), model.backend or "torch", model.precision or "fp32",
                                   self.settings.batch_size, threads=QUERY_THREADS, one_shot=self._one_shot)
            self._query_embedders = {key: cached}  # a new snapshot by the same model keeps the loaded one
        return cached

    # -- reading ------------------------------------------------------------------------------
    def reader(self) -> IndexReader:
        """The current snapshot, reopened when an ingest has replaced it since the last call."""
        reader = self._reader
        if reader is not None and reader.is_current():  # every request asks: no lock on this path
            return reader
        with self._lock:
            if self._reader is None or not self._reader.is_current():
                fresh = IndexReader(self.settings.index_dir)
                self._reader = fresh  # the old reader is left to the garbage collector: a search may still use it
            return self._reader

    def info(self) -> IndexInfo:
        """Documents, chunks, model and freshness of the index."""
        return self.reader().info()

    def document(self, doc_id: str) -> Document:
        """One document's metadata (`doc_id` as document_id takes it); DocumentNotFound when it names none."""
        reader = self.reader()
        return self._shown(reader, reader.document(self.document_id(doc_id)))

    def document_id(self, ref: str) -> str:
        """The id of the document `ref` names: an id, a path under an ingested root, or a path relative to the
        working folder or absolute (as a shell completes it); DocumentNotFound, suggesting close ids, otherwise."""
        return document_id(self.reader(), ref, Path.cwd())

    def resolve_filters(self, filters: Filters | None) -> Filters:
        """The filters in the index's own values ('Tool Report' -> tool_report, 'Ghana' -> GH, a topic's label or
        singular -> its id); UnknownFilter, naming the closest known ones, for a field or value the index lacks."""
        return resolve(filters, self._known_values(self.reader())) if filters else Filters()

    def _known_values(self, reader: IndexReader) -> KnownValues:
        known = self._known
        if known is None or known[0] != reader.snapshot:
            known = self._known = (reader.snapshot, known_values(reader, self.settings.topics_path))
        return known[1]

    def keys_ready(self) -> bool:
        """Whether search_key needs no snapshot opened, nor what filters may name read (else the API runs open_snapshot
        in a thread first: its event loop never waits on the index)."""
        reader, known = self._reader, self._known
        return reader is not None and known is not None and known[0] == reader.snapshot and reader.is_current()

    def open_snapshot(self) -> None:  # the current snapshot, opened, and what filters may name in it read (keys_ready)
        self._known_values(self.reader())

    def _shown(self, reader: IndexReader, record):
        """A result or document with its sources relative to their roots, unless the settings want them absolute."""
        if self.settings.absolute_sources:
            return record
        return (shown_result if isinstance(record, SearchResult) else shown_document)(record, reader.roots)

    def search_key(self, query: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE, filters: Filters | None = None,
                   offset: int = 0, query_language: str | None = None, correct: bool = True) -> tuple[object, ...]:
        """What names a search's answer: the snapshot and the request, normalised; QueryError when it is not valid.

        Searches with equal keys have equal answers, so a caller may keep its own rendering of one under it."""
        query = _checked_query(query, k, mode, offset)
        language = languages.check(query_language)
        return (*_result_key(self.reader(), query, k, mode, self.resolve_filters(filters), offset), language, correct)

    def search(self, query: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE, filters: Filters | None = None,
               offset: int = 0, query_language: str | None = None, correct: bool = True) -> SearchResult:
        """The k best documents for a question after the first `offset` (paging), each with its best passages.
        The question is matched in `query_language` (en, fr, es, it, nl), else in the language detected; its
        misspelt words are searched corrected unless `correct` is False (kb/search/spelling.py)."""
        query = _checked_query(query, k, mode, offset)
        language = languages.check(query_language)
        reader = self.reader()
        filters = self.resolve_filters(filters)
        key = (*_result_key(reader, query, k, mode, filters, offset), language, correct)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        question = read_question(reader, query, language, correct)  # embedded as searched: corrected, once
        result = listing(query, question, filters, lambda only: self.browse(only, k, offset))  # "press releases"
        if result is None:
            encode = self._embedded(reader, question.meaning) if mode in DENSE_MODES and question.terms else None
            with self._search_turns:
                result = run_search(reader, query, k=k + offset, mode=mode, filters=filters, encode=encode,
                                    model_languages=self.settings.model_languages, question=question)
                result = self._shown(reader, dataclasses.replace(result, k=k, hits=result.hits[offset:]))
        self._results.put(key, result)
        return result

    def _embedded(self, reader: IndexReader, query: str) -> Encode:
        """The question embedded now, in its turn (kb/turns.py), as an `encode` that gives its vector back."""
        embedder = self._query_embedder(reader)
        with self._embed_turns:
            vector = embedder.encode([query])
        return lambda texts: vector if texts == [query] else embedder.encode(texts)

    def similar(self, doc_id: str, k: int = DEFAULT_K, filters: Filters | None = None) -> SearchResult:
        """More like this: the documents whose passages are closest to this document's."""
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K} (got {k}).")
        reader = self.reader()
        found = similar_documents(reader, self.document_id(doc_id), k=k, filters=self.resolve_filters(filters))
        return self._shown(reader, found)

    def browse(self, filters: Filters | None = None, k: int = DEFAULT_BROWSE_K, offset: int = 0) -> SearchResult:
        """Documents without a query, newest first, with facet counts over all that match the filters."""
        started = time.perf_counter()
        reader = self.reader()
        filters = self.resolve_filters(filters)
        allowed = allowed_documents(reader, filters)
        documents = [d for d in reader.all_documents() if allowed is None or d.doc_id in allowed]
        hits = tuple(Hit(doc_id=d.doc_id, title=d.title, type=d.type, date=d.date, language=d.language, source=d.source,
                         score=0.0, score_kind="none", passages=(), metadata=d.metadata) for d in documents[offset:offset + k])
        return self._shown(reader, SearchResult(
            query="", mode="browse", k=k, hits=hits, confident=True,
            facets=facet_counts(reader, None if allowed is None else [d.doc_id for d in documents]),
            took_ms=round((time.perf_counter() - started) * 1000, 1), filters=describe(filters), total=len(documents),
        ))

    def topics(self) -> list[dict[str, object]]:
        """The taxonomy's topics with how many documents carry each (and topics only documents name)."""
        from kb.topics import listing  # the taxonomy's reader: not for a `kb search`
        return listing(self.settings.topics_path, self.facets().get("topic", {}))

    def facet_fields(self) -> set[str]:
        """The facet names documents of the index carry, and those every index can filter on (resolve.ALWAYS_FIELDS: an
        index whose documents carry none simply has none that pass); each can filter a search."""
        return self.reader().facet_fields() | set(ALWAYS_FIELDS)

    def facets(self) -> dict[str, dict[str, int]]:
        """Document counts per facet value over the whole index."""
        return facet_counts(self.reader(), None)

    def outline(self, doc_id: str) -> list[dict[str, object]]:
        """Where the document's text lives: pages and headings in reading order, with chunk counts."""
        outline: list[dict[str, object]] = []
        for chunk in self.reader().chunks_of(self.document_id(doc_id)):
            key = {"page": chunk.page, "page_label": chunk.page_label, "heading_path": list(chunk.heading_path)}
            if outline and all(outline[-1][f] == v for f, v in key.items()):
                outline[-1]["chunks"] += 1  # type: ignore[operator]
            else:
                outline.append({**key, "chunks": 1})
        return outline

    def document_file(self, doc_id: str) -> Path:
        """The original file of a document, only from inside the folder it was ingested from."""
        return document_file(self.reader(), self.document_id(doc_id))

    def reindex(self, engine: str | None = None) -> Manifest:
        """Rebuild the keyword index from the stored chunks (kb/index/reindex.py), in `engine` if given."""
        from kb.index.reindex import reindex

        return reindex(self.settings.index_dir, engine, self.settings.snapshot_grace_seconds)

    def delete(self, doc_id: str) -> None:
        """Remove one document from the index, and its file if it was uploaded (add_files); a file still in an
        ingested folder returns on the next ingest."""
        doc_id = self.document_id(doc_id)  # DocumentNotFound when it names none
        try:
            source: Path | None = self.document_file(doc_id)
        except DocumentNotFound:  # a record without a file of its own (a BEIR corpus, a moved folder)
            source = None
        from kb.index.store import IndexWriter  # not loaded by a process that only searches

        manifest = read_manifest(self.settings.index_dir)
        with IndexWriter(self.settings.index_dir, manifest.model, manifest.chunker,
                         snapshot_grace=self.settings.snapshot_grace_seconds) as writer:
            writer.remove_documents([doc_id])
            writer.commit()
        if source is not None:
            from kb.uploads import discard  # the loader registry: not for a `kb search`

            discard(source, self.settings.uploads_folder)

    def rank(self, query: str, k: int = 100, mode: str = DEFAULT_MODE, filters: Filters | None = None,
             correct: bool = False) -> list[str]:
        """Ids of the k best documents, without passages: for evaluations and batch jobs (words as typed unless
        `correct`: nothing would say a word was corrected)."""
        reader = self.reader()
        encode = self._query_embedder(reader).encode if mode in DENSE_MODES else None
        return rank_documents(reader, query, k=k, mode=mode, filters=filters or Filters(), encode=encode, correct=correct)

    # -- writing ------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], progress=None) -> IngestReport:
        """Bring the index in line with the files under `paths` (added, updated, removed)."""
        from kb.ingest.pipeline import ingest

        return ingest(paths, self.settings, self.embedder, progress)

    def add_files(self, files: Iterable[tuple[str, BinaryIO]], max_bytes: int | None = None) -> IngestReport:
        """Keep uploaded (name, stream) files in the uploads folder and ingest them; each name becomes a doc_id.

        Names and sizes (at most `max_bytes`, never over max_file_bytes) are checked first: UploadRefused,
        and nothing stored, when one file cannot be kept."""
        from kb.uploads import store

        limit = min(max_bytes or self.settings.max_file_bytes, self.settings.max_file_bytes)
        report = self.ingest(store(files, self.settings.uploads_folder, limit))
        return report if self.settings.absolute_sources else shown_report(report, self.settings.uploads_folder)
