"""Where a citation opens: the one rule for the link of a hit's passage, and the heading anchors it points at.

A PDF passage opens its file at the page (`/documents/{id}/file#page=12`). Any other passage opens the document
as a page to read (`/documents/{id}/view`, rendered by kb/api/pages.py) with a text fragment of the passage,
`#:~:text=…`, which browsers that support it (Chromium, Safari, Firefox 131+) scroll to and mark; a Markdown
passage's link also names its heading's anchor, so a browser without text fragments lands at the heading.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import quote

# Words a text fragment quotes: enough to be unique in a document, few enough to stay inside one paragraph.
FRAGMENT_WORDS = 6
MIN_FRAGMENT_WORDS = 3
# Where a snippet's text may cross from one block of the page to the next (a list item, numbered or not, a table cell, a
# heading the loader joined to its paragraph) or leave the page's text (an ellipsis the snippet added).
_PIECES = re.compile(r"…|(?:^|\s)(?:[-–—•*+]|\d{1,2}[.)])(?:\s|$)|\|")
# A browser matches a fragment within one block; the end of a sentence is in the same paragraph as the words
# before it, while its start may follow a heading that the snippet joined to it.
_SENTENCE_END = re.compile(r"(?<=\w[.!?])(?=\s|$)|(?<=\w[.!?][\"'”’)])(?=\s|$)")
_MARKUP = re.compile(r"[\\`*_#<>\[\]{}|~^=]")


def heading_anchor(heading: str) -> str:
    """The id of a heading in a rendered page: lower case, words joined by hyphens ("4. Assessment" -> "4-assessment")."""
    text = unicodedata.normalize("NFKC", heading).casefold()
    words = re.findall(r"\w+", text)
    return "-".join(words) or "section"


def _quote(text: str) -> str:
    # '-', ',' and '&' are a text directive's own syntax: always escaped inside a term.
    return quote(text, safe="").replace("-", "%2D")


def _sentence_tails(piece: str) -> list[list[str]]:
    """The words of each sentence of a piece, the words nearest its end last."""
    tails: list[list[str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(piece):
        tails.append(piece[start:match.start()].split())
        start = match.end()
    return tails


def text_fragment(snippet: str) -> str | None:
    """The words of a snippet a text fragment quotes (`#:~:text=` + this), or None when none are safe to quote.

    The words end a sentence that the snippet shows whole up to its full stop: the browser must find them
    in one block of the page, exactly as they are written there.
    """
    for piece in _PIECES.split(snippet):
        for words in _sentence_tails(piece):
            tail = words[-FRAGMENT_WORDS:]
            if len(tail) >= MIN_FRAGMENT_WORDS and not any(_MARKUP.search(w) for w in tail):
                return _quote(" ".join(tail).rstrip(".!?\"'”’)"))
    return None


def cite_url(doc_id: str, page: int | None, heading_path: Sequence[str], snippet: str) -> str:
    """The path (under the API's origin) where a passage opens: the PDF page, or the page at the passage."""
    path = "/documents/" + "/".join(quote(part, safe="") for part in doc_id.split("/"))
    if page is not None:
        return f"{path}/file#page={page}"
    anchor = quote(heading_anchor(heading_path[-1]), safe="") if heading_path else ""
    words = text_fragment(snippet)
    if words is None:
        return f"{path}/view#{anchor}" if anchor else f"{path}/view"
    return f"{path}/view#{anchor}:~:text={words}"
