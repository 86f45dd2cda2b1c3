"""A hyphen at the end of a PDF line: part of a compound ("self-" / "employed") or put in to break a word ("employ-" /
"ment"). Text extraction cannot tell them apart; the document's own words can.

Where a document prints the word whole elsewhere, that form wins: "employment" joins the pieces, "self-employed"
keeps the hyphen. Where it prints neither, the hyphen stays, unless the document's other line-end hyphens show that
it breaks words (a justified, hyphenated layout). Measured on labour-docs' 86 PDFs: of the line-end hyphens whose
word the document prints whole elsewhere, 66 belong to compounds (front-line, anti-trafficking, non-state,
evidence-based) and 2 break a word (transi-zioni, eco-nomica, in one Italian report); the 954 others are compounds
("three-year", "non-governmental", "cross-sectoral") and web addresses broken after a hyphen. Joining every one, as kb
did, wrote "nongovernmental" and "threeyear", words no question holds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

# Words as a document prints them, compounds whole ("self-employed").
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# A line that ends in a word and a hyphen, and the line after it, which starts with the rest in lower case.
_HEAD = re.compile(r"([^\W_]+)-$")
_TAIL = re.compile(r"[^\W\d_][^\W_]*")


class LineBreaks:
    """How to join the lines of one document where a line ends in a hyphen."""

    def __init__(self, pages: Sequence[Sequence[str]]) -> None:
        self._words = Counter(w.lower() for lines in pages for line in lines for w in _WORD.findall(line))
        votes = [self._evidence(head, tail) for head, tail in _breaks(pages)]
        self._breaks_words = votes.count(True) > votes.count(False)  # the layout hyphenates words

    def _evidence(self, head: str, tail: str) -> bool | None:
        """True when the document prints the joined word more often than the hyphenated one, False when less."""
        joined, hyphenated = self._words[(head + tail).lower()], self._words[f"{head}-{tail}".lower()]
        return None if joined == hyphenated else joined > hyphenated

    def join(self, line: str, following: str) -> str | None:
        """`line` and `following` as one, when `line` ends in a word and a hyphen and `following` goes on with the
        word in lower case: without the hyphen when it broke the word, with it when it is a compound's (or follows
        no word). None when the lines are not a word broken across them."""
        if not line.endswith("-") or line.endswith(" -") or not following[:1].islower():
            return None  # " -" is a dash between words
        head, tail = _HEAD.search(line), _TAIL.match(following)
        if head is None or tail is None:
            return line + following  # a hyphen after punctuation: a web address's "/---" + "sro-budapest/"
        broken = self._evidence(head.group(1), tail.group(0))
        if broken is None:
            broken = self._breaks_words
        return line[:-1] + following if broken else line + following


def _breaks(pages: Iterable[Sequence[str]]) -> Iterable[tuple[str, str]]:
    """(the word before, the word after) for each line-end hyphen followed by a lower-case line."""
    for lines in pages:
        for line, following in zip(lines, lines[1:]):
            head, tail = _HEAD.search(line), _TAIL.match(following)
            if head and tail and following[:1].islower():
                yield head.group(1), tail.group(0)
