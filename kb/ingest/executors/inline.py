"""The inline executor: read and embed in this process (records, tests, KB_WORKERS=0)."""

from __future__ import annotations

import functools
from collections.abc import Generator, Sequence

from kb.config import Settings
from kb.ingest.executors.base import Outcome, embed_in_blocks
from kb.ingest.executors.pool import load_inline
from kb.ingest.prepare import PrepareSettings, PrepareTask, ReuseVectors, read
from kb.ingest.progress import IngestProgress


class InlineExecutor:
    """Reads each document in turn here and embeds them in blocks; a bad file is reported, not raised."""

    @classmethod
    def from_settings(cls, settings: Settings) -> InlineExecutor:
        """The inline executor needs no settings of its own."""
        return cls()

    def run(self, tasks: Sequence[PrepareTask], settings: PrepareSettings, reuse: ReuseVectors,
            progress: IngestProgress) -> Generator[Outcome, None, None]:
        """One outcome per task, in task order."""
        reads = load_inline(functools.partial(read, settings=settings), tasks)
        return embed_in_blocks(reads, settings, reuse, progress)
