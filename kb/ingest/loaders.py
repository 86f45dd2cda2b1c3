"""The one loader registry: file suffix -> function turning a file into a LoadedFile."""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from kb.errors import KBError, UnsupportedFile
from kb.ingest.html import load_html
from kb.ingest.pdf import load_pdf
from kb.ingest.text import load_markdown, load_text
from kb.records import LoadedFile

Loader = Callable[[Path], LoadedFile]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".xhtml": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
}
# The media type a file is served with, by the format its loader reads (the API sends files with nosniff:
# browsers believe it). A loader without one here is served as application/octet-stream.
MEDIA_TYPES: dict[Loader, str] = {
    load_pdf: "application/pdf",
    load_html: "text/html; charset=utf-8",
    load_markdown: "text/markdown; charset=utf-8",
    load_text: "text/plain; charset=utf-8",
}
DEFAULT_MEDIA_TYPE = "application/octet-stream"
# A broken file can make a parser repeat itself for every object it tries; a report keeps the first few.
MAX_WARNINGS = 10


def loader_for(path: Path) -> Loader:
    """The loader for a file, by its suffix; UnsupportedFile when there is none."""
    try:
        return LOADERS[path.suffix.lower()]
    except KeyError:
        raise UnsupportedFile(f"no loader for '{path.suffix or path.name}' files; kb reads {', '.join(sorted(LOADERS))}") from None


def is_supported(path: Path) -> bool:
    """True when some loader handles this file's suffix."""
    return path.suffix.lower() in LOADERS


def media_type(path: Path) -> str:
    """The media type a file is served with: its loader's format's, else application/octet-stream."""
    loader = LOADERS.get(path.suffix.lower())
    return MEDIA_TYPES.get(loader, DEFAULT_MEDIA_TYPE) if loader is not None else DEFAULT_MEDIA_TYPE


def _said(said: list[str]) -> str:
    more = f" (and {len(said) - MAX_WARNINGS} more)" if len(said) > MAX_WARNINGS else ""
    return "the parser warned: " + "; ".join(said[:MAX_WARNINGS]) + more


class _Held(logging.Handler):
    """Holds the log records of warning level and above made on one thread; another thread's pass on."""

    def __init__(self, said: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.said = said
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            _note(self.said, f"{record.name.split('.')[0]}: {record.getMessage()}")
        elif len(logging.getLogger().handlers) == 1 and logging.lastResort is not None:
            logging.lastResort.handle(record)  # what Python prints when no handler is set, as it would have


def _note(said: list[str], message: str) -> None:
    if message not in said:  # pypdf says "EOF marker not found" once per attempt
        said.append(message)


@contextlib.contextmanager
def held_warnings() -> Iterator[list[str]]:
    """The libraries' warnings (logging and `warnings`) made on this thread while a file is read, in order, each
    once, held back from the terminal: they belong in the file's report entry. A KBError raised in the block
    (the file failed) gets them appended to its message.

    `warnings.catch_warnings` swaps process-wide state: a reader runs one file at a time in its own process,
    and the in-process executor reads on one thread, so nothing else warns in between."""
    said: list[str] = []
    handler = _Held(said)
    root = logging.getLogger()
    others = list(root.handlers)  # a server's log, pytest's: they too see this thread's records only in the report

    def elsewhere(record: logging.LogRecord) -> bool:
        return record.thread != handler.thread

    for other in others:
        other.addFilter(elsewhere)
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():  # puts back the filters and showwarning on the way out
            warnings.simplefilter("always")
            warnings.showwarning = lambda message, category, *_, **__: _note(said, f"{category.__name__}: {message}")
            yield said
    except KBError as exc:
        if not said:
            raise
        raise type(exc)(f"{exc}; {_said(said)}") from exc
    finally:
        root.removeHandler(handler)
        for other in others:
            other.removeFilter(elsewhere)
