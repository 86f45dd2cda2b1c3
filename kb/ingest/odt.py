"""OpenDocument text (.odt: LibreOffice's and OpenOffice's own format, which many ministries write in): its body read
from content.xml in order (headings by outline level, paragraphs, list items, tables a row a line) as a Markdown
body's lines, so sections get heading paths as any Markdown file's do; title, author, date and language from
meta.xml."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from kb.errors import LoadError
from kb.ingest.office import office_document, properties, under_title
from kb.records import LoadedFile

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"


def load_odt(path: Path) -> LoadedFile:
    """An OpenDocument text: its body as Markdown, titled by its metadata's title, else its first heading."""
    content, meta = _parts(path)
    return office_document(_body(content), _metadata(meta), "odt", "OpenDocument text")


def as_markdown(data: bytes) -> str:
    """An OpenDocument text's body as the Markdown its sections are cut from: what GET /documents/{id}/view shows."""
    import io

    content, meta = _parts(io.BytesIO(data))
    return under_title(_body(content), _metadata(meta).get("title"))


def _body(content: Any) -> list[str]:
    """The body's lines, then its footnotes and endnotes, a list item each under "Notes" (kept out of the words of the
    paragraph that cites them)."""
    body = content.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if body is None:
        return []
    notes = [f"- {text}" for note in body.iter(f"{{{TEXT}}}note-body") if (text := _text(note))]
    return _lines(body) + (["", "## Notes", "", *notes, ""] if notes else [])


def _parts(source: Path | Any) -> tuple[Any, Any]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        with zipfile.ZipFile(source) as archive:
            content = etree.fromstring(archive.read("content.xml"), parser)
            meta = etree.fromstring(archive.read("meta.xml"), parser) if "meta.xml" in archive.namelist() else None
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError) as exc:
        raise LoadError(f"not a readable OpenDocument text ({type(exc).__name__}: {exc})") from None
    return content, meta


def _lines(element: Any) -> list[str]:
    """An element's blocks as Markdown lines, in order: sections and lists are walked into."""
    lines: list[str] = []
    for child in element:
        tag = child.tag
        if tag == f"{{{TEXT}}}h":
            level = int(child.get(f"{{{TEXT}}}outline-level") or 1)
            if text := _text(child):
                lines += ["", f"{'#' * min(level + 1, 6)} {text}", ""]
        elif tag == f"{{{TEXT}}}p":
            if text := _text(child):
                lines += ["\\" + text if text.startswith("#") else text, ""]
        elif tag == f"{{{TEXT}}}list":
            for item in child.iter(f"{{{TEXT}}}list-item"):
                text = " ".join(t for p in item.findall(f"{{{TEXT}}}p") if (t := _text(p)))
                if text:
                    lines += [f"- {text}", ""]
        elif tag == f"{{{TABLE}}}table":
            rows = [" | ".join(t for cell in row.iter(f"{{{TABLE}}}table-cell") if (t := _text(cell)))
                    for row in child.iter(f"{{{TABLE}}}table-row")]
            lines += ["", *[r for r in rows if r], ""]
        elif tag == f"{{{TEXT}}}section":
            lines += _lines(child)
    return lines


def _text(element: Any) -> str:
    """An element's words: its spaces (text:s), tabs and line breaks as spaces; a footnote's text is not its words."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag in _SPACES:
                parts.append(" ")
            elif child.tag != f"{{{TEXT}}}note":
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return " ".join("".join(parts).split())


_SPACES = {f"{{{TEXT}}}s", f"{{{TEXT}}}tab", f"{{{TEXT}}}line-break"}


def _metadata(meta: Any) -> dict[str, Any]:
    """Title, author, subject (or description), creation date and language from meta.xml (office.properties)."""
    office_meta = meta.find(f"{{{OFFICE}}}meta") if meta is not None else None
    if office_meta is None:
        return {}

    def first(*names: str) -> str | None:
        return next((text for name in names if (text := office_meta.findtext(name))), None)

    created = first(f"{{{META}}}creation-date", f"{{{DC}}}date")
    return properties(first(f"{{{DC}}}title"), first(f"{{{META}}}initial-creator", f"{{{DC}}}creator"),
                      first(f"{{{DC}}}subject", f"{{{DC}}}description"),
                      created[:10] if created and len(created) >= 10 else None, first(f"{{{DC}}}language"))
