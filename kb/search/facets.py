"""Facets: which fields a search counts, and the order its counts are shown in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Facets counted over the documents in the candidate pool of a query.
FACET_FIELDS = ("type", "topic", "country", "region", "language", "year")


def ordered(counts: Mapping[str, Mapping[str, int]], fields: Sequence[str] = FACET_FIELDS) -> dict[str, dict[str, int]]:
    """{field: {value: documents}} in the order of `fields`, the commonest value first (ties by value);
    a field with no values is left out."""
    return {
        f: dict(sorted(counts[f].items(), key=lambda kv: (-kv[1], kv[0])))
        for f in fields if counts.get(f)
    }
