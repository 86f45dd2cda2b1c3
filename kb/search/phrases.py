"""Quoted phrases: a question's words in quotes ("decent work", “prior learning”, « emplois verts ») are a phrase that
a hit's document must hold as written, word after word, as a search engine's quotes mean.

The keyword index keeps no word positions (BM25 needs none), so a phrase is found in two steps: the chunks that hold
every one of its words (the keyword index, best BM25 first, at most PHRASE_CHUNKS), then those whose title, heading
path or text has the words in a row (read from the store). Words are compared case- and accent-blind, on their
letters and digits alone: "work-based learning" is the phrase "work based learning". A phrase of stop words only
(nothing the keyword index holds) narrows nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from kb.languages import STOP_WORDS
from kb.search.grouping import DocCandidate
from kb.search.snippets import query_terms

if TYPE_CHECKING:
    from kb.index.store import IndexReader

# The chunks holding every word of a phrase that are read to find it: the BM25-best of them. A common phrase ("decent
# work") has more; its documents then are those of its best chunks.
PHRASE_CHUNKS = 1000
# Curly and French quotes, each pair closing as it opened (straight quotes pair off from the left).
_QUOTED = re.compile(r"“([^”]+)”|«([^»]+)»|„([^“”]+)[“”]")
_WORD = re.compile(r"\w+")
# The combining marks NFKD splits off Latin, Greek and Cyrillic letters (é = e + U+0301): dropped, so "é" is "e".
_ACCENTS = re.compile("[\u0300-\u036f]")


def quoted(query: str) -> tuple[str, ...]:
    """The phrases a question quotes, each once, in order of kind (straight quotes, then the others); an unclosed quote
    quotes nothing."""
    parts = query.split('"')
    straight = parts[1:len(parts) - 1:2]  # between the 1st and 2nd quote, the 3rd and 4th…; an odd last one is unclosed
    others = (next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(query))
    return tuple(dict.fromkeys(p.strip() for p in (*straight, *others) if _WORD.search(p)))


def _fold(text: str) -> str:
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def words(text: str) -> list[str]:
    """A text's words as phrases are compared: its runs of letters and digits, lower case, accents dropped."""
    return _WORD.findall(_fold(text))


def spans(text: str, phrase: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) of each place the text has the phrase's words (as words() gives them) in a row."""
    size = len(phrase)
    if not size:
        return []
    found = list(_WORD.finditer(text))
    folded = [_fold(m.group()) for m in found]
    wanted = list(phrase)
    return [(found[i].start(), found[i + size - 1].end()) for i in range(len(found) - size + 1)
            if folded[i] == wanted[0] and folded[i:i + size] == wanted]


def holds(texts: Iterable[str], phrase: Sequence[str], plurals: bool = False) -> bool:
    """Whether one of the texts has the phrase's words (as words() gives them) in a row; with `plurals`, each word or
    its plural in -s or -es ("sector skills councils" holds "sector skills council")."""
    if not phrase:
        return False
    pattern = _in_a_row(tuple(phrase), plurals)
    return any(pattern.search(_fold(text)) for text in texts)


@lru_cache(maxsize=256)
def _in_a_row(phrase: tuple[str, ...], plurals: bool = False) -> re.Pattern[str]:
    # The words as whole runs of letters and digits, with only other characters between them: what comparing the
    # text's words() in order would find, in one scan.
    ending = "(?:e?s)?" if plurals else ""
    return re.compile(r"(?<!\w)" + r"\W+".join(re.escape(w) + ending for w in phrase) + r"(?!\w)")


def phrase_chunks(reader: IndexReader, phrases: Sequence[str], languages: Sequence[str],
                  plurals: bool = False) -> tuple[dict[str, list[int]] | None, tuple[str, ...]]:
    """({doc_id: its chunks whose heading path or text holds a phrase, best bm25 first} for the documents that hold
    every phrase (in a chunk or in their title), the phrases no document holds). None instead of the dict when no
    phrase has a word the keyword index could hold: nothing narrows the search then. `plurals`: as holds() reads
    them."""
    found: dict[str, list[int]] | None = None
    missing = []
    stop = frozenset().union(*(STOP_WORDS.get(language, ()) for language in languages))
    for phrase in phrases:
        terms = [t for t in query_terms(phrase, languages) if t not in stop]
        ids = reader.keyword.holding_all(terms, PHRASE_CHUNKS, languages) if terms else None
        if ids is None:  # stop words only ("to be or not to be"): nothing the index holds to look them up by
            continue
        chunks = reader.chunks(ids)
        titles = {d: doc.title for d, doc in reader.documents({c.doc_id for c in chunks.values()}).items()}
        phrase_words = words(phrase)
        holding: dict[str, list[int]] = {}
        for chunk_id in ids:
            chunk = chunks.get(chunk_id)
            if chunk is None:
                continue
            if holds((" ".join(chunk.heading_path), chunk.text), phrase_words, plurals):
                holding.setdefault(chunk.doc_id, []).append(chunk_id)
            elif holds((titles.get(chunk.doc_id, ""),), phrase_words, plurals):
                holding.setdefault(chunk.doc_id, [])  # the document holds it in its title: no passage to prefer
        if not holding:
            missing.append(phrase)
        found = holding if found is None else {d: found[d] + c for d, c in holding.items() if d in found}
    return found, tuple(missing)


def phrases_first(candidate: DocCandidate, holding: Sequence[int]) -> DocCandidate:
    """The candidate with its chunks that hold a quoted phrase first (those the retrievers found in their order, then
    the others, scored 0), so that its passages show the phrase."""
    if not holding:
        return candidate
    found = {c for c, _ in candidate.chunks}
    inside = set(holding)
    lead = [(c, s) for c, s in candidate.chunks if c in inside] + [(c, 0.0) for c in holding if c not in found]
    rest = [(c, s) for c, s in candidate.chunks if c not in inside]
    return DocCandidate(candidate.doc_id, candidate.score, tuple(lead + rest))
