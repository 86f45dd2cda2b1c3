"""Ingest: discover -> plan -> prepare (on an executor) -> apply, then report.

Each stage hands the next plain records: `discover` finds files and their digests, `plan` diffs them
against the index (pure), an executor runs `prepare` (load, chunk, embed; picklable in and out) where
it is told to, and `apply`, the one writer, tags, writes and commits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from pathlib import Path

from kb.config import Settings
from kb.embed import Embedder, keep_open
from kb.index.store import IndexWriter
from kb.ingest.apply import Checkpoints, StoredVectors, apply
from kb.ingest.chunking import ChunkerSettings
from kb.ingest.discover import content_hash, discover
from kb.ingest.executors import EXECUTORS, Executor, Outcome, executor_for
from kb.ingest.plan import Found, plan
from kb.ingest.prepare import PrepareSettings, PrepareTask, TextRecord, record_digest
from kb.ingest.progress import IngestProgress, Silent
from kb.records import FileFailure, FileWarnings, IngestReport
from kb.topics import Taxonomy, TopicTagger

__all__ = ["IngestProgress", "TextRecord", "content_hash", "discover", "ingest", "ingest_records"]


def ingest(paths: Iterable[Path | str], settings: Settings, embedder: Embedder,
           progress: IngestProgress | None = None) -> IngestReport:
    """Bring the index at settings.index_dir in line with the files under `paths`."""
    discovered = discover([Path(p) for p in paths])
    found = [c.found() for c in discovered.candidates]
    tasks = {f: c.task(f) for c, f in zip(discovered.candidates, found) if f.digest is not None}
    report = _run(found, tasks, discovered.walked_roots, discovered.failures, settings, embedder, progress, executor_for(settings))
    return dataclasses.replace(report, skipped=tuple(discovered.skipped))


def ingest_records(records: Iterable[TextRecord], root: str, settings: Settings, embedder: Embedder,
                   progress: IngestProgress | None = None) -> IngestReport:
    """Bring the index in line with a collection of records; records of `root` not given are removed."""
    found: list[Found] = []
    tasks: dict[Found, PrepareTask] = {}
    for record in records:
        digest = record_digest(record)
        item = Found(record.doc_id, record.doc_id, root, digest)
        found.append(item)
        tasks.setdefault(item, PrepareTask(record.doc_id, record.doc_id, root, digest, record=record))
    return _run(found, tasks, {root}, [], settings, embedder, progress, EXECUTORS["inline"](settings))


def _prepare_settings(settings: Settings, embedder: Embedder) -> PrepareSettings:
    """What every prepare needs, with the model as its spec (kept open here for the stages that run here)."""
    chunker = ChunkerSettings(chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap,
                              max_seq_length=embedder.max_seq_length)
    return PrepareSettings(chunker=chunker, max_file_bytes=settings.max_file_bytes, model=keep_open(embedder),
                           batch_size=embedder.batch_size, threads=settings.threads or None)


def _run(found: Sequence[Found], tasks: Mapping[Found, PrepareTask], walked_roots: set[str], failures: list[FileFailure],
         settings: Settings, embedder: Embedder, progress: IngestProgress | None, executor: Executor) -> IngestReport:
    """Plan against the index, prepare what changed on `executor`, apply it. `tasks`: what to prepare for each found."""
    started = time.perf_counter()
    progress = progress or Silent()
    prepare_settings = _prepare_settings(settings, embedder)
    tagger = TopicTagger(Taxonomy.load(settings.topics_path), embedder)
    with IndexWriter(settings.index_dir, prepare_settings.model, prepare_settings.chunker.as_dict(),
                     tagger.taxonomy.describe(), index_kind=settings.index_kind,
                     keyword_engine=settings.keyword_engine, snapshot_grace=settings.snapshot_grace_seconds) as writer:
        todo = plan(found, writer.known_documents(), walked_roots, writer.chunker_changed)
        progress.start(len(found))
        for skipped in (*todo.unchanged, *(f.path for f in todo.unreadable)):
            progress.file_done(skipped, 0)
        warned: list[FileWarnings] = []
        outcomes = _noting_warnings(executor.run([tasks[f] for f in todo.prepare], prepare_settings,
                                                 StoredVectors(writer, todo.reuse), progress), warned)
        with contextlib.closing(outcomes):  # an error while writing stops the readers at once
            applied = apply(writer, todo, outcomes, tagger, Checkpoints(settings.checkpoint_chunks, settings.checkpoint_seconds))
        progress.finish()
    return IngestReport(
        index_dir=str(settings.index_dir),
        added=tuple(sorted(applied.added)),
        updated=tuple(sorted(applied.updated)),
        unchanged=todo.unchanged,
        removed=todo.remove,
        failed=(*failures, *todo.failures, *applied.failed),
        chunks_embedded=applied.chunks_embedded,
        seconds=round(time.perf_counter() - started, 3),
        warnings=tuple(sorted(warned, key=lambda w: w.path)),
    )


def _noting_warnings(outcomes: Generator[Outcome, None, None], warned: list[FileWarnings]) -> Generator[Outcome, None, None]:
    """The outcomes as they come, noting in `warned` what the parsers said about each document read."""
    with contextlib.closing(outcomes):  # closing this closes the executor's run
        for outcome in outcomes:
            if outcome.document is not None and outcome.document.warnings:
                warned.append(FileWarnings(outcome.task.label, outcome.document.warnings))
            yield outcome
