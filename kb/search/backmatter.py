"""Back matter: the chunks of a document that point elsewhere rather than say anything (references, endnotes,
bibliographies, source lists, lists of links, an index).

Told from a chunk's own text at query time, so every index has it without a re-ingest, and on text extracted
from PDFs, whose lines are lost: a reference list reads as one run of "1 U.S. Embassy- Accra. Reporting.
January 14, 2020. 2 UNESCO Institute for Statistics. … Accessed March 3, 2022. http://data.uis.unesco.org/ 3 …".
So a chunk is told by its citation marks (links, "accessed", "retrieved", "reporting,", "source on file", "pp. 12",
"et al.", a year in parentheses or closing an entry, a note's number opening an entry):
- by shape: at least CITATION_MARKS of them, and at least one every WORDS_PER_MARK words (on labour-docs a reference
  list's chunks have one every 6 to 10 words, quartiles; the other chunks that have any, one every 39 to 129);
- under a heading ("References", "Bibliography", "Endnotes", "Notes", "Sources", "Références", "Referencias",
  "Bibliografía", "Note", "Literatuur", … in its heading path, or in its text as a capitalised word followed by an
  entry) with at least HEADED_MARKS marks in what follows it;
- an index: an "Index" heading followed by entries with page numbers ("wages, 12, 45–47");
- running on: a chunk with fewer marks (HEADED_MARKS, one every RUN_ON_WORDS_PER_MARK words: entries with long
  titles) right after back matter in its document, which the reader holds (a list that began one, two or three
  chunks before).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from kb.records import Chunk
from kb.search.lazy import Lazy

CITATION_MARKS = 3
WORDS_PER_MARK = 12.0
HEADED_MARKS = 2
HEADING_LEAD_WORDS = 12
# An index's entries: a heading then at least INDEX_LOCATORS runs of page numbers, one every INDEX_WORDS_PER_ENTRY words.
INDEX_LOCATORS = 3
INDEX_WORDS_PER_ENTRY = 6.0
# A reference list runs on over several chunks, and entries with long titles have one mark every 15-25 words: after
# back matter, a chunk with HEADED_MARKS marks, one every RUN_ON_WORDS_PER_MARK words, is more of it. labour-docs:
# +134 chunks (132 of them USDOL reference entries, 2 SDG source notes; 24 read by eye, all entries or notes).
RUN_ON_WORDS_PER_MARK = 24.0
RUN_ON_DEPTH = 3  # chunks looked back at

# The words that head back matter, in the languages kb analyses. "Note"/"Noten"/"Notas" head endnotes; a
# table's "Note:" is followed by a sentence, not by an entry, and has no citation marks after it.
_HEADING_WORDS = (
    "references", "bibliography", "endnotes", "end notes", "notes", "footnotes", "sources", "works cited",
    "further reading", "literature", "références", "références bibliographiques", "bibliographie", "notes de fin",
    "sources bibliographiques", "referencias", "referencias bibliográficas", "bibliografía", "notas", "fuentes",
    "riferimenti", "riferimenti bibliografici", "bibliografia", "note", "fonti", "literatuur", "literatuurlijst",
    "bronnen", "noten", "bronvermelding", "eindnoten")
# Longest first, so "notes de fin" is taken whole before "notes".
_WORDS = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_HEADING_WORDS, key=len, reverse=True))
# A heading is written capitalised ("References", "REFERENCES"); "see references for details" is prose. What follows
# it is an entry: a number, a capital or a bracket, not a word going on with a sentence ("Notes in the data set…").
_HEADING = Lazy(rf"(?<!\w)(?i:{_WORDS})(?!\w)\s*:?\s+(?=[\d\[A-ZÀ-ÝĀ-Ž])")
# A section heading of its own (a Markdown or HTML document's heading path), numbered or not.
_HEADING_LINE = Lazy(rf"\s*(?:[\dIVX]+(?:\.\d+)*\.?\s+)?(?i:{_WORDS})\s*:?\s*")
_INDEX_HEADING = Lazy(r"(?<!\w)(?:Index|INDEX|Índice\s+(?:alfabético|analítico)|Indice\s+analitico)\s*:?\s+(?=[\dA-ZÀ-Ýa-z])")
# "wages, 12, 45–47", "wages 12–13": a word, then page numbers.
_LOCATOR = Lazy(r"[a-zà-ÿ]{3},?\s\d{1,3}(?:[–-]\d{1,3})?(?:,\s?\d{1,3}(?:[–-]\d{1,3})?)*(?![\d.])")
# A year closing an entry ("Geneva, 2019.", "January 14, 2020.") or in parentheses ("Smith, J. (2019)."; not a
# citation inside a sentence, "(ILO, 2019)"), and a note's number opening an entry after the end of the last one
# or a link ("… 2020. 2 U.S. Department of State", "… 2016. 25. Silva, J.", "….pdf/ 38 Government of…").
# Each pattern starts with what it must find (no leading alternation or optional "(": 3-4x slower), so re's scan is
# quick.
_YEAR = re.compile(r"(?:19|20)\d\d[a-z]?[.)](?!\d)")
_NOTE = re.compile(r"[.)/]\s\d{1,3}\.?\s(?=[A-Z])")
_FIRST_NOTE = re.compile(r"\d{1,3}\.?\s[A-Z]")
# Literal marks, counted on the lowercased text with str.count (a regex alternation of them was ~2x slower).
_CITE_MARKS = ("accessed", "retrieved", "reporting.", "reporting,", "on file", "available at", "available from",
               "[online]", "[cited", "communication with", "et al.", "ibid", "op. cit", "pp.", "vol.", "doi",
               "consulté", "consultado", "consultato", "geraadpleegd", "disponible en", "disponible sur",
               "disponibile su", "beschikbaar op")
# A heading is looked for only when the lowercased text holds one of these.
_HEADING_CLUES = ("referen", "riferiment", "bibliogra", "note", "notas", "source", "fuente", "fonti", "bronnen",
                  "bronvermelding", "literat", "cited", "reading", "index", "índice", "indice")


def is_back_matter(chunk: Chunk, chunks: Mapping[int, Chunk] | None = None) -> bool:
    """Whether a chunk is a reference list, endnotes, a bibliography, a list of sources or links, or an index; or,
    when `chunks` holds the chunks before it (run_on_wanted), the rest of one that began there."""
    return _told(chunk) or (chunks is not None and _runs_on(chunk, chunks, RUN_ON_DEPTH))


def run_on_wanted(chunks: Mapping[int, Chunk]) -> list[int]:
    """The ids of the chunks is_back_matter needs beside `chunks` to judge them: the one before each that may run on
    from back matter, where `chunks` lacks it (asked again with them added, up to RUN_ON_DEPTH times)."""
    # _may_run_on first: one kept verdict, false for most chunks, where _told also matches the heading each time.
    return [c.chunk_id - 1 for c in chunks.values()
            if c.chunk_id and c.chunk_id - 1 not in chunks and _may_run_on(c) and not _told(c)]


def _runs_on(chunk: Chunk, chunks: Mapping[int, Chunk], depth: int) -> bool:
    if depth == 0 or chunk.chunk_id is None or not _may_run_on(chunk):
        return False
    before = chunks.get(chunk.chunk_id - 1)  # chunk ids follow a document's reading order: checked
    if before is None or before.doc_id != chunk.doc_id or before.ordinal != chunk.ordinal - 1:
        return False
    return _told(before) or _runs_on(before, chunks, depth - 1)


def _may_run_on(chunk: Chunk) -> bool:
    return _marked_for_run_on(chunk.text)


@lru_cache(maxsize=16384)  # asked of every chunk of a search's pools, as _judged is
def _marked_for_run_on(text: str) -> bool:
    marks = citation_marks(text)
    return marks >= HEADED_MARKS and marks * RUN_ON_WORDS_PER_MARK >= text.count(" ") + 1


def _told(chunk: Chunk) -> bool:
    # A heading that opens like a note ("53 Government of the Republic of Ghana, Ministry of"), not in capitals as a
    # running head is ("6 BUREAU OF INTERNATIONAL LABOR AFFAIRS"), is the first line of an entry that PDF extraction
    # took for a heading: it is also read with the text.
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    return _judged(chunk.text, heading) or (
        _FIRST_NOTE.match(heading) is not None and not heading.isupper() and _judged(f"{heading} {chunk.text}", heading))


# As for front matter, a search box asks about the same chunks at every pause: the verdict is kept.
@lru_cache(maxsize=16384)
def _judged(text: str, heading: str) -> bool:
    if ("ndex" in text or "NDEX" in text or "ndice" in text) and _indexed(text):
        return True
    marks = citation_marks(text)
    if not marks:
        return False  # four out of five chunks stop here, after two quick scans
    # Words counted by their spaces: str.split would make a list of them all, 3-4 us a chunk.
    if marks >= CITATION_MARKS and marks * WORDS_PER_MARK >= text.count(" ") + 1:
        return True
    if marks < HEADED_MARKS:
        return False
    if heading and _HEADING_LINE.fullmatch(heading):
        return True
    low = text.lower()
    return any(clue in low for clue in _HEADING_CLUES) and _headed(text)


def citation_marks(text: str) -> int:
    """How many citation marks a text holds: links, access and publication details, years closing an entry,
    notes' numbers."""
    # Links and dates first, on the text as it is: every entry of a reference list has one, most chunks have
    # neither and stop here, before the text is lowercased and searched for the rest.
    links = text.count("://") + text.count("www.") - text.count("://www.")
    years = sum(1 for year in _YEAR.finditer(text) if year.group()[-1] != ")" or text[year.start() - 1:year.start()] == "(")
    if not links and not years:
        return 0
    low = text.lower()
    cites = sum(low.count(mark) for mark in _CITE_MARKS)
    # Numbered paragraphs, steps and articles have numbers too: a note's number counts only beside a citation mark.
    notes = len(_NOTE.findall(text)) + (_FIRST_NOTE.match(text) is not None)
    return links + years + cites + min(notes, links + years + cites)


def _headed(text: str) -> bool:
    # A heading near the start (after at most a running head: "92021 FINDINGS ON THE WORST FORMS OF CHILD LABOR
    # REFERENCES 1 U.S. Embassy…") with citation marks after it. A chunk whose list starts further on opens with
    # the end of the report's last section, which is worth showing.
    for match in _HEADING.finditer(text):
        if text.count(" ", 0, match.start()) > HEADING_LEAD_WORDS:
            return False
        if match.group()[0].isupper() and citation_marks(text[match.end():]) >= HEADED_MARKS:
            return True
    return False


def _indexed(text: str) -> bool:
    # An "Index" heading near the start, then entries: page numbers after at least one word in INDEX_WORDS_PER_ENTRY
    # (prose about the Human Capital Index has numbers too, but fewer, and further apart).
    match = _INDEX_HEADING.search(text)
    if match is None or text.count(" ", 0, match.start()) > HEADING_LEAD_WORDS:
        return False
    entries = len(_LOCATOR.findall(text, match.end()))
    return entries >= INDEX_LOCATORS and entries * INDEX_WORDS_PER_ENTRY >= text.count(" ", match.end()) + 1
