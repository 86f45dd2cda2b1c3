"""The documents a question's countries are given to by their metadata or title (kb.ingest.enrich.normalise_countries),
which the keyword search scores as if each of their chunks held the country's name once.

corpus/'s Italian guide to dual apprenticeship is tagged Italia and never writes it: "apprenticeships in Italy" found
it neither by keyword (its words are Italian) nor by meaning, and said "No confident match: no top hit is about Italy".
A document that names a country in its metadata or title is about it, more than one that mentions it in passing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.records import Filters
from kb.search.filters import normalise

if TYPE_CHECKING:
    from kb.index.store import IndexReader


def about(reader: IndexReader, names: Sequence[str]) -> list[tuple[set[str], float]]:
    """For each country of `names` (as the table reads them), the documents tagged with it and the IDF of a term each of
    their chunks held (their chunks counted at the index's average per document): KeywordIndex.search's `about`."""
    from kb.index.keyword.tantivy import idf
    from kb.ingest.enrich import countries

    codes = dict.fromkeys(country.code for name in names if (country := countries().lookup(name)) is not None)
    if not codes:
        return []
    documents, chunks = reader.counts()
    found = []
    for code in codes:
        tagged = reader.documents_matching(normalise(Filters(where={"country": (code,)}))) or set()
        if tagged:
            found.append((tagged, idf(round(len(tagged) * chunks / max(documents, 1)), chunks)))
    return found
