"""Front matter: the chunks of a document that name it rather than say anything (title page, imprint, contents).

Told from a chunk's own text, page and place at query time, so every index has it without a re-ingest,
and on real PDFs, whose extracted text has lost its lines and layout:
- a table of contents: a "Contents" heading, or several entries that end in a page number after dot leaders;
- an imprint: two or more of ISBN, ©, "All rights reserved", "First published", the UN designations notice…;
- a lists-and-thanks section: a chunk under an "Acknowledgements", "Abbreviations" or "List of figures" heading;
- a title page: the first chunk of a PDF's first page when it is short (a title, a subtitle, the publisher), or a
  short run of words without a sentence at the start of page 2 (an inner title page, a running title, an epigraph).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.records import Chunk
from kb.search.lazy import Lazy

# A title page is a few lines; the first page of a report that starts straight away holds a full chunk.
TITLE_PAGE_WORDS = 100
# Imprints and contents sit in the first pages (or chunks, for a document without pages).
FRONT_PAGES = 6
FRONT_CHUNKS = 8
INNER_TITLE_WORDS = 60
IMPRINT_MARKS = 2
# One dotted-leader entry makes a short chunk a piece of a contents page; a longer one needs two.
TOC_FRAGMENT_WORDS = 30

_CONTENTS_WORDS = (r"table\s+of\s+contents?|contents|table\s+des\s+mati[eè]res|sommaire|[íi]ndice(?:\s+general)?|contenido|"
                   r"sommario|inhoud(?:sopgave)?")
_SECTION_WORDS = (r"acknowledge?ments?|abbreviations|acronyms|list\s+of\s+(?:figures|tables|boxes|abbreviations|acronyms)|"
                  r"remerciements|sigles|abr[eé]viations|agradecimientos|siglas|acr[oó]nimos|abreviaturas|ringraziamenti|"
                  r"abbreviazioni|dankwoord|afkortingen")
# As a heading of its own, or opening the text and followed by an entry (a number, a capital), not by "of…"/"de…".
_HEADING = Lazy(rf"\s*(?i:{_CONTENTS_WORDS}|{_SECTION_WORDS})\s*[:.]?\s*")
_OPENING = Lazy(rf"\s*(?i:{_CONTENTS_WORDS}|{_SECTION_WORDS})\s*[:.]?(?:\s*$|\s+(?=[\dA-ZÀ-ÝĀ-Ž]))")
# An entry's page number after dot leaders ("Introduction ........ 3", "Annex … 41") or a run of spaced dots.
_LEADER = Lazy(r"(?:\.\s?){4,}\s*(?:\d{1,3}|[ivxlc]{1,6})\b|…{2,}\s*\d{1,3}\b", re.IGNORECASE)
_IMPRINT = Lazy(
    r"\bISBN\b|\bISSN\b|©|\bcopyright\b|all\s+rights\s+reserved|first\s+published|printed\s+in\b|"
    r"designations\s+employed|cataloguing\s+in\s+publication|catalogage|creative\s+commons|"
    r"rights\s+and\s+(?:permissions|licensing)|tous\s+droits|derechos\s+reservados|tutti\s+i\s+diritti",
    re.IGNORECASE)
# The UN and ILO publication notices: any one of them makes a chunk part of the imprint.
_NOTICE = Lazy(
    r"designations\s+employed\s+in|d[ée]signations\s+utilis[ée]es\s+dans|denominaciones\s+empleadas\s+en|"
    r"denominazioni\s+usate\s+nelle|reference\s+to\s+names\s+of\s+firms|riferimento\s+a\s+nomi\s+di\s+ditte|"
    r"mention\s+de\s+firmes|catalogue\s+or\s+list\s+of\s+new\s+publications|lista\s+delle\s+nuove\s+pubblicazioni|"
    r"pubvente@ilo\.org", re.IGNORECASE)
_SENTENCE = re.compile(r"\w\w[.!?](?:\s|$)")
# Python's re scans a long alternation slowly (an imprint check took ~320 us a chunk, a notice ~130 us): each
# pattern first needs one of these strings in the lowercased text, which `in` finds in a few microseconds.
_LEADER_CLUE = re.compile(r"\.\s?\.|……")
_IMPRINT_CLUES = ("isbn", "issn", "©", "copyright", "rights", "published", "printed", "designations", "catalog",
                  "creative", "droits", "derechos", "diritti")
_NOTICE_CLUES = ("designa", "désigna", "denomina", "firm", "ditte", "catalogue", "pubblicazioni", "pubvente")


def _may(text: str, clues: tuple[str, ...]) -> bool:
    return any(clue in text for clue in clues)


def is_front_matter(chunk: Chunk) -> bool:
    """Whether a chunk is a title page, an imprint, a table of contents or a list/acknowledgements section."""
    return _judged(chunk.text, chunk.page, chunk.ordinal, chunk.heading_path[0] if chunk.heading_path else "")


# A search judges each of its hits' best chunks once or twice, and a search box asks about the same chunks
# again at every pause: the verdict is kept by what it is drawn from.
@lru_cache(maxsize=16384)
def _judged(text: str, page: int | None, ordinal: int, heading: str) -> bool:
    words = len(text.split(None, TITLE_PAGE_WORDS))  # counted up to TITLE_PAGE_WORDS + 1: all any rule needs
    leaders = len(_LEADER.findall(text)) if _LEADER_CLUE.search(text) else 0
    if leaders >= 2 or (leaders and words <= TOC_FRAGMENT_WORDS):
        return True  # contents pages also turn up deep in a document (a part's own contents, an annex list)
    if not _in_front(page, ordinal):
        return False
    if _HEADING.fullmatch(heading) or _OPENING.match(text):
        return True
    low = text.lower()
    if (_may(low, _NOTICE_CLUES) and _NOTICE.search(text)) or (_may(low, _IMPRINT_CLUES) and len(_IMPRINT.findall(text)) >= IMPRINT_MARKS):
        return True
    if page == 1 and ordinal == 0:
        return words <= TITLE_PAGE_WORDS
    return page == 2 and ordinal <= 2 and words <= INNER_TITLE_WORDS and not _SENTENCE.search(text)


def _in_front(page: int | None, ordinal: int) -> bool:
    if page is not None:
        return page <= FRONT_PAGES
    return ordinal < FRONT_CHUNKS
