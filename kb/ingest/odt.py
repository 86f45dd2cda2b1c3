"""OpenDocument text (.odt: LibreOffice's and OpenOffice's own format, which many ministries write in): its body read
from content.xml in order (headings by outline level, paragraphs, list items, tables a row a line) as a Markdown
body's lines, so sections get heading paths as any Markdown file's do; title, author, date and language from
meta.xml."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from kb.errors import EmptyDocument, LoadError
from kb.ingest.metadata import contradicts
from kb.ingest.text import markdown_sections
from kb.ingest.titles import names_nothing
from kb.records import LoadedFile

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"
MIMETYPE = b"application/vnd.oasis.opendocument.text"


def load_odt(path: Path) -> LoadedFile:
    """An OpenDocument text: its body as Markdown, titled by its metadata's title, else its first heading."""
    content, meta = _parts(path)
    metadata = _metadata(meta)
    sections, leading, title_heading = markdown_sections(_markdown(content, metadata.get("title")))
    if not sections:
        raise EmptyDocument("the OpenDocument text holds no text")
    if "language" in metadata and contradicts(metadata["language"], "\n".join(s.text for s in sections)):
        del metadata["language"]
    title = metadata.pop("title", None) or title_heading
    if leading:
        metadata.setdefault("_title_candidates", tuple(leading))
    return LoadedFile(title=title, sections=tuple(sections), format="odt", metadata=metadata)


def as_markdown(data: bytes) -> str:
    """An OpenDocument text's body as the Markdown its sections are cut from: what GET /documents/{id}/view shows."""
    import io

    content, meta = _parts(io.BytesIO(data))
    return _markdown(content, _metadata(meta).get("title"))


def _markdown(content: Any, title: str | None) -> str:
    """The body's lines, under the title as the one top-level heading (a level-1 heading is a chapter, not the title)."""
    body = content.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    lines = _lines(body) if body is not None else []
    return "\n".join([f"# {title}", ""] + lines if title and lines else lines)


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
    found: dict[str, Any] = {}
    office_meta = meta.find(f"{{{OFFICE}}}meta") if meta is not None else None
    if office_meta is None:
        return found
    title = office_meta.findtext(f"{{{DC}}}title")
    if title and not names_nothing(title):
        found["title"] = " ".join(title.split())
    author = office_meta.findtext(f"{{{META}}}initial-creator") or office_meta.findtext(f"{{{DC}}}creator")
    if author and author.strip():
        found["author"] = author.strip()
    subject = office_meta.findtext(f"{{{DC}}}subject") or office_meta.findtext(f"{{{DC}}}description")
    if subject and subject.strip():
        found["description"] = subject.strip()
    created = office_meta.findtext(f"{{{META}}}creation-date") or office_meta.findtext(f"{{{DC}}}date")
    if created and len(created) >= 10:
        found["date"] = created[:10]
    language = office_meta.findtext(f"{{{DC}}}language")
    if language and language.strip():
        found["language"] = language.strip()
    return found
