"""HTML loader: the page's main content only (trafilatura), with its headings and meta tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.errors import EmptyDocument, LoadError
from kb.ingest.text import decode_bytes, looks_binary, markdown_sections, normalise_whitespace
from kb.records import LoadedFile

# Meta tags read as document metadata, by the name kb stores them under.
_META_NAMES = {
    "description": ("description", "og:description", "dc.description", "twitter:description"),
    "date": (
        "kb:date", "date", "dc.date", "dc.date.issued", "dcterms.date", "article:published_time",
        "og:published_time", "citation_publication_date", "publication_date", "pubdate",
    ),
    "type": ("kb:type", "dc.type"),
    "topics": ("kb:topics", "topics"),
    "countries": ("kb:countries", "countries"),
    "keywords": ("keywords", "news_keywords"),
    "author": ("author", "dc.creator"),
    "language": ("kb:language", "dc.language", "content-language"),
    "title": ("kb:title", "dc.title", "citation_title"),
    "og_title": ("og:title",),
}

# "Skip to contents": the in-page link for keyboards and screen readers that heads most sites' pages. Outside a <nav>,
# trafilatura keeps it as the page's first paragraph, a chunk of its own.
_SKIP_LINK = re.compile(r"\s*(?:(?:skip|jump) to|(?:aller|passer) au|(?:ir|saltar|pasar) al)\b", re.I)


def _meta_tags(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("http-equiv") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    metadata: dict[str, str] = {}
    for field, names in _META_NAMES.items():
        for name in names:
            if name in found:
                metadata[field] = found[name]
                break
    return metadata


def load_html(path: Path) -> LoadedFile:
    """An HTML page: main text without navigation, header, footer, scripts or styles."""
    import lxml.html
    import trafilatura

    text = decode_bytes(path.read_bytes())
    if looks_binary(text):
        raise LoadError("binary data, not HTML")
    if "<" not in text[:20_000]:
        raise LoadError("no HTML markup found")
    try:
        tree = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise LoadError(f"HTML could not be parsed: {exc}") from None

    for link in tree.xpath('//a[starts-with(@href, "#")]'):
        if _SKIP_LINK.match(link.text_content()):
            link.drop_tree()
    metadata: dict[str, Any] = _meta_tags(tree)
    lang = tree.get("lang") or tree.get("xml:lang")
    if lang and "language" not in metadata:
        metadata["language"] = lang
    title_el = tree.find(".//title")
    page_title = normalise_whitespace(title_el.text_content()) if title_el is not None else ""
    h1 = tree.find(".//h1")
    h1_text = normalise_whitespace(h1.text_content()) if h1 is not None else ""

    # Markdown output keeps the page's headings, so sections get heading paths like any Markdown file.
    body = trafilatura.extract(
        tree,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=True,
        favor_precision=True,
    )
    if not body or not body.strip():
        # Precision mode can drop a short page entirely; recall mode still excludes boilerplate.
        body = trafilatura.extract(tree, output_format="markdown", include_comments=False, favor_recall=True)
    if not body or not body.strip():
        raise EmptyDocument("no main text found in the HTML page")
    sections, leading = markdown_sections(body)
    if not sections:
        raise EmptyDocument("no main text found in the HTML page")
    # An explicit title wins; then the <h1>, since a <title> often carries " | Site name".
    og_title = metadata.pop("og_title", None)
    title = metadata.pop("title", None) or h1_text or og_title or page_title or (leading[0] if leading else None)
    return LoadedFile(title=title, sections=tuple(sections), format="html", metadata=metadata)
