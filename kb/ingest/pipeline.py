"""Ingest: discover files, skip the unchanged, load, chunk, embed, write one snapshot, report."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from kb.config import Settings
from kb.embed import Embedder
from kb.errors import LoadError
from kb.index.store import IndexWriter
from kb.ingest.chunking import ChunkerSettings, chunk_document, embedding_input
from kb.ingest.loaders import is_supported, loader_for
from kb.ingest.metadata import build_document, detect_language, sidecar_path
from kb.ingest.workers import LoaderPool, load_inline
from kb.topics import Taxonomy, TopicTagger
from kb.records import Chunk, Document, FileFailure, IngestReport, LoadedFile, Section

log = logging.getLogger(__name__)


class IngestProgress(Protocol):
    """What the pipeline tells a progress display; the CLI draws it, the library ignores it.

    Files are read while earlier ones are embedded, so the number of chunks to embed grows as
    `file_done` reports them.
    """

    def start(self, files: int) -> None: ...
    def file_done(self, path: str, chunks: int) -> None: ...
    def embedded(self, chunks: int) -> None: ...
    def finish(self) -> None: ...


class _Silent:
    def start(self, files: int) -> None: ...
    def file_done(self, path: str, chunks: int) -> None: ...
    def embedded(self, chunks: int) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class _Candidate:
    root: Path
    path: Path
    rel: Path
    walked: bool  # found by walking a folder (so a missing file later means "removed")


def discover(paths: Sequence[Path]) -> tuple[list[_Candidate], list[FileFailure], set[str]]:
    """Supported files under the given paths, failures for paths that cannot be used, and walked roots."""
    found: list[_Candidate] = []
    failures: list[FileFailure] = []
    walked_roots: set[str] = set()
    for given in paths:
        path = Path(given).expanduser()
        if path.is_file():
            resolved = path.resolve()
            found.append(_Candidate(resolved.parent, resolved, Path(resolved.name), walked=False))
            continue
        if not path.is_dir():
            failures.append(FileFailure(str(given), "not_found", "no such file or folder"))
            continue
        root = path.resolve()
        walked_roots.add(str(root))
        for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda e: failures.append(
                FileFailure(str(e.filename), "unreadable", f"folder cannot be read: {e.strerror}"))):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in sorted(files):
                if name.startswith(".") or name.endswith(".meta.json"):
                    continue
                file = Path(folder) / name
                if not is_supported(file):
                    continue
                if file.is_symlink():
                    target = Path(os.path.realpath(file))  # realpath never raises on a loop, unlike resolve()
                    if not os.path.exists(file):
                        failures.append(FileFailure(str(file), "broken_link", "symlink that loops or points nowhere"))
                        continue
                    if not target.is_relative_to(root):
                        failures.append(FileFailure(str(file), "outside_root", "symlink to a file outside the ingested folder; not followed"))
                        continue
                found.append(_Candidate(root, file, file.relative_to(root), walked=True))
    return found, failures, walked_roots


def content_hash(path: Path) -> str:
    """sha256 of the file and of its sidecar metadata, so a metadata edit counts as a change."""
    digest = hashlib.sha256()
    for part in (path, sidecar_path(path)):
        if part is None:
            continue
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\x00")
    return digest.hexdigest()


def _load(candidate: _Candidate, digest: str, settings: Settings, chunker: ChunkerSettings,
          embedder: Embedder) -> tuple[Document, list[Chunk]]:
    size = candidate.path.stat().st_size
    if size == 0:
        raise LoadError("empty file (0 bytes)")
    if size > settings.max_file_bytes:
        raise LoadError(f"file is {size / 2**20:.0f} MB, over the {settings.max_file_bytes / 2**20:.0f} MB limit (KB_MAX_FILE_MB)")
    loaded = loader_for(candidate.path)(candidate.path)
    doc = build_document(candidate.path, candidate.rel, loaded, digest, source=str(candidate.path))
    chunks = chunk_document(doc.doc_id, doc.title, loaded.sections, chunker, embedder.count_tokens)
    if not chunks:
        raise LoadError("no text left after cleaning")
    return doc, chunks


def _embed(docs: Sequence[tuple[Document, list[Chunk], str]], embedder: Embedder, progress: IngestProgress,
           known: Mapping[str, Mapping[tuple[str, tuple[str, ...], str], Any]]) -> tuple[list, int]:
    """Vectors for every chunk of `docs`, one array per document, and how many were computed.

    A chunk whose document already had one made from the same title, heading path and text (`known`,
    by doc id) keeps that vector: an edited file re-embeds only its changed chunks, a moved one none.
    The rest are embedded in length-sorted batches, so little of each batch is padding.
    """
    import numpy as np

    total = sum(len(chunks) for _, chunks, _ in docs)
    vectors = np.zeros((total, embedder.dimension), dtype="float32")
    inputs: dict[int, str] = {}
    row = 0
    for doc, chunks, _ in docs:
        stored = known.get(doc.doc_id, {})
        for chunk in chunks:
            vector = stored.get((doc.title, tuple(chunk.heading_path), chunk.text))
            if vector is None:
                inputs[row] = embedding_input(chunk.context, chunk.text)
            else:
                vectors[row] = vector
            row += 1
    if total > len(inputs):
        progress.embedded(total - len(inputs))
    order = sorted(inputs, key=lambda i: len(inputs[i]))
    step = max(embedder.batch_size * 2, 32)
    for start in range(0, len(order), step):
        batch = order[start:start + step]
        vectors[batch] = embedder.encode([inputs[i] for i in batch])
        progress.embedded(len(batch))
    out = []
    offset = 0
    for _, chunks, _ in docs:
        out.append(vectors[offset:offset + len(chunks)])
        offset += len(chunks)
    return out, len(inputs)


@dataclass(frozen=True)
class TextRecord:
    """A document given as data rather than a file (a BEIR corpus line, an API payload)."""

    doc_id: str
    title: str
    text: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Source:
    """One document to bring in, however it arrives: its id, where it came from, how to load it."""

    doc_id: str
    label: str  # what a failure names: the file path, or the record's id
    root: str
    digest: Callable[[], str]
    load: Callable[[str], tuple[Document, list[Chunk]]]


def _file_sources(candidates: list[_Candidate], settings: Settings, chunker: ChunkerSettings,
                  embedder: Embedder) -> list[_Source]:
    return [
        _Source(
            doc_id=c.rel.as_posix(), label=str(c.path), root=str(c.root),
            digest=lambda c=c: content_hash(c.path),
            load=lambda digest, c=c: _load(c, digest, settings, chunker, embedder),
        )
        for c in candidates
    ]


def _record_sources(records: Iterable[TextRecord], root: str, chunker: ChunkerSettings,
                    embedder: Embedder) -> list[_Source]:
    def load(record: TextRecord, digest: str) -> tuple[Document, list[Chunk]]:
        if not record.text.strip():
            raise LoadError("the record has no text")
        loaded = LoadedFile(title=record.title or None, sections=(Section(text=record.text),), format="record",
                            metadata=record.metadata)
        doc = build_document(Path(record.doc_id), Path(record.doc_id), loaded, digest, source=f"{root}#{record.doc_id}",
                             sidecar=False)
        return doc, chunk_document(doc.doc_id, doc.title, loaded.sections, chunker, embedder.count_tokens)

    def digest(record: TextRecord) -> str:
        payload = json.dumps([record.title, record.text, record.metadata], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    return [
        _Source(doc_id=r.doc_id, label=r.doc_id, root=root, digest=lambda r=r: digest(r), load=lambda d, r=r: load(r, d))
        for r in records
    ]


def _prepare_readers() -> None:
    """Import the parsers and load the language model (~160 MB) before forking reader processes: they
    share those pages, start at once, and their memory limit then counts only what a file needs."""
    import lxml.html  # noqa: F401
    import pypdf  # noqa: F401
    import trafilatura  # noqa: F401

    detect_language("A sample sentence, long enough for the language model to load.")


def _with_topics(doc: Document, auto: tuple[str, ...]) -> Document:
    """The document with its automatic topics added to those its metadata gave."""
    given = tuple(doc.metadata.get("topics", ()))
    metadata = dict(doc.metadata)
    metadata["topics"] = tuple(dict.fromkeys([*given, *auto]))
    metadata["topics_auto"] = auto
    if not metadata["topics"]:
        del metadata["topics"]
    return replace(doc, metadata=metadata)


def _chunker(settings: Settings, embedder: Embedder) -> ChunkerSettings:
    return ChunkerSettings(
        chunk_tokens=settings.chunk_tokens,
        overlap_tokens=settings.chunk_overlap,
        max_seq_length=embedder.max_seq_length,
    )


def ingest(paths: Iterable[Path | str], settings: Settings, embedder: Embedder,
           progress: IngestProgress | None = None) -> IngestReport:
    """Bring the index at settings.index_dir in line with the files under `paths`."""
    candidates, failures, walked_roots = discover([Path(p) for p in paths])
    chunker = _chunker(settings, embedder)
    sources = _file_sources(candidates, settings, chunker, embedder)
    return _run(sources, walked_roots, failures, settings, chunker, embedder, progress, parallel=settings.workers > 0)


def ingest_records(records: Iterable[TextRecord], root: str, settings: Settings, embedder: Embedder,
                   progress: IngestProgress | None = None) -> IngestReport:
    """Bring the index in line with a collection of records; records of `root` not given are removed."""
    chunker = _chunker(settings, embedder)
    sources = _record_sources(records, root, chunker, embedder)
    return _run(sources, {root}, [], settings, chunker, embedder, progress, parallel=False)


# Chunks gathered before they are embedded and written: enough for length sorting to pay, few enough to
# keep memory flat and the progress bar moving.
EMBED_BLOCK = 256


def _run(sources: list[_Source], walked_roots: set[str], failures: list[FileFailure], settings: Settings,
         chunker: ChunkerSettings, embedder: Embedder, progress: IngestProgress | None, parallel: bool) -> IngestReport:
    started = time.perf_counter()
    progress = progress or _Silent()
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    embedded = 0

    tagger = TopicTagger(Taxonomy.load(settings.topics_path), embedder)
    with IndexWriter(settings.index_dir, embedder.describe(), chunker.as_dict(), tagger.taxonomy.describe(),
                     index_kind=settings.index_kind) as writer:
        known = writer.known_documents()
        redo_all = writer.chunker_changed
        seen: set[str] = set()
        to_load: list[tuple[_Source, str]] = []
        progress.start(len(sources))
        for source in sources:
            if source.doc_id in seen:
                failures.append(FileFailure(source.label, "duplicate_id", f"another ingested file already has the id {source.doc_id!r}"))
                continue
            seen.add(source.doc_id)
            try:
                digest = source.digest()
            except OSError as exc:
                failures.append(FileFailure(source.label, "unreadable", f"{type(exc).__name__}: {exc}"))
                progress.file_done(source.doc_id, 0)
                continue
            if source.doc_id in known and known[source.doc_id][0] == digest and not redo_all:
                unchanged.append(source.doc_id)
                progress.file_done(source.doc_id, 0)
                continue
            to_load.append((source, digest))

        removed = sorted(d for d, (_, root) in known.items() if root in walked_roots and d not in seen)
        # Where a file's earlier chunk vectors may be reused: its own id when it changed, or the id of a
        # removed file with the same content when it was moved or renamed (removed only after the writing).
        # A new chunker may cut or label chunks differently: then everything is embedded afresh.
        removed_by_digest = {known[d][0]: d for d in removed}
        reuse = {} if redo_all else {
            source.doc_id: source.doc_id if source.doc_id in known else removed_by_digest[digest]
            for source, digest in to_load if source.doc_id in known or digest in removed_by_digest
        }

        def write(block: list[tuple[Document, list[Chunk], str]]) -> int:
            stored = {doc.doc_id: writer.vectors_by_input(reuse[doc.doc_id]) for doc, _, _ in block if doc.doc_id in reuse}
            vectors_of_block, computed = _embed(block, embedder, progress, stored)
            for (doc, chunks, root), vectors in zip(block, vectors_of_block):
                if doc.doc_id in known:
                    writer.remove_documents([doc.doc_id])
                text = " ".join(c.text for c in chunks)
                writer.add_document(_with_topics(doc, tagger.assign(vectors, text)), root, chunks, vectors)
            return computed

        def load(i: int) -> tuple[Document, list[Chunk]]:
            source, digest = to_load[i]
            return source.load(digest)

        # Workers are forked after to_load exists: only its indices travel to them.
        if parallel and len(to_load) > 1:
            _prepare_readers()
            pool = LoaderPool(load, settings.workers, settings.file_timeout, settings.worker_memory_mb)
            outcomes = pool.run(range(len(to_load)))
        else:
            outcomes = load_inline(load, range(len(to_load)))
        block: list[tuple[Document, list[Chunk], str]] = []
        with contextlib.closing(outcomes):  # an error below stops the reader processes at once
            for outcome in outcomes:
                source, _ = to_load[outcome.item]
                if not outcome.ok:
                    failures.append(FileFailure(source.label, outcome.code, outcome.reason))
                    progress.file_done(source.doc_id, 0)
                    continue
                doc, chunks = outcome.value
                (updated if doc.doc_id in known else added).append(doc.doc_id)
                progress.file_done(doc.doc_id, len(chunks))
                block.append((doc, chunks, source.root))
                if sum(len(c) for _, c, _ in block) >= EMBED_BLOCK:
                    embedded += write(block)
                    block = []
        if block:
            embedded += write(block)
        writer.remove_documents(removed)

        # A new taxonomy re-tags every stored document this run does not replace, whichever folder it came from.
        replaced = set(updated) | set(removed)
        retag = [d for d in known if d not in replaced] if writer.topics_changed else []
        for doc_id in retag:  # re-tag from the stored vectors: no re-embedding
            given = writer.given_topics(doc_id)
            auto = tagger.assign(writer.vectors_of(doc_id), writer.text_of(doc_id))
            writer.set_topics(doc_id, tuple(dict.fromkeys([*given, *auto])), auto)
        if added or updated or removed or retag:
            writer.commit()
        progress.finish()

    return IngestReport(
        index_dir=str(settings.index_dir),
        added=tuple(sorted(added)),
        updated=tuple(sorted(updated)),
        unchanged=tuple(unchanged),
        removed=tuple(removed),
        failed=tuple(failures),
        chunks_embedded=embedded,
        seconds=round(time.perf_counter() - started, 3),
    )
