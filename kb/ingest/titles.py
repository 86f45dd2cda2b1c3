"""A document's title when the one its file offers is a letterhead: the name of who speaks, not of the document.

ILO texts carry the organisation's name above their real title: a cover's "INTERNATIONAL LABOUR OFFICE", a
convention's "INTERNATIONAL LABOUR CONFERENCE" or "LEAGUE OF NATIONS" banner (29 of the 240 labour-docs files were
titled so: sixteen "INTERNATIONAL LABOUR CONFERENCE", thirteen "LEAGUE OF NATIONS"). A list of hits that all read
"INTERNATIONAL LABOUR CONFERENCE" tells a reader nothing, so such a title gives way to the first line of the text that
is not a letterhead ("Convention (No. 81) concerning labour inspection in industry and commerce"), or its first
sentence, when that is short enough to be a title; else to a heading of the file in the text's language; else it stays.
An office's name is a letterhead too ("BUREAU OF INTERNATIONAL LABOR AFFAIRS", "U.S. Department of Labor": is_office).

A title that names nothing gives way the same way, and to the file's name when nothing else does: PDF metadata's
"U", a page header's "Page 1 of 7", a producer's "Microsoft Word - draft.docx" (names_nothing). A file's name that is
a code ("III_10__Ic5db0b34__metadata.md", "scan0001.pdf": opaque_name) gives way in its turn to the first sentence of
the text's prose, cut short if long (title_from_prose): 45 UN indicator metadata files of the labour-docs have neither
a title nor a heading that names them, and "The average number of remaining years of life expected by …" says more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kb.ingest.dates import date_of_line
from kb.languages import fold
from kb.records import Section

# Organisations and organs whose name alone heads a page, in ILO documents and those around them (English, French,
# Spanish, Italian, Dutch), as letters only: lowercased, accents and punctuation dropped.
LETTERHEADS = frozenset({
    "international labour office", "international labour organization", "international labour organisation",
    "international labour conference", "international labor office", "international labor organization",
    "international labour office geneva", "ilo", "governing body", "league of nations", "united nations", "unicef",
    "bureau international du travail", "organisation internationale du travail", "conference internationale du travail",
    "oficina internacional del trabajo", "organizacion internacional del trabajo", "conferencia internacional del trabajo",
    "ufficio internazionale del lavoro", "organizzazione internazionale del lavoro", "conferenza internazionale del lavoro",
    "internationaal arbeidsbureau", "internationale arbeidsorganisatie", "internationale arbeidsconferentie",
})
# An office's name: a department, bureau, office or ministry "of" or "for" something, after a country's "U.S." at most,
# as letters only. Its words are capitalised as a name's are, and it holds no other office (see is_office).
_OFFICE = re.compile(r"(?:(?:the )?(?:u s |us |united states ))?(?:the )?(department|bureau|office|ministry) (?:of|for) "
                     r"(?:[a-z]+ ){0,9}[a-z]+")
_OFFICES = frozenset({"department", "bureau", "office", "ministry"})
_LINKS = frozenset({"of", "for", "and", "the", "on", "in"})  # small words inside a name, lowercase in a Title Case one
# Words that name a document, not an office: "Bureau of Labor Statistics Annual Report" is a title.
_DOCUMENT_WORDS = frozenset({"report", "reports", "annual", "guide", "guidelines", "handbook", "toolkit", "manual",
                             "review", "study", "bulletin", "newsletter", "plan", "strategy", "survey", "yearbook"})
_NOT_A_NAME = re.compile(r"[:;!?()\d]")  # "Office of the Director-General: Programme and Budget" names a document
# What a PDF's producer writes when the author wrote no title, and a page's furniture ("Page 1 of 7", "- 3 -", "xiv").
_PLACEHOLDER = re.compile(r"^(untitled|microsoft (word|powerpoint|excel)|powerpoint presentation|document\d*|slide \d+|"
                          r"\S+\.(docx?|pptx?|xlsx?|odt|pdf|indd|qxd|rtf)\b)", re.I)
_PAGE_MARK = re.compile(r"[-–\s]*(?:(?:page|p\.|pg\.?|pagina|página|seite)\s*)?(?:\d{1,4}|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})"
                        r"(?:ix|iv|v?i{0,3}))(?:\s*(?:/|of|de|di|van)\s*\d+)?[-–\s]*", re.I)
# A line longer than this is text, not a title (a PDF's largest type is held to the same length).
TITLE_CHARS = 200
_LETTERS = re.compile(r"[^\W\d_]+")
_WORDY = re.compile(r"[^\W\d_]{3}")  # a title has a word of three letters at least
# The end of a first sentence: . ! or ? after a word of three letters or more (not "No. 81") or a bracket, before a
# space, a capital (a converter's "WORKERS.The") or the end.
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{3})|(?<=\)))[.!?](?=\s|[A-Z]|$)")
# A list's number run on after a title by PDF extraction: "DOL's Toolkit for Responsible Businesses 1."
_LIST_NUMBER = re.compile(r"(?<=[^\W\d_]) \d\.$")
# Where every ILO convention's and recommendation's preamble begins, run on after its title by some converters.
_PREAMBLE = re.compile(r"\s*\bThe General Conference of the International Labour Organi[sz]ation\b")


def is_letterhead(title: str) -> bool:
    """Whether a title is only the name of an organisation (LETTERHEADS) or of an office (is_office), in any case and
    punctuation."""
    return " ".join(_LETTERS.findall(fold(title.lower()))) in LETTERHEADS or is_office(title)


def is_office(title: str) -> bool:
    """Whether a title is only an office's name: "BUREAU OF INTERNATIONAL LABOR AFFAIRS", "U.S. Department of Labor",
    "Office of Child Labor, Forced Labor, and Human Trafficking"; its words in capitals, or capitalised but for small
    ones ("of", "and"), from the office on. Not one that holds two offices, ends on a small word or says more (a colon,
    a number: "Office of the Director-General: Programme and Budget")."""
    words = _LETTERS.findall(fold(title.lower()))
    found = _OFFICE.fullmatch(" ".join(words))
    if found is None or _NOT_A_NAME.search(title) or words[-1] in _LINKS or _DOCUMENT_WORDS.intersection(words):
        return False
    if _OFFICES.intersection(words[words.index(found.group(1)) + 1:]):
        return False  # "Department of Labor Bureau of …": two letterheads, read one by one
    named = [w for w in title.split() if _LETTERS.search(w)]
    start = next((i for i, w in enumerate(named) if fold(w.lower()).strip(".,") == found.group(1)), None)
    if start is None:
        return False  # the office's word runs on with others ("Department-of-Labor"): no letterhead reads so
    named = named[start:]
    if named[0].isupper():
        return all(w.isupper() for w in named)
    return all((w[:1].isupper() and not (w.isupper() and len(w) > 2)) or w.lower() in _LINKS for w in named)


def names_nothing(title: str) -> bool:
    """Whether a title names nothing: no word of three letters ("U", "1", "No. 5"), a page's furniture ("Page 1 of 7"),
    a producer's placeholder ("Microsoft Word - draft.docx", "Untitled", "Document1") or a date ("Published 3 March
    2021": a web page's first line, above its text)."""
    title = title.strip()
    return (not _WORDY.search(title) or _PAGE_MARK.fullmatch(title) is not None or _PLACEHOLDER.match(title) is not None
            or date_of_line(title) is not None)


def title_from_text(sections: Sequence[Section]) -> str | None:
    """The first line of the text that is not a letterhead, up to its first sentence's end (or the preamble of an
    ILO instrument), when that fits a title: TITLE_CHARS at most, a word of three letters at least. Lines that name
    nothing (a page number) are passed over. A number's short label before it ("CONVENTION 95") is kept in front:
    "CONVENTION 95: Convention concerning the Protection of Wages", as is a line that ends with a colon ("FREQUENTLY
    ASKED QUESTIONS:"); the label alone when no name follows it. None when the text starts otherwise."""
    label = None
    for paragraph in (p for section in sections[:4] for p in section.text.split("\n")):
        line = _after_letterheads(" ".join(paragraph.replace("*", " ").split()))
        if not line or names_nothing(line):
            continue
        line = _PREAMBLE.split(line, maxsplit=1)[0]
        end = _SENTENCE_END.search(line)
        line = _LIST_NUMBER.sub("", line[:end.start()] if end else line)
        introduces = line.endswith(":")
        line = line.rstrip(" .,;:")
        if label is None and (introduces or len(line.split()) <= 3 and any(c.isdigit() for c in line)):
            label = line
            continue
        if len(line) <= TITLE_CHARS - len(label or "") and _WORDY.search(line):
            return f"{label}: {line}" if label else line
        break
    return label if label and _WORDY.search(label) else None


def _after_letterheads(line: str) -> str:
    """The line without the letterheads it starts with: a PDF page's text runs "INTERNATIONAL LABOUR OFFICE Governing
    Body GB.340/INS/5 ..." or "U.S. Department of Labor Bureau of International Labor Affairs ..." on one line."""
    words = line.split()
    while words:
        lead = next((n for n in range(min(len(words), 14), 0, -1) if is_letterhead(" ".join(words[:n]))), 0)
        if not lead:
            break
        words = words[lead:]
    return " ".join(words)


def naming_title(title: str, sections: Sequence[Section], candidates: Sequence[str], language: str | None,
                 detect: Callable[[str], str | None]) -> str | None:
    """`title`, unless it is a letterhead or names nothing: then the text's first line (title_from_text), else the
    first of the file's other heading `candidates` in the text's `language` (`detect` tells a text's language), else
    a letterhead `title` stays and one that names nothing gives None (the caller names the document by its file)."""
    if not is_letterhead(title) and not names_nothing(title):
        return title
    found = title_from_text(sections)
    if found:
        return found
    others = [c for c in candidates if c != title and not is_letterhead(c) and not names_nothing(c)]
    fallback = None if names_nothing(title) else title
    return next((c for c in others if language is None or detect(c + " " + c) == language), fallback)


# A file name's words: letters only, three or more, not a Roman numeral ("III"); a name with fewer is a code.
_NAME_WORD = re.compile(r"(?i)(?=[a-z]{3})(?![mdclxvi]+$)[a-z]+$")
# A form's field ("Name: Sara Hertog", "Email: …"): a few words and a colon, the value after it.
_FIELD = re.compile(r"^[^\W\d_][\w’' ]{0,30}:(\s|$)")
_ADDRESS = re.compile(r"\S@\S+\.[a-z]{2,}|https?://|www\.", re.I)  # a contact's line: an e-mail or a web address
PROSE_WORDS = 6  # a line of fewer words is a label, a heading or a field, not prose
# A run-in label that opens a paragraph ("**Definition** Mortality rate, …") or another that ends its first sentence
# without a full stop ("… before age 18 **Concepts** Marriage is …"): the loaders have read its bold away.
_LABELS = r"(?:Definitions?|Concepts?|Descriptions?|Rationale|Summary|Abstract|Overview|Purpose|Notes?|Comments?|Scope)"
_RUN_IN = re.compile(rf"^{_LABELS}\s+(?=[A-Z0-9])")
_NEXT_LABEL = re.compile(rf"\s{_LABELS}\s+(?=[A-Z])")
PROSE_TITLE_CHARS = 120


def opaque_name(stem: str) -> bool:
    """Whether a file's name (without its suffix) holds fewer than two words a reader can use: codes, numbers and
    Roman numerals are not ("III_10__Ic5db0b34__metadata", "scan0001", "report")."""
    return sum(bool(_NAME_WORD.match(token)) for token in re.split(r"[\W_]+", stem) if token) < 2


def title_from_prose(sections: Sequence[Section]) -> str | None:
    """The first sentence of the first line of prose in the text (PROSE_WORDS words or more, not a form's field nor a
    contact's address), without a run-in label ("Definition"), cut at a word to PROSE_TITLE_CHARS with an ellipsis
    when longer; None when there is none."""
    for paragraph in (p for section in sections for p in re.split(r"\n\s*\n", section.text)):
        line = " ".join(paragraph.replace("*", " ").split())  # a paragraph's lines, as one
        if len(line.split()) < PROSE_WORDS or _FIELD.match(line) or _ADDRESS.search(line) or names_nothing(line):
            continue
        line = _RUN_IN.sub("", line, count=1)
        end = _SENTENCE_END.search(line)
        sentence = line[:end.start()] if end else line
        sentence = sentence[:label.start()] if (label := _NEXT_LABEL.search(sentence)) else sentence
        if len(sentence) <= PROSE_TITLE_CHARS:
            return sentence
        return sentence[:PROSE_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:–-") + "…"
    return None

