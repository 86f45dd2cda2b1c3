"""What Word documents (word.py) and OpenDocument texts (odt.py) share: a body read as Markdown lines and the
document's properties become one LoadedFile, as a Markdown file's text does (text.markdown_sections)."""

from __future__ import annotations

from typing import Any

from kb.errors import EmptyDocument
from kb.ingest.metadata import contradicts
from kb.ingest.text import markdown_sections
from kb.ingest.titles import names_nothing
from kb.records import LoadedFile


def properties(title: str | None, author: str | None, description: str | None, date: str | None,
               language: str | None) -> dict[str, Any]:
    """The metadata a document's properties give, those that say something (not Word's "Document1" for a title)."""
    found: dict[str, Any] = {}
    if title and not names_nothing(title):
        found["title"] = " ".join(title.split())
    for key, value in (("author", author), ("description", description), ("date", date), ("language", language)):
        if value and value.strip():
            found[key] = value.strip()
    return found


def under_title(lines: list[str], title: str | None, styled_title: str | None = None) -> str:
    """The body's lines as one Markdown text; under the title property as the one top-level heading when no
    paragraph is styled Title (a level-1 heading is a chapter, not the title)."""
    return "\n".join([f"# {title}", ""] + lines if title and lines and styled_title is None else lines)


def office_document(lines: list[str], metadata: dict[str, Any], format: str, kind: str,
                    styled_title: str | None = None) -> LoadedFile:
    """The document of a body's Markdown lines and its properties (`properties`): titled by the title property, else
    its Title-style paragraph (`styled_title`), else its first heading; `kind` names it in the error of an empty one."""
    sections, leading, title_heading = markdown_sections(under_title(lines, metadata.get("title"), styled_title))
    if not sections:
        raise EmptyDocument(f"the {kind} holds no text")
    if "language" in metadata and contradicts(metadata["language"], "\n".join(s.text for s in sections)):
        del metadata["language"]  # a template's language, not the text's: build_document tells it from the text
    title = metadata.pop("title", None) or styled_title or title_heading
    if leading:
        metadata.setdefault("_title_candidates", tuple(leading))
    return LoadedFile(title=title, sections=tuple(sections), format=format, metadata=metadata)
