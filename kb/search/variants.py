"""British and American spellings of a question's English words, both looked for: the ILO writes "labour",
"programme", "harmonised", "centre"; the US Department of Labor and the UN's statisticians write "labor", "program",
"harmonized", "center"; a user types either. The keyword index stems each as it is written ("harmonis", "harmon"), so a
question found only the documents spelt its way, and none when the index holds the word only in the other spelling
(spelling correction leaves alone a word its dictionaries know).

The other form is looked for beside a question's word that no chunk holds, when the index holds the form: the rules
make "harmonized" "harmonised", and a rule's other output that is no word ("majour" of "major") is in no chunk."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from kb.dictionaries import BRITISH

if TYPE_CHECKING:
    from kb.index.keyword import KeywordIndex

# American forms and their British ones, where the word before the ending has three letters or more ("labor",
# "organize"; not "for", "size", "prize"). "-ter" to "-tre" only for the words the ILO writes so: elsewhere it makes
# French words ("minister", "ministre"; "register", "registre") that English documents quote.
_AMERICAN = ((r"(?<=\w{3})or(s|ed|ing|able)?$", r"our\1"), (r"(?<=\w{3})iz(e|es|ed|ing|ation|ations)$", r"is\1"),
             (r"(?<=\w{3})yz(e|es|ed|ing)$", r"ys\1"), (r"(?<=gra)m(s)?$", r"mme\1"), (r"(?<=\w{3})log(s)?$", r"logue\1"),
             (r"(?<=\w{3})ense(s)?$", r"ence\1"), (r"(?<=\w{2}[aeiou])l(ed|ing|er|ers)$", r"ll\1"),
             (r"^(cent|met|fib|theat|lit|calib)er(s)?$", r"\1re\2"))


# The endings (and the vowel pairs) some rule rewrites: a word with none of them (most words) is looked at no further.
_ENDINGS = tuple({f"{stem}{end}" for stem, ends in (
    ("our", ("", "s", "ed", "ing", "able")), ("or", ("", "s", "ed", "ing", "able")),
    ("is", ("e", "es", "ed", "ing", "ation", "ations")), ("iz", ("e", "es", "ed", "ing", "ation", "ations")),
    ("ys", ("e", "es", "ed", "ing")), ("yz", ("e", "es", "ed", "ing")), ("tre", ("", "s")), ("mme", ("", "s")),
    ("gram", ("", "s")), ("logue", ("", "s")), ("log", ("", "s")), ("ence", ("", "s")), ("ense", ("", "s")),
    ("l", ("ed", "ing", "er", "ers"))) for end in ends})
_TRE = {"center", "centers", "meter", "meters", "fiber", "fibers", "theater", "theaters", "liter", "liters", "caliber"}


@cache
def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in (*BRITISH, *_AMERICAN))


def spellings(word: str) -> set[str]:
    """The other spellings the rules make of an English word (British from American and American from British)."""
    if not (word.endswith(_ENDINGS) or word in _TRE or "ae" in word or "oe" in word) or not word.isalpha():
        return set()
    return {form for pattern, other in _rules() if (form := pattern.sub(other, word)) != word}


def ligatures(word: str) -> set[str]:
    """The word with its ligatures written out, or French's "oe" tied: "œuvre" and "oeuvre" are one word, and few
    keyboards type "œ" (the keyword index holds each as it is written)."""
    if "œ" in word or "æ" in word:
        return {word.replace("œ", "oe").replace("æ", "ae")}
    return {word.replace("oe", "œ")} if "oe" in word and word.isalpha() else set()


def held_spellings(terms: Iterable[str], keyword: KeywordIndex,
                   languages: tuple[str, ...] = ("en",)) -> dict[str, tuple[str, ...]]:
    """{term: its other spellings} for the terms that no chunk holds as the question spells them, where the index holds
    those: the British or American form (in its English analysis), the word with its ligatures written out or tied
    (in the question's `languages`: "main-d'oeuvre" finds "main-d'œuvre"). What the keyword search looks for beside
    them, and what the confidence counts as the term. Only then: looking for "labor" beside a "labour" the index holds
    too, or "organization" beside "organisation" (every page of the International Labour Organization), ranked worse on
    the repo's questions (corpus/ part_b hybrid nDCG@10 0.9612 -> 0.9484, labour-docs 0.8926 -> 0.8895)."""
    from kb.index.keyword.analysis import word_token

    found: dict[str, tuple[str, ...]] = {}
    for term in terms:
        held: tuple[str, ...] = ()
        forms = spellings(term)
        if forms and not keyword.doc_freq(term, ("en",)):
            held = tuple(f for f in sorted(forms) if word_token("en", f) != word_token("en", term) and keyword.doc_freq(f, ("en",)))
        tied = ligatures(term)
        if tied and not keyword.doc_freq(term, languages):
            held += tuple(f for f in sorted(tied) if keyword.doc_freq(f, languages))
        if held:
            found[term] = held
    return found
