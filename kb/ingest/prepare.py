"""Prepare: one document in, its chunks and their vectors out. Picklable in and out.

Two halves, so an executor can place them apart: `read` (load + chunk; it needs only the model's
tokenizer) and `embed` (vectors for the chunks of many documents at once, length-sorted across them).
Nothing here closes over a loaded model: the model travels as a `ModelSpec` in `PrepareSettings` and is
opened where the stage runs, once per process (`kb.embed.open_embedder`). The same calls therefore run
in the ingesting process, in a forked reader, in a spawned process or on a cluster node.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kb.embed import Embedder, open_embedder
from kb.errors import LoadError
from kb.ingest.chunking import ChunkerSettings, chunk_document, embedding_input
from kb.ingest.loaders import MAX_WARNINGS, held_warnings, loader_for
from kb.ingest.metadata import build_document, sidecar_path
from kb.records import Chunk, Document, LoadedFile, ModelSpec, Section

if TYPE_CHECKING:
    import numpy as np

# What a chunk's vector is made from: (document title, heading path, text). The chunker builds the context
# line from the title and heading path alone, so equal keys (same chunker and model) give equal vectors.
InputKey = tuple[str, tuple[str, ...], str]
# Stored vectors a document may reuse, by its doc id: plain arrays, so they can travel to a worker.
ReuseVectors = Mapping[str, Mapping[InputKey, "np.ndarray"]]


@dataclass(frozen=True)
class TextRecord:
    """A document given as data rather than a file (a BEIR corpus line, an API payload)."""

    doc_id: str
    title: str
    text: str
    metadata: dict = field(default_factory=dict)


def record_digest(record: TextRecord) -> str:
    """The content digest of a record: a change to its title, text or metadata counts as a change."""
    payload = json.dumps([record.title, record.text, record.metadata], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class PrepareTask:
    """One document to prepare: a file (path and path under its root) or a record."""

    doc_id: str
    label: str  # what a failure names: the file path, or the record's id
    root: str
    digest: str
    path: str | None = None
    rel: str | None = None  # the path under `root`, which the doc id is made from
    record: TextRecord | None = None


@dataclass(frozen=True)
class PrepareSettings:
    """How documents are prepared: the chunker, the file size limit and the model that embeds."""

    chunker: ChunkerSettings
    max_file_bytes: int
    model: ModelSpec
    batch_size: int  # the embedder's; also sets how many chunks go to one encode call
    threads: int | None = None  # cores per encode where the model is opened afresh; None = all

    def embedder(self) -> Embedder:
        """The model, opened in this process (once)."""
        return open_embedder(self.model, self.batch_size, self.threads)


@dataclass(frozen=True)
class ChunkedDocument:
    """A document read and chunked, not yet embedded."""

    document: Document
    chunks: tuple[Chunk, ...]
    root: str
    warnings: tuple[str, ...] = ()  # what the parsers said while reading the file


# eq=False: a record holding an array has no meaningful ==.
@dataclass(frozen=True, eq=False)
class PreparedDocument:
    """A document ready for the writer: its chunks and one vector per chunk."""

    document: Document
    chunks: tuple[Chunk, ...]
    root: str
    vectors: np.ndarray  # float32, one unit-length row per chunk
    embedded: int  # how many of the vectors were computed (the rest were reused)
    warnings: tuple[str, ...] = ()  # what the parsers said while reading the file


def read(task: PrepareTask, settings: PrepareSettings) -> ChunkedDocument:
    """Load and chunk one document; LoadError (or the loader's error) when it cannot be used.

    What the libraries warn about meanwhile (pypdf's "EOF marker not found") is held back from the terminal and
    kept with the document, or added to the error's message (`loaders.held_warnings`)."""
    count_tokens = settings.embedder().count_tokens
    with held_warnings() as said:
        if task.record is not None:
            doc, sections = _record_document(task, task.record)
        else:
            doc, sections = _file_document(task, settings.max_file_bytes)
        chunks = chunk_document(doc.doc_id, doc.title, sections, settings.chunker, count_tokens)
        if not chunks and task.record is None:
            raise LoadError("no text left after cleaning")
    return ChunkedDocument(doc, tuple(chunks), task.root, tuple(said[:MAX_WARNINGS]))


def _file_document(task: PrepareTask, max_file_bytes: int) -> tuple[Document, tuple[Section, ...]]:
    assert task.path is not None and task.rel is not None
    path = Path(task.path)
    _check_size(path.stat().st_size, max_file_bytes)
    loaded = loader_for(path)(path)
    return build_document(path, Path(task.rel), loaded, task.digest, source=str(path)), loaded.sections


def _check_size(size: int, max_file_bytes: int) -> None:
    if size == 0:
        raise LoadError("empty file (0 bytes)")
    if size > max_file_bytes:
        raise LoadError(f"file is {size / 2**20:.0f} MB, over the {max_file_bytes / 2**20:.0f} MB limit (KB_MAX_FILE_MB)")


@dataclass(frozen=True)
class FileBytes:
    """A file's bytes and its sidecar's, for a worker that cannot see the disk the file is on."""

    name: str
    data: bytes
    sidecar_name: str | None = None
    sidecar: bytes | None = None


def file_bytes(task: PrepareTask, max_file_bytes: int) -> FileBytes:
    """The bytes of a task's file and of its sidecar, read here; LoadError when `read` would refuse the file's size."""
    assert task.path is not None
    path = Path(task.path)
    _check_size(path.stat().st_size, max_file_bytes)
    sidecar = sidecar_path(path)
    return FileBytes(path.name, path.read_bytes(), sidecar.name if sidecar else None, sidecar.read_bytes() if sidecar else None)


def read_bytes(task: PrepareTask, contents: FileBytes, settings: PrepareSettings) -> ChunkedDocument:
    """`read` for a file given as its bytes: written under its own name (and its sidecar's) to a temporary
    folder, so the loaders and the name-derived metadata work as on the file's own disk; the source stays the original path."""
    assert task.path is not None
    with tempfile.TemporaryDirectory(prefix="kb-read-") as folder:
        local = Path(folder) / contents.name
        local.write_bytes(contents.data)
        if contents.sidecar_name is not None and contents.sidecar is not None:
            (Path(folder) / contents.sidecar_name).write_bytes(contents.sidecar)
        chunked = read(replace(task, path=str(local)), settings)
    return replace(chunked, document=replace(chunked.document, source=task.path))


def _record_document(task: PrepareTask, record: TextRecord) -> tuple[Document, tuple[Section, ...]]:
    if not record.text.strip():
        raise LoadError("the record has no text")
    given = {"title": record.title, **record.metadata} if record.title else record.metadata  # kept as the caller gives it
    loaded = LoadedFile(title=record.title or None, sections=(Section(text=record.text),), format="record",
                        metadata=given)
    doc = build_document(Path(record.doc_id), Path(record.doc_id), loaded, task.digest,
                         source=f"{task.root}#{record.doc_id}", sidecar=False)
    return doc, loaded.sections


def embed(docs: Sequence[ChunkedDocument], settings: PrepareSettings, reuse: ReuseVectors,
          on_embedded: Callable[[int], None] | None = None) -> list[PreparedDocument]:
    """Vectors for every chunk of `docs`, computed together in length-sorted batches (little padding).

    A chunk whose key (title, heading path, text) is among its document's `reuse` vectors keeps that
    vector: an edited file re-embeds only its changed chunks, a moved one none. `on_embedded` hears how
    many chunks got their vectors, the reused ones first.
    """
    import numpy as np

    embedder = settings.embedder()
    total = sum(len(d.chunks) for d in docs)
    vectors = np.zeros((total, embedder.dimension), dtype="float32")
    inputs: dict[int, str] = {}
    computed = [0] * len(docs)
    row = 0
    for i, doc in enumerate(docs):
        stored = reuse.get(doc.document.doc_id, {})
        for chunk in doc.chunks:
            vector = stored.get((doc.document.title, tuple(chunk.heading_path), chunk.text))
            if vector is None:
                inputs[row] = embedding_input(chunk.context, chunk.text)
                computed[i] += 1
            else:
                vectors[row] = vector
            row += 1
    report = on_embedded or (lambda n: None)
    if total > len(inputs):
        report(total - len(inputs))
    order = sorted(inputs, key=lambda r: len(inputs[r]))
    step = max(embedder.batch_size * 2, 32)
    for start in range(0, len(order), step):
        batch = order[start:start + step]
        vectors[batch] = embedder.encode([inputs[r] for r in batch])
        report(len(batch))
    out = []
    offset = 0
    for doc, count in zip(docs, computed):
        rows = vectors[offset:offset + len(doc.chunks)]
        out.append(PreparedDocument(doc.document, doc.chunks, doc.root, rows, count, doc.warnings))
        offset += len(doc.chunks)
    return out


def prepare(task: PrepareTask, settings: PrepareSettings, reuse: ReuseVectors) -> PreparedDocument:
    """Load, chunk and embed one document (`read`, then `embed`)."""
    return embed([read(task, settings)], settings, reuse)[0]
