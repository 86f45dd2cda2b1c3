"""What an ingest tells a progress display: the CLI draws it, the library ignores it."""

from __future__ import annotations

from typing import Protocol


class IngestProgress(Protocol):
    """What the pipeline tells a progress display; the CLI draws it, the library ignores it.

    Files are read while earlier ones are embedded, so the number of chunks to embed grows as
    `file_done` reports them.
    """

    def start(self, files: int) -> None: ...
    def file_done(self, path: str, chunks: int) -> None: ...
    def embedded(self, chunks: int) -> None: ...
    def finish(self) -> None: ...


class Silent:
    """A progress display that shows nothing."""

    def start(self, files: int) -> None: ...
    def file_done(self, path: str, chunks: int) -> None: ...
    def embedded(self, chunks: int) -> None: ...
    def finish(self) -> None: ...
