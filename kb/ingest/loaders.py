"""The one loader registry: file suffix -> function turning a file into a LoadedFile, and the first bytes that
overrule a file's name (a PDF saved as "report.html" is read as a PDF)."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from kb.errors import KBError, UnsupportedFile
from kb.ingest.html import load_html
from kb.ingest.mhtml import load_mhtml
from kb.ingest.odt import load_odt
from kb.ingest.pdf import load_pdf
from kb.ingest.text import load_markdown, load_text
from kb.ingest.word import load_docx
from kb.records import LoadedFile

Loader = Callable[[Path], LoadedFile]

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".xhtml": load_html,
    ".mhtml": load_mhtml,
    ".mht": load_mhtml,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".text": load_text,
    ".docx": load_docx,
    ".odt": load_odt,
}
# The media type a file is served with, by the format its loader reads (the API sends files with nosniff:
# browsers believe it). A loader without one here is served as application/octet-stream.
MEDIA_TYPES: dict[Loader, str] = {
    load_pdf: "application/pdf",
    load_html: "text/html; charset=utf-8",
    load_mhtml: "multipart/related",
    load_markdown: "text/markdown; charset=utf-8",
    load_text: "text/plain; charset=utf-8",
    load_docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    load_odt: "application/vnd.oasis.opendocument.text",
}
DEFAULT_MEDIA_TYPE = "application/octet-stream"
# A broken file can make a parser repeat itself for every object it tries; a report keeps the first few.
MAX_WARNINGS = 10


# Files are saved under the wrong name: a PDF a browser stored as "report.html", a web page as "page.pdf" or ".txt".
# A PDF opens with its header (readers accept it anywhere in the first 1,024 bytes, but a text about PDFs may quote
# one: the start decides); a page with its doctype or <html> tag, after an XML declaration or comments.
SNIFF_BYTES = 1024
_PDF = re.compile(rb"(?:\xef\xbb\xbf)?\s*%PDF-")
_PAGE = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]",
                   re.IGNORECASE | re.DOTALL)
# Formats kb does not read, by the bytes they open with: named in the failure instead of "binary data, not text".
OTHER_FORMATS = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Office file (.doc, .xls or .ppt) or a password-protected one"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_ZIP = b"PK\x03\x04"
# An Office file is a ZIP archive; the part it holds says which.
_OFFICE_PARTS = (("word/document.xml", load_docx), ("xl/workbook.xml", "an Excel workbook"),
                 ("ppt/presentation.xml", "a PowerPoint presentation"))
# An OpenDocument file says what it is in its first part, "mimetype", stored uncompressed.
_OPEN_DOCUMENT: dict[str, Loader | str] = {"application/vnd.oasis.opendocument.text": load_odt,
                                            "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet",
                                            "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation"}
_FORMAT_NAMES: dict[Loader, str] = {load_pdf: "a PDF", load_html: "an HTML page", load_docx: "a Word document",
                                    load_odt: "an OpenDocument text"}
logger = logging.getLogger(__name__)


def loader_for(path: Path) -> Loader:
    """The loader for a file: its suffix's, unless its first bytes are another format's that kb reads (a PDF or an
    HTML page under another name, or under none, is read as what it is, and its report says so); UnsupportedFile
    when its bytes are a format kb does not read, or neither they nor its suffix name one it does."""
    named = LOADERS.get(path.suffix.lower())
    found = _sniffed(path)
    if named is None and not callable(found):
        raise UnsupportedFile(f"no loader for '{path.suffix or path.name}' files; kb reads {', '.join(sorted(LOADERS))}")
    if isinstance(found, str):
        raise UnsupportedFile(f"{_named(path)}, but the file is {found}; kb reads {', '.join(sorted(LOADERS))} files")
    if found is None or found is named:
        assert named is not None  # found is a loader when named is not
        return named
    logger.warning("%s, but the file is %s: read as one", _named(path), _FORMAT_NAMES[found])
    return found


def _named(path: Path) -> str:
    return f"named {path.suffix}" if path.suffix else "named without a suffix"


def is_supported(path: Path) -> bool:
    """True when some loader handles this file's suffix."""
    return path.suffix.lower() in LOADERS


def reads_as_supported(path: Path) -> bool:
    """True when a file whose suffix no loader handles ("GetFile.ashx", a download saved without one) is a PDF or an
    HTML page by its first bytes, which loader_for reads it as."""
    return callable(_sniffed(path))


def _sniffed(path: Path) -> Loader | str | None:
    """What the file's first bytes say it is: a PDF's or a page's loader, the name of a format kb does not read,
    or None (text, or a file that cannot be read: its loader says why)."""
    try:
        if not path.is_file():  # a named pipe would block the open
            return None
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
    except OSError:
        return None
    if _PDF.match(head):
        return load_pdf
    if _PAGE.match(head):
        return load_html
    if head.startswith(_ZIP):
        return _zipped(path)
    return next((name for magic, name in OTHER_FORMATS if head.startswith(magic)), None)


def _zipped(path: Path) -> Loader | str:
    """What a ZIP archive is: a Word document's or an OpenDocument text's loader, or the name of an Office format or
    archive kb does not read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            kind = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged ZIP archive"
    if kind.startswith("application/vnd.oasis.opendocument"):
        return _OPEN_DOCUMENT.get(kind, "an OpenDocument file")
    return next((found for part, found in _OFFICE_PARTS if part in names), "a ZIP archive")


def media_type(path: Path) -> str:
    """The media type a file is served with: that of the format it was read as (loader_for), else
    application/octet-stream."""
    found = _sniffed(path)
    loader = found if callable(found) else None if isinstance(found, str) else LOADERS.get(path.suffix.lower())
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
