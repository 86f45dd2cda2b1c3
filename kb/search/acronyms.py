"""Acronyms a question uses that no chunk holds ("NEET youth", "What is an NQF?", "analyse de genre EFTP"): looked for
by what they stand for too, as the ILO writes it (kb/data/acronyms.tsv), since a document often spells a term out where
its reader types the acronym: corpus/ writes "young people who are not in employment, education or training", never
"NEET". Only then: an acronym the index holds is searched as typed, as any word is.

An acronym is read as the table writes it ("NEET", "ToT"), in capitals ("TOT"), or in any case in a question typed
without a capital ("neet youth") unless it is an English word there ("tree", "pes").

A name's words alone are often the commonest of the index ("employment", "education", "training"), so a chunk counts
as holding the acronym where it writes a name in a row: the keyword search scores it so (`scored`), and the confidence
reads it so (kb/search/confidence.py); the meaning search reads the names before the question (question.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.index.keyword import KeywordIndex
    from kb.index.store import IndexReader

TABLE = Path(__file__).resolve().parent.parent / "data" / "acronyms.tsv"
_WORD = re.compile(r"(?<![\w-])[^\W\d_][\w]*(?![\w-])")


@cache
def _rows() -> dict[str, tuple[str, ...]]:
    """{an acronym as the table writes it ("ToT"): what it stands for, its names}, read once."""
    from kb.search.instruments import read_table

    return {acronym: tuple(names.split("|")) for acronym, names in read_table(TABLE).items()}


@cache
def table() -> dict[str, tuple[str, ...]]:
    """{an acronym in upper case: its names}."""
    return {acronym.upper(): names for acronym, names in _rows().items()}


def written_in(query: str) -> list[str]:
    """The table's acronyms the question writes, as it writes them: as the table does, in capitals, or in a question
    typed without a capital where no English word is so spelt."""
    from kb.dictionaries import known

    lowercase = not any(c.isupper() for c in query)
    return [word for word in dict.fromkeys(_WORD.findall(query)) if word.upper() in table()
            and (word in _rows() or word.isupper() or (lowercase and not known(word, "en")))]


@cache
def english(acronym: str) -> bool:
    """Whether an acronym of the table (any case) stands for English names only ("NEET", not "EFTP": "enseignement et
    formation …"): one that says nothing of the question's language."""
    from kb.dictionaries import known

    return all(known(word, "en") for name in table()[acronym.upper()] for word in re.findall(r"[^\W\d_]+", name.lower())
               if len(word) > 2)


def spelled_out(query: str, keyword: KeywordIndex, languages: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """{an acronym as the question writes it: the names it stands for that the index holds every word of}, for the
    acronyms no chunk holds."""
    from kb.search.snippets import query_terms

    found: dict[str, tuple[str, ...]] = {}
    for word in written_in(query):
        names = table()[word.upper()]
        if keyword.doc_freq(word.lower(), languages):
            continue
        held = tuple(n for n in names if all(keyword.doc_freq(t, languages) for t in query_terms(n, languages)))
        if held:
            found[word] = held
    return found


def scored(reader: IndexReader, ranked: list[tuple[int, float]], names: Sequence[str], allowed: set[str] | None,
           languages: Sequence[str], limit: int) -> list[tuple[int, float]]:
    """The keyword ranking with each chunk that writes an acronym's name in a row ("not in employment, education or
    training" for "NEET", plurals too) scored as if it held the acronym: plus the IDF of a term those chunks hold (its
    BM25 at one occurrence in a chunk of average length). The name's words alone are common ("education"), and the
    chunks that hold them all are not those that say "NEET"."""
    from kb.index.keyword.tantivy import idf
    from kb.search.phrases import phrase_chunks

    scores = dict(ranked)
    for name in names:
        held, _ = phrase_chunks(reader, (name,), languages, plurals=True)
        chunks = [c for doc_id, ids in (held or {}).items() if allowed is None or doc_id in allowed for c in ids]
        weight = idf(len(chunks), reader.counts()[1])
        for chunk_id in chunks:
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
