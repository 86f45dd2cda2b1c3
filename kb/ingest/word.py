"""Word documents (.docx), read with python-docx: paragraphs and tables in their order, the styles' headings as a
Markdown body's headings (so sections get heading paths as any Markdown file's do), the document's properties
(title, author, subject, dates) as metadata."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.errors import EmptyDocument, LoadError
from kb.ingest.metadata import contradicts
from kb.ingest.text import markdown_sections
from kb.ingest.titles import names_nothing
from kb.records import LoadedFile

# Word's built-in heading styles, and those of the same names in other languages' Word ("Titre 1", "Überschrift 1").
_HEADING = re.compile(r"(?:heading|titre|título|titolo|kop|überschrift)\s*(\d)", re.IGNORECASE)
_TITLE_STYLES = {"title", "titre", "título", "titolo", "titel"}
_LIST_STYLE = re.compile(r"list", re.IGNORECASE)
# A paragraph that opens with "#" ("#1 priority") is text, not a Markdown heading.
_MARKDOWN_START = re.compile(r"^#")


def load_docx(path: Path) -> LoadedFile:
    """A Word document: its body as Markdown (headings by style, list items, tables a row a line), titled by its
    properties' title, else its Title-style paragraph, else its first heading."""
    document = _open(path)
    metadata = _properties(document)
    lines, styled_title = _body(document)
    sections, leading, title_heading = markdown_sections(_under_title(lines, metadata.get("title"), styled_title))
    if not sections:
        raise EmptyDocument("the Word document holds no text")
    if "language" in metadata and contradicts(metadata["language"], "\n".join(s.text for s in sections)):
        del metadata["language"]  # a template's language, not the text's: build_document tells it from the text
    title = metadata.pop("title", None) or styled_title or title_heading
    if leading:
        metadata.setdefault("_title_candidates", tuple(leading))
    return LoadedFile(title=title, sections=tuple(sections), format="docx", metadata=metadata)


def as_markdown(data: bytes) -> str:
    """A Word document's body as the Markdown its sections are cut from: what GET /documents/{id}/view shows."""
    import io

    document = _open(io.BytesIO(data))
    lines, styled_title = _body(document)
    return _under_title(lines, _properties(document).get("title"), styled_title)


def _under_title(lines: list[str], title: str | None, styled_title: str | None) -> str:
    """The body's lines; under the title property as the one top-level heading when no paragraph is styled Title (a
    Heading 1 is a chapter, not the title)."""
    return "\n".join([f"# {title}", ""] + lines if title and lines and styled_title is None else lines)


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
    return lines, title


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
    properties, where they say something (not Word's "Document1" or a template's name)."""
    core = document.core_properties
    metadata: dict[str, Any] = {}
    if core.title and not names_nothing(core.title):
        metadata["title"] = " ".join(core.title.split())
    if core.author and core.author.strip():
        metadata["author"] = core.author.strip()
    if core.subject and core.subject.strip():
        metadata["description"] = core.subject.strip()
    when = core.created or core.modified
    if when is not None:
        metadata["date"] = when.date().isoformat()
    if core.language and core.language.strip():
        metadata["language"] = core.language.strip()
    return metadata
