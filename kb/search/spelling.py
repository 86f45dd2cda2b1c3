"""Misspelt question words: a word that neither the index nor a dictionary of the question's languages holds, one edit
away from a dictionary word that chunks hold, is searched as that word ("aprenticeship in kenia" as "apprenticeship in
kenya"), and the search says so.

Only words typed in lower case are corrected (a capital says a name or an acronym is meant as typed: "Keyna"), of
MIN_LETTERS letters or more, and not the beginning of a word the index holds (a search box asks at every pause,
mid-word: "appr" is left alone). A real word the index lacks stays as typed: "paternity" is not made "maternity",
"coal" not "goal", "prioritise" not "priorities" (British spellings are read as their American forms). The
dictionaries are pyspellchecker's word lists (en, fr, es, it, nl), read when a question first has a word the index
lacks (~0.03 s). Of the words one deletion, transposition, replacement or insertion away that a dictionary holds,
the one held by the most chunks, at least MIN_CHUNKS, replaces it. An fts5 index corrects nothing.

Cost (labour-docs, the bench's 117 questions, dictionaries read): 0.06 ms a question; 1-2 ms for one with a word the
index lacks ("cryptocurrency": ~1,400 spellings one edit away). Over the repo's 229 questions (four sets): none
corrected on the labour-docs index; on corpus/ one, an Italian question's "tripartita" (no Italian word list has it)
searched as "tripartite".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.index.keyword import KeywordIndex

MIN_LETTERS = 4
MIN_CHUNKS = 2
# The letters a misspelling may have dropped or swapped: English, French, Spanish and Italian ones.
_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüñáíóú"


def corrections(words: Sequence[str], typed: str, keyword: KeywordIndex, languages: Sequence[str]) -> dict[str, str]:
    """{word: the word searched instead} for the misspelt ones of a question's `words` (lowercased, as query_terms gives
    them; `typed`: the question as typed, whose capitals say which words are names)."""
    fixes: dict[str, str] = {}
    as_typed = set(re.findall(r"\w+", typed))  # a word typed in lower case is one of these as it stands
    for word in words:
        if (len(word) < MIN_LETTERS or not word.isalpha() or word not in as_typed
                or keyword.doc_freq(word, languages) or keyword.begins_term(word, languages) is not False):
            continue
        dictionaries = [d for d in map(_dictionary, languages) if d is not None]
        if not dictionaries or any(w in d for w in _spellings(word) for d in dictionaries) or _inflected(word, languages):
            continue
        held = sorted((-chunks, edit) for edit in _edits(word) if any(edit in d for d in dictionaries)
                      and (chunks := keyword.doc_freq(edit, languages)) >= MIN_CHUNKS)
        if held:
            fixes[word] = held[0][1]
    return fixes


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
def _dictionary(language: str) -> frozenset[str] | None:
    """pyspellchecker's words of a language, None for a language it has not. Read from a plain copy in kb's cache
    (made on first use): its gzipped JSON of word counts takes ~0.12 s to parse (English), the copy ~0.03 s."""
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
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        partial.write_text("\n".join(lines), encoding="utf-8")
        os.replace(partial, cached)
        return frozenset(lines)


def _inflected(word: str, languages: Sequence[str]) -> bool:
    """Whether the word is an inflected form of a dictionary word of one of these languages other than English: it
    stems as one does. The word lists are of common forms, and leave out many a plural or feminine ("verdes",
    "previos", "formées"), which one edit away from an English word the index holds were searched as it ("verses",
    "previous"). English's list holds its inflections."""
    from kb.languages import STEMMERS

    for language in languages:
        if language != "en" and language in STEMMERS:
            stems = _dictionary_stems(language)
            if stems and _stemmer(language).stemWord(word) in stems:
                return True
    return False


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Any:
    """PyStemmer's stemmer of a language, as the keyword analysis uses it."""
    import Stemmer

    from kb.languages import STEMMERS

    return Stemmer.Stemmer(STEMMERS[language])


@lru_cache(maxsize=8)
def _dictionary_stems(language: str) -> frozenset[str]:
    """The stems (Snowball's, unfolded) of a language's dictionary words, kept in kb's cache beside the words: stemming
    them takes 0.25-1.7 s, reading the copy ~0.02 s."""
    words, source = _dictionary(language), _source(language)
    if not words or source is None:
        return frozenset()
    return _kept(f"{_version(source, language)}.stems", lambda: sorted(set(_stemmer(language).stemWords(sorted(words)))))


def _edits(word: str) -> set[str]:
    """The words one deletion, transposition, replacement or insertion away (Norvig's edits1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS}) - {word}


def corrected(query: str, fixes: Mapping[str, str]) -> str:
    """The question with each misspelt word (any case) replaced by its correction."""
    if not fixes:
        return query
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, fixes)) + r")(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: fixes[m.group().lower()], query)


def notice(fixes: Mapping[str, str]) -> str | None:
    """The sentence a corrected search shows, or None."""
    if not fixes:
        return None
    return f"No document has {_listed(list(fixes), 'or')}: searched for {_listed(list(fixes.values()), 'and')} instead."


def _listed(words: list[str], conjunction: str) -> str:
    quoted = [f"“{w}”" for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {conjunction} {quoted[-1]}"
