"""Text analysis for a keyword engine that takes its tokens ready-made: words, lowercased, accents folded, stemmed.

It reproduces FTS5's `porter unicode61 remove_diacritics 2` (kb/index/keyword/fts5.py): a token is a run of
letters and digits (an underscore separates, as in unicode61), case and diacritics are folded, then the Porter
stemmer runs. Tantivy's own English stemmer is Snowball's Porter2, whose other stems cost 0.004 hybrid nDCG@10
on SciFact; PyStemmer's compiled Porter (a kb dependency already) keeps FTS5's stems at ~40 us a chunk.

The seam for per-document languages (issue 15): one entry per language in STEMMERS (PyStemmer has french,
spanish, italian, dutch, ...), stop words beside it, and a document analysed with its own language's.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

DEFAULT_LANGUAGE = "en"
STEMMERS = {"en": "porter"}  # kb's language code -> PyStemmer's algorithm
# Distinct words whose stems are remembered per language; beyond this many the memory starts again.
STEMS_KEPT = 500_000
_WORD = re.compile(r"[^\W_]+")


class Analyzer:
    """Words to tokens for one language, each distinct word stemmed once."""

    def __init__(self, language: str) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer(STEMMERS[language])
        self._stems: dict[str, str] = {}

    def _stem(self, word: str) -> str:
        if len(self._stems) >= STEMS_KEPT:
            self._stems.clear()
        folded = word if word.isascii() else "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        stem = self._stems[word] = self._stemmer.stemWord(folded)
        return stem

    def tokens(self, text: str) -> list[str]:
        """The text's tokens in order, as the index holds them."""
        known = self._stems.get
        return [known(w) or self._stem(w) for w in _WORD.findall(text.lower())]


@cache
def analyzer(language: str = DEFAULT_LANGUAGE) -> Analyzer:
    """The analyzer of a language (one per process)."""
    return Analyzer(language)
