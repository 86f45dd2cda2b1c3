"""Filters as a user writes them -> filters as the index stores their values (facet names, ISO country codes).

`resolve` checks each field and value against what the index knows (`KnownValues`): a label or a common
spelling ("Tool Report", "tool-report", "apprenticeship") becomes the stored value ("tool_report",
"apprenticeships"); a field or value it cannot place is an UnknownFilter naming the closest known ones, and dates
that end before they begin are BackwardsDates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.errors import BackwardsDates, OutsideRegion, UnknownFilter
from kb.index.catalog import facet_field
from kb.records import Filters

# Fields whose every well-formed value is allowed, known to the index or not.
OPEN_VALUES = {"year": re.compile(r"[12][0-9]{3}")}
# How many close known values an error suggests.
SUGGESTIONS = 3


def spelling(value: str) -> str:
    """How a value is compared with the index's: 'Tool Report', 'tool-report' and 'tool_report' are 'tool report'."""
    return " ".join(w for w in re.split(r"[\s_-]+", value.lower()) if w)


@dataclass(frozen=True)
class KnownValues:
    """What each filter field may name: {field: {spelling: stored value}}, what an error lists per field, and
    tables beyond the index (countries: any country of the table is allowed, with documents or not), with the
    close names such a table offers for a value it does not hold ('Ghanna' -> 'Ghana')."""

    values: Mapping[str, Mapping[str, str]]
    listed: Mapping[str, tuple[str, ...]]
    lookups: Mapping[str, Callable[[str], str | None]] = field(default_factory=dict)
    suggesters: Mapping[str, Callable[[str], Sequence[str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, names: Mapping[str, Iterable[tuple[str, str]]],
              lookups: Mapping[str, Callable[[str], str | None]] | None = None,
              suggesters: Mapping[str, Callable[[str], Sequence[str]]] | None = None) -> KnownValues:
        """From (name, stored value) pairs per field: each stored value names itself, a label or alias another."""
        values: dict[str, dict[str, str]] = {}
        for name, pairs in names.items():
            table = values.setdefault(name, {})
            for alias, stored in pairs:
                table.setdefault(spelling(stored), stored)
                table.setdefault(spelling(alias), stored)
        listed = {name: tuple(sorted(set(table.values()), key=str.lower)) for name, table in values.items()}
        return cls(values, listed, dict(lookups or {}), dict(suggesters or {}))

    def value(self, name: str, given: str) -> str:
        """The stored value `given` names in field `name`; UnknownFilter when it names none."""
        if name in OPEN_VALUES and OPEN_VALUES[name].fullmatch(given.strip()):
            return given.strip()
        table = self.values.get(name, {})
        key = spelling(given)
        for form in _forms(key):
            if form in table:
                return table[form]
        lookup = self.lookups.get(name)
        found = lookup(given) if lookup and given.strip() else None
        if found:
            return found
        suggest = self.suggesters.get(name)
        close = [*(suggest(given) if suggest else ()), *(table[c] for c in close_matches(key, list(table), SUGGESTIONS * 3))]
        raise UnknownFilter(name, given, suggestions=_unique(close)[:SUGGESTIONS], known=self.listed.get(name, ()))


def close_matches(word: str, candidates: list[str], n: int) -> list[str]:
    """The candidates closest to a word that names nothing: those with a word it begins ("press" for press_release,
    "guide" for skills_guide), then difflib's (cutoff 0.6): the suggestions of an error. difflib loads here, when one
    is needed, not with every search (~1.5 ms of a one-shot `kb search`)."""
    import difflib

    begun = [c for c in candidates if len(word) >= 3 and any(p.startswith(word) for p in re.split(r"[\s_-]+", c))]
    return list(dict.fromkeys([*begun, *difflib.get_close_matches(word, candidates, n=n, cutoff=0.6)]))[:n]


def _forms(key: str) -> list[str]:
    """The spelling, then its plural or singular: 'apprenticeship' finds 'apprenticeships', 'tool reports' 'tool report'."""
    forms = [key, key + "s"]
    if key.endswith("s"):
        forms.append(key[:-1])
    if key.endswith("es"):
        forms.append(key[:-2])
    return forms


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def resolve(filters: Filters, known: KnownValues) -> Filters:
    """The filters in the index's own values (see the module's docstring); UnknownFilter for a field or a value
    the index does not know, BackwardsDates for a since after the until. A known value that no document matches is
    not an error: it finds nothing."""
    if filters.since and filters.until and _backwards(filters.since, filters.until):
        raise BackwardsDates(filters.since, filters.until)
    where: dict[str, tuple[str, ...]] = {}
    within: dict[str, frozenset[str]] = {}  # the subregions named ("West Africa") and their countries
    for key, values in filters.where.items():
        name = facet_field(key)
        if name not in known.values and name not in OPEN_VALUES:
            fields = sorted(set(known.values) | set(OPEN_VALUES))
            raise UnknownFilter(key, values[0] if values else "", field_known=False, known=fields,
                                suggestions=close_matches(name, fields, SUGGESTIONS))
        if name == "region":
            stored, subregions = _subregions(values, known)
            within |= subregions
        else:
            stored = tuple(known.value(name, v) for v in values)
        if stored or name != "region" or not values:  # a region field of subregions alone filters by country
            where[name] = tuple(_unique((*where.get(name, ()), *stored)))
    if within:  # a field's values are OR-ed, fields AND-ed: of the countries given, those of the subregions
        codes = frozenset().union(*within.values())
        given = where.get("country")
        where["country"] = tuple(sorted(codes & set(given) if given else codes))
        if not where["country"]:
            countries = [v for k, vs in filters.where.items() if facet_field(k) == "country" for v in vs]
            raise OutsideRegion(countries, list(within))
    return Filters(
        types=tuple(_unique(known.value("type", v) for v in filters.types)),
        languages=tuple(_unique(known.value("language", v) for v in filters.languages)),
        since=filters.since, until=filters.until, where=where,
    )


def _subregions(values: tuple[str, ...], known: KnownValues) -> tuple[tuple[str, ...], dict[str, frozenset[str]]]:
    """(the stored ILO regions the values name; {each other value, as given: its countries' codes}): the index's
    region facet holds the ILO regions alone, so "West Africa", "Afrique de l'Ouest" or a UN subregion ("Western
    Africa") filters by its countries (kb/search/regions.py); a value that names neither is an UnknownFilter."""
    from kb.search.regions import countries_of

    kept: list[str] = []
    subregions: dict[str, frozenset[str]] = {}
    for value in values:
        try:
            kept.append(known.value("region", value))
        except UnknownFilter:
            if (countries := countries_of(value)) is None:
                raise
            subregions[value] = countries
    return tuple(kept), subregions


def _backwards(since: str, until: str) -> bool:
    """Whether the dates (YYYY, YYYY-MM or YYYY-MM-DD) end before they begin: 2020-05 to 2020 does not (May is in
    2020), 2021 to 2020-12 does. Compared as far as both go."""
    n = min(len(since), len(until))
    return since[:n] > until[:n]


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

    # A code as resolve() leaves it is kept without the table (reading it compiles a large pattern, ~0.15 s).
    return tuple(v if re.fullmatch("[A-Z]{2}", v) else (c.code if (c := countries().lookup(v)) else v) for v in values)


def describe(filters: Filters) -> dict[str, Any]:
    """The filters as a search result reports them: {field: values}, in the index's values once resolve() has run."""
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


def spoken(described: Mapping[str, Any]) -> str:
    """Filters as describe() reports them, as a sentence says them: "type press_release; country KE/GH; year 2031"
    (a year is what --year 2031 asked: since and until the same year)."""
    pairs = dict(described)
    since, until = pairs.get("since"), pairs.get("until")
    if isinstance(since, str) and since == until and re.fullmatch(r"\d{4}", since):
        pairs = {k: v for k, v in pairs.items() if k not in ("since", "until")} | {"year": since}
    return "; ".join(f"{key} {'/'.join(map(str, v)) if isinstance(v, list) else v}" for key, v in pairs.items())
