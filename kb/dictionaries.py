"""Word lists of the languages kb analyses (pyspellchecker's: en, fr, es, it, nl), and whether one holds a word.

Spelling correction asks whether a question's word is a real word (kb/search/spelling.py); language detection asks
which language a short question's words belong to (kb/languages.py). Each list is read when first asked, from a plain
copy kept in kb's cache (0.12-0.23 s here: Spanish, English, Dutch; a one-shot `kb search "kenia"` reads two); a list
of another language than English is of common forms and leaves out many a plural or feminine, so a word also counts
as known when it stems as one of its words does (their stems kept beside, 0.02-0.08 s to read).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# British spellings and their American forms: pyspellchecker's English list is American, and the ILO writes British
# ("labour", "programme", "prioritise", "centre", "analyse", "travelled", "paediatric"). Patterns as text: re compiles
# and keeps them at the first misspelt word, not at every one-shot `kb search`'s start.
_BRITISH = ((r"our(s|ed|ing|able)?$", r"or\1"), (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"),
            (r"tre(s)?$", r"ter\1"), (r"mme(s)?$", r"m\1"), (r"logue(s)?$", r"log\1"), (r"ence(s)?$", r"ense\1"),
            (r"ll(ed|ing|er|ers)$", r"l\1"), (r"ae", "e"), (r"oe", "e"))


def _spellings(word: str) -> set[str]:
    """The word and its American forms, if it is spelt the British way."""
    return {word} | {re.sub(pattern, american, word) for pattern, american in _BRITISH}


@lru_cache(maxsize=8)
def words(language: str) -> frozenset[str] | None:
    """pyspellchecker's words of a language, None for a language it has not. Read from a plain copy in kb's cache
    (made on first use), faster than its gzipped JSON of word counts."""
    import gzip
    import json

    source = _source(language)
    if source is None:
        return None

    def read() -> list[str]:
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            return sorted(json.load(fh))

    return _kept(f"{_version(source, language)}.txt", read)


def _source(language: str) -> str | None:
    """pyspellchecker's word list of a language, None if it has none."""
    from importlib.resources import files

    source = files("spellchecker") / "resources" / f"{language}.json.gz"
    return str(source) if source.is_file() else None


def _version(source: str, language: str) -> str:
    """What names the copies made of one word list: its language, size and time."""
    import os

    stat = os.stat(source)
    return f"{language}-{stat.st_size}-{stat.st_mtime_ns}"


def _kept(name: str, make: Callable[[], list[str]]) -> frozenset[str]:
    """The lines of a file of kb's spelling cache, made by `make` when it is not there yet (written atomically)."""
    import os

    from kb.config import cache_root

    cached = cache_root() / "spelling" / name
    try:
        return frozenset(cached.read_text(encoding="utf-8").split("\n"))
    except OSError:  # not made yet
        lines = make()
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f".{cached.name}.{os.getpid()}")
            partial.write_text("\n".join(lines), encoding="utf-8")
            os.replace(partial, cached)
        except OSError:  # a cache that cannot be written: made again next time
            pass
        return frozenset(lines)


def known(word: str, language: str) -> bool:
    """Whether a language's word list holds the word (lowercased): as it is, in its American form when it is spelt the
    British way (English), or, in another language, as a form of one of its words: "verdes" and "previos" stem as
    "verde" and "previo" do."""
    from kb.languages import STEMMERS

    listed = words(language)
    if not listed or language not in STEMMERS:
        return False
    if language == "en":
        return any(w in listed for w in _spellings(word))
    if word in listed:
        return True
    stem, stems = _stemmer(language).stemWord(word), _stems(language)
    # Spanish's "-ces" plural of a word in "-z" (aprendices, aprendiz) stems apart: the keyword analysis joins them too
    return stem in stems or (language == "es" and stem.endswith("c") and stem[:-1] + "z" in stems)


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Any:
    """PyStemmer's stemmer of a language, as the keyword analysis uses it."""
    import Stemmer

    from kb.languages import STEMMERS

    return Stemmer.Stemmer(STEMMERS[language])


@lru_cache(maxsize=8)
def _stems(language: str) -> frozenset[str]:
    """The stems (Snowball's, unfolded) of a language's dictionary words, kept in kb's cache beside the words: stemming
    them takes 0.25-1.7 s, once."""
    listed, source = words(language), _source(language)
    if not listed or source is None:
        return frozenset()
    return _kept(f"{_version(source, language)}.stems", lambda: sorted(set(_stemmer(language).stemWords(sorted(listed)))))
