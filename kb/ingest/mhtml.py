"""Web pages saved as one file ("Save as: Webpage, Single File" in Chrome and Edge, .mhtml or .mht): a MIME archive of
the page and its images, styles and frames. Its page is read as any HTML page is (html.py); the address it was saved
from is kept as the document's `url`."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from email.message import Message
from pathlib import Path

from kb.errors import LoadError
from kb.ingest.html import html_document
from kb.records import LoadedFile


def load_mhtml(path: Path) -> LoadedFile:
    """The archived page as a document."""
    text, address = archived_page(path.read_bytes())
    loaded = html_document(text)
    if address.startswith(("http://", "https://")) and "url" not in loaded.metadata:
        loaded = dataclasses.replace(loaded, metadata={**loaded.metadata, "url": address})
    return loaded


def archived_page(data: bytes) -> tuple[str, str]:
    """(the archived page's HTML, the address it was saved from or ""): the part the archive names as its start,
    else its first HTML part; LoadError when there is none."""
    archive = email.message_from_bytes(data, policy=email.policy.compat32)
    if not archive.is_multipart():
        raise LoadError("not an MHTML archive (no MIME parts)")
    page = _page(archive)
    payload = page.get_payload(decode=True) if page is not None else None
    if page is None or not isinstance(payload, bytes):
        raise LoadError("an MHTML archive without an HTML page")
    try:
        text = payload.decode(page.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = payload.decode("utf-8", errors="replace")
    return text, str(page.get("Content-Location", "")).strip()


def _page(archive: Message) -> Message | None:
    start = archive.get_param("start")
    start = start.strip("<>") if isinstance(start, str) else ""
    pages = [part for part in archive.walk() if part.get_content_type() in ("text/html", "application/xhtml+xml")]
    for part in pages:
        if start and str(part.get("Content-ID", "")).strip("<>") == start:
            return part
    return pages[0] if pages else None
