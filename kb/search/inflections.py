"""Which words are inflections of a question's words: what an English highlight marks (kb/search/snippets.py)."""

from __future__ import annotations

from functools import lru_cache

# Porter gives one stem to a word and its derivations: "employer" and "employment", "informal" and "information",
# "personal" and "persons". The keyword search matches them alike; a highlight says "your word", so in English it marks
# a question's word and its inflections only: what is left of both past their common start is one of these endings
# (a consonant doubled before -ing or -ed: "stop", "stopping"). Over the repo's 177 questions in 3 modes on labour-docs
# and corpus/, the marks it drops are such derivations: "employment" for "employer" ~105 times, "information" for
# "informal" ~35, "university" for "universal", "important" for "import"; "recruitment" for "recruiting" goes too.
_INFLECTIONS = frozenset({"", "s", "es", "e", "ed", "d", "ing", "y", "i", "ies", "ied", "ying"})


def inflection(word: str, term: str) -> bool:
    """Whether `word` is `term` or an inflection of it (or both of one word), both lowercased: "countries" of
    "country", "trained" of "training", "hoping" of "hope"; not "employment" of "employer"."""
    common = 0
    for a, b in zip(word, term):
        if a != b:
            break
        common += 1
    return all(_inflectional(rest, word[common - 1] if common else "") for rest in (word[common:], term[common:]))


def _inflectional(ending: str, before: str) -> bool:
    if ending[:1] == before and ending[1:] in ("ing", "ed"):  # "stopp|ing": the consonant doubled
        ending = ending[1:]
    return ending in _INFLECTIONS


@lru_cache(maxsize=65536)
def an_inflection(word: str, terms: tuple[str, ...]) -> bool:
    """Whether `word` is one of the `terms` or an inflection of one (all lowercased)."""
    return any(inflection(word, term) for term in terms)
