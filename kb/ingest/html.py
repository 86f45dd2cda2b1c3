"""HTML loader: the page's main content only (trafilatura), with its headings and meta tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb.errors import EmptyDocument, LoadError
from kb.ingest.dates import date_of_line
from kb.ingest.metadata import contradicts
from kb.ingest.text import decode_bytes, looks_binary, markdown_sections, normalise_whitespace
from kb.ingest.titles import TITLE_CHARS, is_letterhead, names_nothing
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
# An XHTML file's XML declaration: lxml refuses a str that carries one ("Unicode strings with encoding declaration are
# not supported"), and every .xhtml page an XML tool writes starts so. The bytes are decoded already: it says nothing more.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
# Where a <title> joins the page's name to the site's: "Skills anticipation in the Western Balkans - ILO".
_TITLE_PARTS = re.compile(r"\s+(?:[|\-–—·»]|::)\s+")
# A site's front page, named in a <title> beside the site ("ILO | Home", "OIT | Accueil").
_HOME = frozenset({"home", "homepage", "home page", "accueil", "inicio", "portada", "página de inicio", "startseite"})


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
    return html_document(decode_bytes(path.read_bytes()))


def html_document(text: str) -> LoadedFile:
    """An HTML page's text (decoded) as a document: what load_html reads, and an MHTML archive's page (mhtml.py)."""
    tree = _parse(text)
    for link in tree.xpath('//a[starts-with(@href, "#")]'):
        if _SKIP_LINK.match(link.text_content()):
            link.drop_tree()
    # "You need to enable JavaScript to run this app.": a page built by scripts was a document of that one sentence.
    for fallback in tree.xpath("//noscript"):
        fallback.drop_tree()
    metadata: dict[str, Any] = _meta_tags(tree)
    lang = tree.get("lang") or tree.get("xml:lang")
    title_el = tree.find(".//title")
    page_title = normalise_whitespace(title_el.text_content()) if title_el is not None else ""
    h1 = tree.find(".//h1")
    h1_text = normalise_whitespace(h1.text_content()) if h1 is not None else ""
    why_empty = _why_empty(tree, page_title)  # before trafilatura, which cleans the tree it is given

    body = _main_text(tree)
    sections, leading, body_title = markdown_sections(body) if body else ([], [], None)
    if not sections:
        raise EmptyDocument(f"no main text found in the HTML page{why_empty}")
    if lang and "language" not in metadata and not contradicts(lang, "\n".join(s.text for s in sections)):
        metadata["language"] = lang  # else build_document tells the language from the text
    if "date" not in metadata:
        date = _date_in_page(text, body)
        if date:
            metadata["date"] = date
    og_title = metadata.pop("og_title", None)
    title = metadata.pop("title", None) or _page_title(h1_text, body_title, og_title, page_title) or (leading[0] if leading else None)
    return LoadedFile(title=title, sections=tuple(sections), format="html", metadata=metadata)


def _parse(text: str) -> Any:
    """The page's lxml tree; LoadError for what is not HTML."""
    import lxml.html

    if looks_binary(text):
        raise LoadError("binary data, not HTML")
    if "<" not in text[:20_000]:
        raise LoadError("no HTML markup found")
    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", text))
    except (ValueError, lxml.etree.ParserError) as exc:
        raise LoadError(f"HTML could not be parsed: {exc}") from None


def _main_text(tree: Any) -> str:
    """The page's main text as Markdown (trafilatura), which keeps the headings, so sections get heading paths like
    any Markdown file's; "" when there is none."""
    import trafilatura

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
    return body if body and body.strip() else ""


def _why_empty(tree: Any, page_title: str) -> str:
    """What to say when a page has no main text, where the page shows why: its text is elsewhere (an <iframe>), made
    by scripts, or swallowed by a <title> never closed (browsers read all that follows as the title too)."""
    if len(page_title) > TITLE_CHARS:
        return ": its <title> is never closed, so all that follows is read as the title; close it with </title>"
    frames = [src for src in tree.xpath("//iframe/@src") if src.strip()]
    if frames:
        return f": its content is in an <iframe> from {frames[0]}; save that page and ingest it instead"
    if tree.xpath("//script"):
        return ": its text is probably made by JavaScript in the browser; save the page as the browser shows it"
    return ""


def _page_title(h1: str, body_title: str | None, og_title: str | None, page_title: str) -> str | None:
    """The page's name: its <h1>, else the heading its main text opens with, else og:title or <title> without the
    site's name; the first that names something (not a site's logo in an <h1>, "International Labour Organization",
    nor a "Published 3 March 2021" line). A page whose <title> was the site's name ("International Labour Organization")
    and whose heading was an <h2> was titled by its date line; one whose <h1> was the logo, by its first sentence.
    An <h1> that is all there is (a letterhead) stays, for build_document to weigh against the text."""
    for candidate in (h1, body_title, _without_site(og_title or ""), _without_site(page_title)):
        if candidate and not is_letterhead(candidate) and not names_nothing(candidate):
            return candidate
    return h1 or None


def _without_site(title: str) -> str:
    """A <title> without the site's name before or after it: "Resources | Skills Branch | ILO" -> "Resources | Skills
    Branch"; "" when nothing else is left ("ILO | Home")."""
    parts = _TITLE_PARTS.split(title)
    kept = [p for p in parts if not _names_the_site(p)]
    return title if len(kept) == len(parts) else " | ".join(kept)


def _names_the_site(part: str) -> bool:
    words = part.split()
    return (not words or part.lower() in _HOME or is_letterhead(part)
            or (len(words) <= 3 and is_letterhead(words[0])))  # "ILO Newsroom", "ILO Jakarta"


def _date_in_page(html: str, body: str) -> str | None:
    """The page's date when its meta tags give none: schema.org's datePublished or a <time> element (htmldate, which
    trafilatura reads dates with; its text search is left off: it dated "Results 2023" 2023-01-01 and took seconds on
    a page of many numbers), else a line of the main text's first five that is only a date ("Published 3 March 2021")."""
    from htmldate import find_date

    found = find_date(html, extensive_search=False, original_date=True)
    if found:
        return str(found)
    lines = [line.strip(" *_#") for line in body.split("\n") if line.strip()]
    return next((date for line in lines[:5] if (date := date_of_line(line))), None)
