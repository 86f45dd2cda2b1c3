"""Misspelt question words: a word that neither the index nor a dictionary of the question's languages holds, one edit
away from a dictionary word that chunks hold, is searched as that word ("aprenticeship in kenia" as "apprenticeship in
kenya"), and the search says so.

Only words typed in lower case are corrected (a capital says a name or an acronym is meant as typed: "Keyna"), of
MIN_LETTERS letters or more, and not the beginning of a word the index holds (a search box asks at every pause,
mid-word: "appr" is left alone). A real word the index lacks stays as typed: "paternity" is not made "maternity",
"coal" not "goal", "prioritise" not "priorities" (British spellings are read as their American forms), "verdes" not
"verses" (a Spanish plural: kb/dictionaries.py). The dictionaries are pyspellchecker's word lists (en, fr, es, it, nl),
read when a question first has a word the index lacks (kb/dictionaries.py). Of the words one deletion, transposition,
replacement or insertion away that a dictionary holds, the one held by the most chunks, at least MIN_CHUNKS, replaces
it. An fts5 index corrects nothing.

Cost (labour-docs, the bench's 117 questions, dictionaries read): 0.06 ms a question; 1-2 ms for one with a word the
index lacks ("cryptocurrency": ~1,400 spellings one edit away). Over the repo's 229 questions (four sets): none
corrected on the labour-docs index; on corpus/ one, an Italian question's "tripartita" (no Italian word list has it)
searched as "tripartite".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kb.dictionaries import known
from kb.dictionaries import words as words_of

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
        if any(known(word, language) for language in languages):
            continue
        dictionaries = [d for d in map(words_of, languages) if d is not None]  # sets, for the ~1,400 neighbours
        if not dictionaries:
            continue
        held = sorted((-chunks, edit) for edit in _edits(word) if any(edit in d for d in dictionaries)
                      and (chunks := keyword.doc_freq(edit, languages)) >= MIN_CHUNKS)
        if held:
            fixes[word] = held[0][1]
    return fixes


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
