"""The one loader registry: file suffix -> function turning a file into a LoadedFile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kb.errors import UnsupportedFile
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
