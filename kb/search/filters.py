"""Filters as a user writes them -> filters as the index stores their values (facet names, ISO country codes)."""

from __future__ import annotations

from typing import Any

from kb.index.catalog import facet_field
from kb.records import Filters


def normalise(filters: Filters) -> Filters:
    """The same filters in the index's terms: facet names singular ('countries' -> 'country'), languages
    lowercased, and countries as ISO 3166-1 alpha-2 codes ('Ghana', 'GHA' and 'GH' all mean GH)."""
    where: dict[str, tuple[str, ...]] = {}
    for key, values in filters.where.items():
        name = facet_field(key)
        if name == "country":
            values = _country_codes(values)
        # Two keys naming one facet ('country', 'countries') are one field: its values are OR-ed.
        where[name] = (*where.get(name, ()), *values)
    return Filters(
        types=filters.types, languages=tuple(code.lower() for code in filters.languages),
        since=filters.since, until=filters.until, where=where,
    )


def _country_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value's ISO code when the country table knows it, else the value as given."""
    from kb.ingest.enrich import countries  # the table is read on the first country filter, not at start-up

    return tuple((c.code if (c := countries().lookup(v)) else v) for v in values)


def describe(filters: Filters) -> dict[str, Any]:
    """The filters as a search result reports them: {field: values as the user gave them}."""
    out: dict[str, Any] = {}
    if filters.types:
        out["type"] = list(filters.types)
    if filters.languages:
        out["language"] = list(filters.languages)
    if filters.since:
        out["since"] = filters.since
    if filters.until:
        out["until"] = filters.until
    for key, values in filters.where.items():
        out[facet_field(key)] = list(values)
    return out
