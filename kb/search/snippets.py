"""Snippets: the query's terms and stems, the words they mark in a passage, and the excerpt around them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from kb.languages import DEFAULT_LANGUAGE, STOP_WORDS

SNIPPET_CHARS = 280

# English's stop words; each language's are in kb/languages.py.
_STOPWORDS = STOP_WORDS[DEFAULT_LANGUAGE]
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


def query_terms(query: str, languages: Sequence[str] = (DEFAULT_LANGUAGE,)) -> list[str]:
    """The query's words that carry meaning: lowercased, the stop words of its `languages` dropped (all kept if
    nothing is left). Those words are never highlighted either: highlights mark the terms' stems."""
    stop = _STOPWORDS if tuple(languages) == (DEFAULT_LANGUAGE,) else frozenset().union(*(STOP_WORDS[x] for x in languages))
    words = [w.lower() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in stop]
    return list(dict.fromkeys(kept or words))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Porter stem of a word, lowercased."""
    return _stemmer().stemWord(word.lower())


def highlight_spans(text: str, stems: set[str], language: str | None = None) -> list[tuple[int, int]]:
    """[start, end) offsets of words in text whose stem is one of the query's stems; in a passage of another
    language than English (`language`, its document's), never one of that language's stop words.

    Only words that begin like a stem are stemmed (a stem keeps its word's first letters), so a
    passage of a hundred words costs a regex scan and a few stemmer calls, not a hundred.
    """
    # "s" (of "people's") stems to nothing: not a word to mark; nor is a verb as empty as "get".
    stems = {s for s in stems if s and s not in _UNMARKED}
    if not stems:
        return []
    spans = [(m.start(), m.end()) for m in _candidates(frozenset(stems)).finditer(text) if stem(m.group(0)) in stems]
    if any(h in text for h in _HYPHENS):
        compounds = (m for m in _COMPOUND.finditer(text) if all(stem(w) in stems for w in _WORD.findall(m.group(0))))
        spans = sorted(spans + [(m.start(), m.end()) for m in compounds])
    stop = STOP_WORDS.get(language) if language and language != DEFAULT_LANGUAGE else None
    return [(s, e) for s, e in spans if text[s:e].lower() not in stop] if stop else spans


# Highlights never mark part of a hyphenated word ("SKILL" of "SKILL-UP" for "skill"); the whole compound is
# marked when each of its parts is a word of the query ("COVID-19" for "COVID-19 pandemic").
_HYPHENS = "-\u00ad\u2010\u2011"
_COMPOUND = re.compile(rf"(?<!\w)\w+(?:[{_HYPHENS}]\w+)+")
# Generic verbs that no stop word list holds but that say nothing in a passage: searched for, never marked.
_UNMARKED = frozenset({"get", "got", "gotten"})


@lru_cache(maxsize=1024)
def _candidates(stems: frozenset[str]) -> re.Pattern[str]:
    """Words that start with a stem's first letters (two of a short stem, "toys" -> "toi", three of a longer one)
    and stand alone: not joined to another word by a hyphen."""
    prefixes = sorted({s[:2] if len(s) <= 3 else s[:3] for s in stems})
    alone_before, alone_after = rf"(?<!\w[{_HYPHENS}])", rf"(?![{_HYPHENS}]\w)"
    return re.compile(alone_before + r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*\b" + alone_after, re.IGNORECASE)


def _window(text: str, spans: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The [start, end) window of at most `size` chars holding the most distinct matched words."""
    if len(text) <= size:
        return 0, len(text)
    best, best_start = -1, 0
    for i, (start, _) in enumerate(spans):
        begin = max(0, start - size // 4)
        words = set()
        for s, e in spans[i:]:
            if e > begin + size:
                break  # spans come in order: none after this one ends inside the window either
            words.add(text[s:e].lower())
        if len(words) > best:
            best, best_start = len(words), begin
    if best < 0:
        best_start = 0
    return best_start, min(len(text), best_start + size)


def make_snippet(text: str, stems: set[str], size: int = SNIPPET_CHARS,
                 language: str | None = None) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A short excerpt of text around the query's words, with highlight offsets (`language`: the text's)."""
    spans = highlight_spans(text, stems, language)
    start, end = _window(text, spans, size)
    # Snap to word boundaries so a snippet never starts or ends inside a word.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[start:end].strip()
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    shift = len(prefix) - start - lead
    marks = tuple((s + shift, e + shift) for s, e in spans if s >= start + lead and e <= start + lead + len(body))
    return prefix + body + suffix, marks
