"""The forked executor: files read in forked reader processes, embedded in this one.

Readers work under a per-file time limit and memory limit, and a reader that crashes costs its file, not
the run (`pool.LoaderPool`). Embedding stays in the ingesting process, in blocks of EMBED_BLOCK chunks,
where it uses every core while the readers parse the next files.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Sequence

from kb.config import Settings
from kb.ingest.executors.base import Outcome, embed_in_blocks
from kb.ingest.executors.inline import InlineExecutor
from kb.ingest.executors.pool import LoaderPool
from kb.ingest.metadata import detect_language
from kb.ingest.prepare import PrepareSettings, PrepareTask, ReuseVectors, read
from kb.ingest.progress import IngestProgress


class ForkedExecutor:
    """`read` in `workers` forked processes (time limit `timeout` s, `memory_mb` each); `embed` here."""

    def __init__(self, workers: int, timeout: float, memory_mb: int = 0) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb

    @classmethod
    def from_settings(cls, settings: Settings) -> ForkedExecutor:
        """Readers, time limit and memory limit from KB_WORKERS, KB_FILE_TIMEOUT and KB_WORKER_MEMORY_MB."""
        return cls(settings.workers, settings.file_timeout, settings.worker_memory_mb)

    def run(self, tasks: Sequence[PrepareTask], settings: PrepareSettings, reuse: ReuseVectors,
            progress: IngestProgress) -> Generator[Outcome, None, None]:
        """One outcome per task, in the order files finish reading."""
        if len(tasks) <= 1:  # starting readers costs more than reading one file here
            return InlineExecutor().run(tasks, settings, reuse, progress)
        _warm_up_readers()
        # The readers are forked from this process: the model kept open here (kb.embed.keep_open) is theirs too.
        pool = LoaderPool(functools.partial(read, settings=settings), self.workers, self.timeout, self.memory_mb)
        return embed_in_blocks(pool.run(tasks), settings, reuse, progress)


def _warm_up_readers() -> None:
    """Import the parsers and load the language model (~160 MB) before forking reader processes: they
    share those pages, start at once, and their memory limit then counts only what a file needs."""
    import lxml.html  # noqa: F401
    import pypdf  # noqa: F401
    import trafilatura  # noqa: F401

    detect_language("A sample sentence, long enough for the language model to load.")
