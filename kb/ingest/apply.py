"""Apply: the single writer. Tag each prepared document, replace or add it, remove what the plan removes,
re-tag when the taxonomy changed, commit. Runs on the driver, under the index's write lock."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

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
class Applied:
    """What the writer did with one run's outcomes."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    failed: tuple[FileFailure, ...]  # documents the executor could not prepare
    retagged: tuple[str, ...]
    chunks_embedded: int
    committed: bool


def apply(writer: IndexWriter, plan: Plan, outcomes: Iterable[Outcome], tagger: TopicTagger) -> Applied:
    """Write the prepared documents as they arrive, then the plan's removals and any re-tagging; commit if
    anything changed. A document that failed to prepare keeps its stored version."""
    held = list(writer.known_documents())  # before this run's writes
    replacing = set(plan.update)
    added: list[str] = []
    updated: list[str] = []
    failed: list[FileFailure] = []
    embedded = 0
    for outcome in outcomes:
        if outcome.document is None:
            failed.append(FileFailure(outcome.task.label, outcome.code or "load_failed", outcome.reason or ""))
            continue
        doc_id = outcome.document.document.doc_id
        if doc_id in replacing:
            writer.remove_documents([doc_id])
        (updated if doc_id in replacing else added).append(doc_id)
        _add(writer, tagger, outcome.document)
        embedded += outcome.document.embedded
    writer.remove_documents(plan.remove)
    # A new taxonomy re-tags every stored document this run does not replace, whichever folder it came from.
    replaced = set(updated) | set(plan.remove)
    retagged = tuple(d for d in held if d not in replaced) if writer.topics_changed else ()
    for doc_id in retagged:
        _retag(writer, tagger, doc_id)
    committed = bool(added or updated or plan.remove or retagged)
    if committed:
        writer.commit()
    return Applied(tuple(added), tuple(updated), tuple(failed), retagged, embedded, committed)


def _add(writer: IndexWriter, tagger: TopicTagger, prepared: PreparedDocument) -> None:
    text = " ".join(c.text for c in prepared.chunks)
    doc = with_topics(prepared.document, tagger.assign(prepared.vectors, text))
    writer.add_document(doc, prepared.root, prepared.chunks, prepared.vectors)


def _retag(writer: IndexWriter, tagger: TopicTagger, doc_id: str) -> None:
    """Re-tag a stored document from its stored vectors: no re-embedding."""
    given = writer.given_topics(doc_id)
    auto = tagger.assign(writer.vectors_of(doc_id), writer.text_of(doc_id))
    writer.set_topics(doc_id, tuple(dict.fromkeys([*given, *auto])), auto)


def with_topics(doc: Document, auto: tuple[str, ...]) -> Document:
    """The document with its automatic topics added to those its metadata gave."""
    given = tuple(doc.metadata.get("topics", ()))
    metadata = dict(doc.metadata)
    metadata["topics"] = tuple(dict.fromkeys([*given, *auto]))
    metadata["topics_auto"] = auto
    if not metadata["topics"]:
        del metadata["topics"]
    return replace(doc, metadata=metadata)
