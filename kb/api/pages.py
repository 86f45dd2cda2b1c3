"""A document as a page to read, for GET /documents/{id}/view: Markdown rendered, plain text as paragraphs, a page
saved as one file (.mhtml) unpacked, a Word or OpenDocument text as the Markdown it was read as.

The pages carry the anchors and the text that a citation's link (kb/citations.py) points at: every heading
has the id `heading_anchor` gives its text, and the words are those the loader indexed, so that a text
fragment of a passage finds them. Nothing of the document is ever run: raw HTML in Markdown is shown as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from kb.citations import heading_anchor
from kb.ingest.text import decode_bytes, parse_front_matter

PAGE_CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2433;line-height:1.55;"
    "max-width:46em;margin:2em auto;padding:0 1em}"
    "h1,h2,h3,h4{line-height:1.25}pre,code{font-size:.92em;background:#f2f4fa;border-radius:4px}pre{padding:.6em;overflow:auto}"
    "table{border-collapse:collapse}td,th{border:1px solid #c5cbe0;padding:.25em .5em}"
    ".text p{white-space:pre-line}"
)


def _page(title: str, body: str, css_class: str) -> str:
    return (f'<!doctype html>\n<html><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>\n"
            f'<body class="{css_class}">\n{body}\n</body></html>\n')


def _plain(inline: Any) -> str:
    """The words of an inline token, as a reader sees them (markup dropped)."""
    return "".join(child.content for child in (inline.children or ()) if child.type in ("text", "code_inline"))


def _anchor_headings(tokens: Sequence[Any]) -> None:
    """Give each heading the id its text makes; a repeated heading gets -2, -3, … after it."""
    seen: dict[str, int] = {}
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type != "heading_open":
            continue
        anchor = heading_anchor(_plain(inline))
        seen[anchor] = seen.get(anchor, 0) + 1
        opening.attrSet("id", anchor if seen[anchor] == 1 else f"{anchor}-{seen[anchor]}")


def markdown_page(data: bytes, title: str) -> str:
    """A Markdown file as an HTML page: front matter left out, headings with ids, raw HTML escaped."""
    from markdown_it import MarkdownIt

    _, body = parse_front_matter(decode_bytes(data))
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(body)
    _anchor_headings(tokens)
    return _page(title, md.renderer.render(tokens, md.options, {}), "markdown")


def text_page(data: bytes, title: str) -> str:
    """A plain-text file as an HTML page: one paragraph per run of lines, every character escaped."""
    text = decode_bytes(data).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    return _page(title, "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs), "text")


def mhtml_page(data: bytes, title: str) -> str:
    """A page saved as one file (.mhtml): its page as it was saved (served sandboxed, as an HTML file is); a browser
    opens such an archive only from its own disk."""
    from kb.ingest.mhtml import archived_page

    return archived_page(data)[0]


def office_page(as_markdown: Callable[[bytes], str]) -> Callable[[bytes, str], str]:
    """A page maker for Word or OpenDocument texts (word.as_markdown, odt.as_markdown): the text as kb read it,
    rendered as Markdown is, headings with their ids."""
    return lambda data, title: markdown_page(as_markdown(data).encode("utf-8"), title)
