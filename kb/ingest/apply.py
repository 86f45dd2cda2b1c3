"""Apply: the single writer. Tag each prepared document, replace or add it, remove what the plan removes,
re-tag when the taxonomy changed, commit. Runs on the driver, under the index's write lock.

A long run also commits checkpoints between documents (`Checkpoints`): each holds whole documents only, so
a run started again after a kill finds them unchanged and prepares only the rest. Removals and re-tagging
wait for the end, when nothing that a moved or renamed document may reuse is needed any more."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kb.config import CHECKPOINT_MAX_SHARE
from kb.index.store import IndexWriter
from kb.ingest.executors import Outcome
from kb.ingest.plan import Plan
from kb.ingest.prepare import InputKey, PreparedDocument
from kb.records import Document, FileFailure
from kb.topics import TopicTagger

if TYPE_CHECKING:
    import numpy as np


class StoredVectors(Mapping[str, Mapping[InputKey, "np.ndarray"]]):
    """The stored vectors each document to prepare may reuse (`Plan.reuse`), read from the writer only when
    an executor asks for a document's: a block at a time, so memory stays flat."""

    def __init__(self, writer: IndexWriter, sources: Mapping[str, str]) -> None:
        self._writer = writer
        self._sources = sources

    def __getitem__(self, doc_id: str) -> Mapping[InputKey, np.ndarray]:
        return self._writer.vectors_by_input(self._sources[doc_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


@dataclass(frozen=True)
class Checkpoints:
    """When a run commits what it has written so far: once `chunks` chunks were embedded, or `seconds` passed,
    since the last commit, whichever comes first; 0 turns either off. Checked as each prepared document arrives."""

    chunks: int = 0
    seconds: float = 0.0
    max_share: float = CHECKPOINT_MAX_SHARE

    def due(self, embedded: int, elapsed: float, last_took: float = 0.0) -> bool:
        """True when `embedded` chunks written over `elapsed` seconds call for a checkpoint, and the last one
        (which took `last_took` seconds) is far enough behind for checkpoints to stay under `max_share` of the run."""
        wanted = bool(self.chunks and embedded >= self.chunks) or bool(self.seconds and elapsed >= self.seconds)
        return wanted and elapsed >= last_took * (1 / self.max_share - 1)


@dataclass(frozen=True)
class Applied:
    """What the writer did with one run's outcomes."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    failed: tuple[FileFailure, ...]  # documents the executor could not prepare
    retagged: tuple[str, ...]
    chunks_embedded: int
    committed: bool
    checkpoints: int = 0  # snapshots committed before the end of the run


@dataclass
class _Writing:
    """The documents of one run as they arrive, and what is not yet in a committed snapshot."""

    writer: IndexWriter
    tagger: TopicTagger
    replacing: set[str]
    checkpoints: Checkpoints
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    embedded: int = 0
    committed_checkpoints: int = 0
    uncommitted_documents: int = 0
    uncommitted_chunks: int = 0  # embedded since the last commit: the work a kill would lose
    since: float = field(default_factory=time.monotonic)
    last_took: float = 0.0  # seconds the last checkpoint took

    def write(self, outcome: Outcome) -> None:
        if outcome.document is None:  # a changed file that now fails keeps its stored version: the reason says so
            kept = "; the version ingested before stays in the index" if outcome.task.doc_id in self.replacing else ""
            self.failed.append(FileFailure(outcome.task.label, outcome.code or "load_failed", (outcome.reason or "") + kept))
            return
        # Before this document, so the last one is followed by the final commit rather than a checkpoint too.
        started = time.monotonic()
        if self.uncommitted_documents and self.checkpoints.due(self.uncommitted_chunks, started - self.since, self.last_took):
            self.writer.checkpoint()
            self.committed_checkpoints += 1
            self.uncommitted_documents = self.uncommitted_chunks = 0
            self.since = time.monotonic()
            self.last_took = self.since - started
        doc_id = outcome.document.document.doc_id
        if doc_id in self.replacing:
            self.writer.remove_documents([doc_id])
        (self.updated if doc_id in self.replacing else self.added).append(doc_id)
        _add(self.writer, self.tagger, outcome.document)
        self.embedded += outcome.document.embedded
        self.uncommitted_documents += 1
        self.uncommitted_chunks += outcome.document.embedded


def apply(writer: IndexWriter, plan: Plan, outcomes: Iterable[Outcome], tagger: TopicTagger,
          checkpoints: Checkpoints | None = None) -> Applied:
    """Write the prepared documents as they arrive (with `checkpoints` between them), then the plan's removals
    and any re-tagging; commit if anything changed. A document that failed to prepare keeps its stored version."""
    held = list(writer.known_documents())  # before this run's writes
    # A run that re-chunks every document takes no checkpoint: its manifest would have to keep naming the old
    # chunker (IndexWriter.checkpoint), so a run after a kill would prepare every document again all the same.
    policy = checkpoints if checkpoints is not None and not writer.chunker_changed else Checkpoints()
    run = _Writing(writer, tagger, set(plan.update), policy)
    for outcome in outcomes:
        run.write(outcome)
    writer.remove_documents(plan.remove)
    # A new taxonomy re-tags every stored document this run does not replace, whichever folder it came from.
    replaced = set(run.updated) | set(plan.remove)
    retagged = tuple(d for d in held if d not in replaced) if writer.topics_changed else ()
    for doc_id in retagged:
        _retag(writer, tagger, doc_id)
    if run.uncommitted_documents or plan.remove or retagged:
        writer.commit()
    committed = bool(run.committed_checkpoints or run.uncommitted_documents or plan.remove or retagged)
    return Applied(tuple(run.added), tuple(run.updated), tuple(run.failed), retagged, run.embedded, committed,
                   run.committed_checkpoints)


def _add(writer: IndexWriter, tagger: TopicTagger, prepared: PreparedDocument) -> None:
    text = " ".join(c.text for c in prepared.chunks)
    given = tuple(prepared.document.metadata.get("topics", ()))
    doc = with_topics(prepared.document, *tagger.assign(prepared.vectors, text, given))
    writer.add_document(doc, prepared.root, prepared.chunks, prepared.vectors)


def _retag(writer: IndexWriter, tagger: TopicTagger, doc_id: str) -> None:
    """Re-tag a stored document from its stored vectors: no re-embedding."""
    given = tuple(writer.given_topics(doc_id))
    topics, auto = tagger.assign(writer.vectors_of(doc_id), writer.text_of(doc_id), given)
    writer.set_topics(doc_id, topics, auto)


def with_topics(doc: Document, topics: tuple[str, ...], auto: tuple[str, ...]) -> Document:
    """The document with the topics it carries (its metadata's and the automatic ones, kb.topics.carried)."""
    metadata = dict(doc.metadata)
    metadata["topics"] = topics
    metadata["topics_auto"] = auto
    if not metadata["topics"]:
        del metadata["topics"]
    return replace(doc, metadata=metadata)
