"""Word lists of the languages kb analyses (pyspellchecker's: en, fr, es, it, nl), and whether one holds a word.

Spelling correction asks whether a question's word is a real word (kb/search/spelling.py); language detection asks
which language a short question's words belong to (kb/languages.py). Each list is read when first asked, from a plain
copy kept in kb's cache, and a word is looked up in it by a binary search (no set is built for a few words); a list of
another language than English is of common forms and leaves out many a plural or feminine, so a word also counts as
known when it stems as one of its words does (their stems kept beside).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# British spellings and their American forms: pyspellchecker's English list is American, and the ILO writes British
# ("labour", "programme", "prioritise", "centre", "analyse", "travelled", "paediatric"). Patterns as text: re compiles
# and keeps them at the first misspelt word, not at every one-shot `kb search`'s start.
BRITISH = ((r"our(s|ed|ing|able)?$", r"or\1"), (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"ys(e|es|ed|ing)$", r"yz\1"),
            (r"tre(s)?$", r"ter\1"), (r"mme(s)?$", r"m\1"), (r"logue(s)?$", r"log\1"), (r"ence(s)?$", r"ense\1"),
            (r"ll(ed|ing|er|ers)$", r"l\1"), (r"ae", "e"), (r"oe", "e"))


def _spellings(word: str) -> set[str]:
    """The word and its American forms, if it is spelt the British way."""
    return {word} | {re.sub(pattern, american, word) for pattern, american in BRITISH}


@lru_cache(maxsize=8)
def words(language: str) -> frozenset[str] | None:
    """pyspellchecker's words of a language as a set, None for a language it has not: what spelling correction looks
    up a misspelt word's ~1,400 neighbours in (0.12-0.23 s to build; known() needs none)."""
    listed = _listed(language)
    return None if listed is None else frozenset(listed.decode("utf-8").split("\n"))


@lru_cache(maxsize=8)
def _listed(language: str) -> bytes | None:
    """A language's words, sorted, one a line (UTF-8): a plain copy in kb's cache of pyspellchecker's gzipped JSON of
    word counts, made on first use; read in a few milliseconds."""
    import gzip
    import json

    source = _source(language)
    if source is None:
        return None

    def read() -> list[str]:
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            return sorted(json.load(fh))

    return _kept(f"{_version(source, language)}.txt", read)


def _holds(lines: bytes, word: str) -> bool:
    """Whether sorted lines (as _kept gives them) hold the word: a binary search over the bytes, ~20 steps, so that a
    question's few words are looked up without building a set of a list's 86,000-344,000 words. UTF-8 sorts as
    Python sorts str, by code point."""
    wanted, low, high = word.encode("utf-8"), 0, len(lines)
    while low < high:
        middle = (low + high) // 2
        start = lines.rfind(b"\n", 0, middle) + 1
        end = lines.find(b"\n", middle)
        end = len(lines) if end < 0 else end
        line = lines[start:end]
        if line == wanted:
            return True
        if line < wanted:
            low = end + 1
        else:
            high = start
    return False


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


def _kept(name: str, make: Callable[[], list[str]]) -> bytes:
    """A file of kb's spelling cache: sorted lines made by `make` when it is not there yet (written atomically)."""
    import os

    from kb.config import cache_root

    cached = cache_root() / "spelling" / name
    try:
        return cached.read_bytes()
    except OSError:  # not made yet
        data = "\n".join(make()).encode("utf-8")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f".{cached.name}.{os.getpid()}")
            partial.write_bytes(data)
            os.replace(partial, cached)
        except OSError:  # a cache that cannot be written: made again next time
            pass
        return data


@lru_cache(maxsize=16384)  # a short question's words are looked up in English's list once per language tried
def known(word: str, language: str) -> bool:
    """Whether a language's word list holds the word (lowercased): as it is (its ligatures written out: "œuvre" as
    "oeuvre"), in its American form when it is spelt the British way (English), or, in another language, as a form of
    one of its words: "verdes" and "previos" stem as "verde" and "previo" do."""
    from kb.languages import STEMMERS

    listed = _listed(language)
    if not listed or language not in STEMMERS:
        return False
    if "œ" in word or "æ" in word:  # the lists write "oeuvre", "coeur": "main-d'œuvre" was made "main-d'ouvre"
        word = word.replace("œ", "oe").replace("æ", "ae")
    if language == "en":
        return any(_holds(listed, w) for w in _spellings(word))
    if _holds(listed, word):
        return True
    stem, stems = _stemmer(language).stemWord(word), _stems(language)
    # Spanish's "-ces" plural of a word in "-z" (aprendices, aprendiz) stems apart: the keyword analysis joins them too
    if _holds(stems, stem) or (language == "es" and stem.endswith("c") and _holds(stems, stem[:-1] + "z")):
        return True
    # Typed without its accents, as keyboards and phones type them: "indemnites journalieres", "competences"
    from kb.languages import fold

    folded = _folded(language)
    return _holds(folded, fold(word)) or _holds(folded, fold(stem))


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Any:
    """PyStemmer's stemmer of a language, as the keyword analysis uses it."""
    import Stemmer

    from kb.languages import STEMMERS

    return Stemmer.Stemmer(STEMMERS[language])


@lru_cache(maxsize=8)
def _stems(language: str) -> bytes:
    """The stems (Snowball's, unfolded) of a language's dictionary words, sorted, kept in kb's cache beside the words:
    stemming them takes 0.25-1.7 s, once."""
    listed, source = _listed(language), _source(language)
    if not listed or source is None:
        return b""
    made = lambda: sorted(set(_stemmer(language).stemWords(listed.decode("utf-8").split("\n"))))  # noqa: E731
    return _kept(f"{_version(source, language)}.stems", made)


@lru_cache(maxsize=8)
def _folded(language: str) -> bytes:
    """A language's words and their stems with their accents off, sorted, kept in kb's cache beside them: a French
    question typed without its accents ("conge maladie indemnites journalieres") was taken for English, whose
    spelling correction then made "conge" "longe"."""
    listed, source = _listed(language), _source(language)
    if not listed or source is None:
        return b""

    def made() -> list[str]:
        from kb.languages import fold

        words = listed.decode("utf-8").split("\n")
        return sorted({fold(w) for w in words} | {fold(s) for s in _stemmer(language).stemWords(words)})

    return _kept(f"{_version(source, language)}.folded", made)
