"""Text analysis for a keyword engine that takes its tokens ready-made: words, lowercased, accents folded, stemmed.

English reproduces FTS5's `porter unicode61 remove_diacritics 2` (kb/index/keyword/fts5.py): a token is a run of
letters and digits (an underscore separates, as in unicode61), case and diacritics are folded, then the Porter
stemmer runs. Tantivy's own English stemmer is Snowball's Porter2, whose other stems cost 0.004 hybrid nDCG@10
on SciFact; PyStemmer's compiled Porter (a kb dependency already) keeps FTS5's stems at ~40 us a chunk. English
keeps its stop words in the index (FTS5 did; questions drop them before they get here), so its tokens are as before.

French, Spanish, Italian and Dutch (kb/languages.py) put STOPPED in place of their stop words, which would otherwise
be rare, and so weighty, words in an index of mostly English text: no question matches them, and a chunk keeps the
length FTS5 counts (English chunks count their stop words), so that BM25's length normalisation treats every language
alike and English scores do not move (dropping them instead moved 11 of 291 English rankings of the corpus/ question
sets). The other words are stemmed with Snowball's algorithm for the language, then the stem's accents folded
(Snowball's rules read the accents, so folding comes after). Spanish stems end in "c" where a
"z" stands before the plural's "-ces" (aprendiz, aprendices: both "aprendic"), which Snowball leaves apart.

ANALYSIS_VERSION names these tokens. An index written before it (version 1) holds English tokens for every
document, and is written and read with English analysis alone, as it was built.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from kb.languages import DEFAULT_LANGUAGE, STEMMERS, STOP_WORDS, fold, supported

# 1: every document analysed as English; 2: each document in its own language (kb/languages.py).
ANALYSIS_VERSION = 2
ENGLISH_ONLY = 1
# Distinct words whose stems are remembered per language; beyond this many the memory starts again.
STEMS_KEPT = 500_000
# The token a non-English stop word leaves in the index: never a word's token (an underscore separates words).
STOPPED = "_"
WORD = re.compile(r"[^\W_]+")  # a word, as the index reads words (kb/search/glossary.py matches terms so)


class Analyzer:
    """Words to tokens for one language, each distinct word stemmed once."""

    def __init__(self, language: str) -> None:
        import Stemmer

        self.language = language
        self._stemmer = Stemmer.Stemmer(STEMMERS[language])
        self._english = language == DEFAULT_LANGUAGE
        # English documents keep their stop words: the tokens FTS5 always made.
        self._stop = frozenset() if self._english else STOP_WORDS[language]
        self._stems: dict[str, str] = {}

    def _stem(self, word: str) -> str:
        if len(self._stems) >= STEMS_KEPT:
            self._stems.clear()
        if self._english:
            stem = self._stemmer.stemWord(fold(word))
        elif word in self._stop:
            stem = STOPPED
        else:
            stem = fold(self._stemmer.stemWord(word))
            if self.language == "es" and stem.endswith("z"):
                stem = stem[:-1] + "c"
        self._stems[word] = stem
        return stem

    def tokens(self, text: str) -> list[str]:
        """The text's tokens in order, as the index holds them (a stop word of a language but English: STOPPED)."""
        known = self._stems.get
        return [known(w) or self._stem(w) for w in WORD.findall(text.lower())]

    def __repr__(self) -> str:
        return f"Analyzer({self.language!r})"


@cache
def analyzer(language: str = DEFAULT_LANGUAGE) -> Analyzer:
    """The analyzer of a language (one per process); a language kb has no analysis for gets English's."""
    return Analyzer(supported(language))


@lru_cache(maxsize=65536)
def word_token(language: str, word: str) -> str:
    """The token the index holds for one word of a text in `language` ("" for a stop word or a run of several
    tokens): what a question's word must give for the keyword search to match it there."""
    tokens = analyzer(language).tokens(word)
    return tokens[0] if len(tokens) == 1 and tokens[0] != STOPPED else ""


def document_language(language: str | None, version: int) -> str:
    """The language a document of `language` is indexed in, in an index of analysis `version`."""
    return supported(language) if version >= ANALYSIS_VERSION else DEFAULT_LANGUAGE


def query_tokens(terms: list[str] | tuple[str, ...], languages: tuple[str, ...], version: int) -> list[str]:
    """A question's terms as the index holds them, analysed in each of `languages` (an old index: English alone),
    each token once."""
    chosen = languages if version >= ANALYSIS_VERSION and languages else (DEFAULT_LANGUAGE,)
    tokens = (t for language in chosen for term in terms for t in analyzer(language).tokens(term))
    return list(dict.fromkeys(t for t in tokens if t != STOPPED))
