"""The regions a question names ("child labour in Central Asia", "forced labour in the Gulf states", "apprenticeships
in West Africa") and the countries of each: the ILO regions and UN subregions of the country table
(kb/data/countries.tsv) as it writes them, and the names in common use below.

The confidence's country rule asks that a top hit be about a country of the region (kb/search/evidence.py):
"child labour in Scandinavia" was confident over the Ukraine and Moldova reports, "child labour in Central Asia" over
Bhutan's and Cambodia's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

# Names in common use -> the table's subregions or regions they stand for, or the countries themselves (ISO codes).
COMMON: Mapping[str, tuple[str, ...]] = {
    "West Africa": ("Western Africa",), "East Africa": ("Eastern Africa",), "North Africa": ("Northern Africa",),
    "Central Africa": ("Middle Africa",), "Sub-Saharan Africa": ("Western Africa", "Eastern Africa", "Middle Africa",
                                                                 "Southern Africa"),
    "Latin America": ("South America", "Central America", "Caribbean"), "Southeast Asia": ("South-eastern Asia",),
    "South-East Asia": ("South-eastern Asia",), "South Asia": ("Southern Asia",), "East Asia": ("Eastern Asia",),
    "Middle East": ("Western Asia",), "Pacific Islands": ("Melanesia", "Micronesia", "Polynesia"),
    "Gulf states": ("SA", "AE", "QA", "KW", "BH", "OM"), "Gulf countries": ("SA", "AE", "QA", "KW", "BH", "OM"),
    "the Gulf": ("SA", "AE", "QA", "KW", "BH", "OM"), "Scandinavia": ("NO", "SE", "DK"),
    "Nordic countries": ("NO", "SE", "DK", "FI", "IS"),
}


@lru_cache(maxsize=1)
def regions() -> dict[str, frozenset[str]]:
    """{a region's name as written, lower case: the ISO codes of its countries}: the table's regions and subregions
    and the COMMON names."""
    from kb.ingest.enrich import countries

    table = countries().by_code.values()
    groups: dict[str, set[str]] = {}
    for country in table:
        for group in (country.region, country.subregion):
            if group:
                groups.setdefault(group, set()).add(country.code)
    named = {name.lower(): frozenset(codes) for name, codes in groups.items()}
    for name, parts in COMMON.items():
        named[name.lower()] = frozenset(code for part in parts for code in groups.get(part, {part}))
    return named


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    ordered = sorted(regions(), key=len, reverse=True)  # "Sub-Saharan Africa" before "Africa"
    # "the Gulf of Guinea" (or of Aden, of Mexico) is no Gulf state
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w-])(?!\s+of\b)",
                      re.IGNORECASE)


def named_in(question: str, countries: tuple[str, ...] = ()) -> dict[str, frozenset[str]]:
    """{each region the question names, as written: its countries' codes}, leaving out those inside a country's name
    (`countries`, as the question writes them: "South Africa" names no region)."""
    taken = [m.span() for name in countries for m in re.finditer(re.escape(name), question, re.IGNORECASE)]
    found: dict[str, frozenset[str]] = {}
    for match in _pattern().finditer(question):
        if not any(start < match.end() and match.start() < end for start, end in taken):
            found.setdefault(match.group(0), regions()[match.group(0).lower()])
    return found
