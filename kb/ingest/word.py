"""Word documents (.docx), read with python-docx: paragraphs and tables in their order, the styles' headings as a
Markdown body's headings (so sections get heading paths as any Markdown file's do), the document's properties
(title, author, subject, dates) as metadata."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.errors import LoadError
from kb.ingest.office import office_document, properties, under_title
from kb.records import LoadedFile

# Word's built-in heading styles, and those of the same names in other languages' Word ("Titre 1", "Überschrift 1").
_HEADING = re.compile(r"(?:heading|titre|título|titolo|kop|überschrift)\s*(\d)", re.IGNORECASE)
_TITLE_STYLES = {"title", "titre", "título", "titolo", "titel"}
_LIST_STYLE = re.compile(r"list", re.IGNORECASE)
# A paragraph that opens with "#" ("#1 priority") is text, not a Markdown heading.
_MARKDOWN_START = re.compile(r"^#")
# WordprocessingML's namespace, and the parts that hold a document's footnotes and endnotes.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NOTES = ("/word/footnotes.xml", "/word/endnotes.xml")


def load_docx(path: Path) -> LoadedFile:
    """A Word document: its body as Markdown (headings by style, list items, tables a row a line), titled by its
    properties' title, else its Title-style paragraph, else its first heading."""
    document = _open(path)
    lines, styled_title = _body(document)
    return office_document(lines, _properties(document), "docx", "Word document", styled_title)


def as_markdown(data: bytes) -> str:
    """A Word document's body as the Markdown its sections are cut from: what GET /documents/{id}/view shows."""
    import io

    document = _open(io.BytesIO(data))
    lines, styled_title = _body(document)
    return under_title(lines, _properties(document).get("title"), styled_title)


def _open(source: Path | Any) -> Any:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(source) if isinstance(source, Path) else source)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"not a readable Word document ({type(exc).__name__}: {exc})") from None


def _body(document: Any) -> tuple[list[str], str | None]:
    """The body's lines as Markdown, in order, and the text of its first Title-style paragraph (None without one)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    title = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table(block))
        elif isinstance(block, Paragraph):
            text = " ".join(block.text.split())
            if not text:
                continue
            style = (block.style.name if block.style is not None else "") or ""
            heading = _HEADING.match(style)
            if style.strip().lower() in _TITLE_STYLES:
                title = title or text
                lines += ["", f"# {text}", ""]
            elif heading:
                lines += ["", f"{'#' * min(int(heading.group(1)) + 1, 6)} {text}", ""]
            else:
                text = _MARKDOWN_START.sub(r"\\#", text)
                lines += [f"- {text}" if _LIST_STYLE.search(style) else text, ""]
    return lines + _notes(document), title


def _notes(document: Any) -> list[str]:
    """The footnotes and endnotes, a list item each under a "Notes" heading at the end: the sources and asides Word
    keeps out of the body, which python-docx does not read."""
    from docx.oxml.parser import parse_xml  # python-docx's parser: no entities resolved, no network

    found = []
    for part in document.part.package.iter_parts():
        if str(part.partname) not in _NOTES:
            continue
        for note in parse_xml(part.blob).iterchildren(f"{_W}footnote", f"{_W}endnote"):
            if note.get(f"{_W}type") not in (None, "normal"):  # the separator lines above the notes
                continue
            paragraphs = ("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p"))
            if text := " ".join(" ".join(paragraphs).split()):
                found.append("- " + _MARKDOWN_START.sub(r"\\#", text))
    return ["", "## Notes", "", *found, ""] if found else []


def _table(table: Any) -> list[str]:
    """A table's rows, each a line of its cells' texts joined by " | " (a merged cell once)."""
    rows = []
    for row in table.rows:
        cells = list(dict.fromkeys(" ".join(cell.text.split()) for cell in row.cells))
        if any(cells):
            rows.append(" | ".join(c for c in cells if c))
    return ["", *rows, ""] if rows else []


def _properties(document: Any) -> dict[str, Any]:
    """Title, author, subject (as description), date (created, else modified) and language from the document's core
    properties (office.properties)."""
    core = document.core_properties
    when = core.created or core.modified
    return properties(core.title, core.author, core.subject, when.date().isoformat() if when else None, core.language)
