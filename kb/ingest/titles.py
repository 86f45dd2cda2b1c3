"""A document's title when the one its file offers is a letterhead: the name of who speaks, not of the document.

ILO texts carry the organisation's name above their real title: a cover's "INTERNATIONAL LABOUR OFFICE", a
convention's "INTERNATIONAL LABOUR CONFERENCE" or "LEAGUE OF NATIONS" banner (29 of the 240 labour-docs files were
titled so: sixteen "INTERNATIONAL LABOUR CONFERENCE", thirteen "LEAGUE OF NATIONS"). A list of hits that all read
"INTERNATIONAL LABOUR CONFERENCE" tells a reader nothing, so such a title gives way to the first line of the text that
is not a letterhead ("Convention (No. 81) concerning labour inspection in industry and commerce"), or its first
sentence, when that is short enough to be a title; else to a heading of the file in the text's language; else it stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kb.languages import fold
from kb.records import Section

# Organisations and organs whose name alone heads a page, in ILO documents and those around them (English, French,
# Spanish), as letters only: lowercased, accents and punctuation dropped.
LETTERHEADS = frozenset({
    "international labour office", "international labour organization", "international labour organisation",
    "international labour conference", "international labor office", "international labor organization",
    "international labour office geneva", "ilo", "governing body", "league of nations", "united nations", "unicef",
    "bureau international du travail", "organisation internationale du travail", "conference internationale du travail",
    "oficina internacional del trabajo", "organizacion internacional del trabajo", "conferencia internacional del trabajo",
})
# A line longer than this is text, not a title (a PDF's largest type is held to the same length).
TITLE_CHARS = 200
_LETTERS = re.compile(r"[^\W\d_]+")
_WORDY = re.compile(r"[^\W\d_]{3}")  # a title has a word of three letters at least
# The end of a first sentence: . ! or ? after a word of three letters or more (not "No. 81") or a bracket, before a
# space, a capital (a converter's "WORKERS.The") or the end.
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{3})|(?<=\)))[.!?](?=\s|[A-Z]|$)")
# Where every ILO convention's and recommendation's preamble begins, run on after its title by some converters.
_PREAMBLE = re.compile(r"\s*\bThe General Conference of the International Labour Organi[sz]ation\b")


def is_letterhead(title: str) -> bool:
    """Whether a title is only the name of an organisation (LETTERHEADS), in any case and punctuation."""
    return " ".join(_LETTERS.findall(fold(title.lower()))) in LETTERHEADS


def title_from_text(sections: Sequence[Section]) -> str | None:
    """The first line of the text that is not a letterhead, up to its first sentence's end (or the preamble of an
    ILO instrument), when that fits a title: TITLE_CHARS at most, a word of three letters at least. A number's short
    label before it ("CONVENTION 95") is kept in front: "CONVENTION 95: Convention concerning the Protection of
    Wages"; the label alone when no name follows it. None when the text starts otherwise."""
    label = None
    for paragraph in (p for section in sections[:2] for p in section.text.split("\n")):
        line = _after_letterheads(" ".join(paragraph.replace("*", " ").split()))
        if not line:
            continue
        line = _PREAMBLE.split(line, maxsplit=1)[0]
        end = _SENTENCE_END.search(line)
        line = (line[:end.start()] if end else line).rstrip(" .,;:")
        if label is None and len(line.split()) <= 3 and any(c.isdigit() for c in line):
            label = line
            continue
        if len(line) <= TITLE_CHARS and _WORDY.search(line):
            return f"{label}: {line}" if label else line
        break
    return label if label and _WORDY.search(label) else None


def _after_letterheads(line: str) -> str:
    """The line without the letterheads it starts with: a PDF page's text runs "INTERNATIONAL LABOUR OFFICE Governing
    Body GB.340/INS/5 ..." on one line."""
    words = line.split()
    while words:
        lead = next((n for n in range(min(len(words), 6), 0, -1) if is_letterhead(" ".join(words[:n]))), 0)
        if not lead:
            break
        words = words[lead:]
    return " ".join(words)


def instead_of_letterhead(title: str, sections: Sequence[Section], candidates: Sequence[str], language: str | None,
                          detect: Callable[[str], str | None]) -> str:
    """`title`, unless it is a letterhead: then the text's first line (title_from_text), else the first of the
    file's other heading `candidates` in the text's `language` (`detect` tells a text's language), else `title`."""
    if not is_letterhead(title):
        return title
    found = title_from_text(sections)
    if found:
        return found
    others = [c for c in candidates if c != title and not is_letterhead(c)]
    return next((c for c in others if language is None or detect(c + " " + c) == language), title)
