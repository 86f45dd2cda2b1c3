"""What every executor is: a place where `prepare` runs, behind one small protocol.

An executor gets picklable tasks and settings and the vectors each document may reuse, and gives back
one outcome per task as documents are ready: a prepared document, or the failure's code and reason.
Progress is reported on the driver, where the executor's iterator is consumed. `embed_in_blocks` is the
driver-side half that the in-process and forked executors share.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from kb.ingest.executors.pool import Loaded
from kb.ingest.prepare import ChunkedDocument, PreparedDocument, PrepareSettings, PrepareTask, ReuseVectors, embed
from kb.ingest.progress import IngestProgress

# Chunks gathered before they are embedded and written: enough for length sorting to pay, few enough to
# keep memory flat and the progress bar moving.
EMBED_BLOCK = 256


@dataclass(frozen=True)
class Outcome:
    """What preparing one task gave: the prepared document, or the failure's code and reason."""

    task: PrepareTask
    document: PreparedDocument | None = None
    code: str | None = None
    reason: str | None = None


class Executor(Protocol):
    """Runs `prepare` over tasks somewhere: in this process, in forked readers, on a cluster."""

    def run(self, tasks: Sequence[PrepareTask], settings: PrepareSettings, reuse: ReuseVectors,
            progress: IngestProgress) -> Generator[Outcome, None, None]:
        """One outcome per task, in the order they are ready. `reuse[doc_id]` is read on the driver, when the
        document is about to be embedded; closing the iterator early stops the work at once."""
        ...


def embed_in_blocks(reads: Generator[Loaded[PrepareTask], None, None], settings: PrepareSettings,
                    reuse: ReuseVectors, progress: IngestProgress) -> Generator[Outcome, None, None]:
    """Outcomes for read documents: a failure at once, documents embedded here EMBED_BLOCK chunks at a time."""
    block: list[tuple[PrepareTask, ChunkedDocument]] = []
    with contextlib.closing(reads):  # an error downstream stops the readers at once
        for read in reads:
            if not read.ok:
                progress.file_done(read.item.doc_id, 0)
                yield Outcome(read.item, code=read.code, reason=read.reason)
                continue
            progress.file_done(read.item.doc_id, len(read.value.chunks))
            block.append((read.item, read.value))
            if sum(len(doc.chunks) for _, doc in block) >= EMBED_BLOCK:
                yield from _embed_block(block, settings, reuse, progress)
                block = []
    if block:
        yield from _embed_block(block, settings, reuse, progress)


def _embed_block(block: list[tuple[PrepareTask, ChunkedDocument]], settings: PrepareSettings, reuse: ReuseVectors,
                 progress: IngestProgress) -> Iterator[Outcome]:
    # Only this block's reusable vectors are read: memory stays flat however many documents change.
    stored = {task.doc_id: reuse[task.doc_id] for task, _ in block if task.doc_id in reuse}
    prepared = embed([doc for _, doc in block], settings, stored, progress.embedded)
    for (task, _), document in zip(block, prepared):
        yield Outcome(task, document)
