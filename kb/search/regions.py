"""The regions a question names ("child labour in Central Asia", "forced labour in the Gulf states", "apprenticeships
in West Africa") and the countries of each: the ILO regions and UN subregions of the country table
(kb/data/countries.tsv) as it writes them, and the names in common use below.

The confidence's country rule asks that a top hit be about a country of the region (kb/search/evidence.py):
"child labour in Scandinavia" was confident over the Ukraine and Moldova reports, "child labour in Central Asia" over
Bhutan's and Cambodia's. The search looks for the names of a region's countries too (`searched`): documents about
Uzbekistan seldom write "Central Asia". French and Spanish names (the ILO's other official languages) are read as the
English ones, and a name typed without its accents or with a curly apostrophe as the name ("Amerique latine",
"Afrique de l’Ouest").
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
    "Latin America": ("South America", "Central America", "Caribbean"),
    "Latin America and the Caribbean": ("South America", "Central America", "Caribbean"),
    "Middle East and North Africa": ("Western Asia", "Northern Africa"), "Southeast Asia": ("South-eastern Asia",),
    "West and Central Africa": ("Western Africa", "Middle Africa"),  # UNICEF's and the World Bank's regions
    "Eastern and Southern Africa": ("Eastern Africa", "Southern Africa"),
    "East and Southern Africa": ("Eastern Africa", "Southern Africa"),
    "South-East Asia": ("South-eastern Asia",), "South Asia": ("Southern Asia",), "East Asia": ("Eastern Asia",),
    "Middle East": ("Western Asia",), "Pacific Islands": ("Melanesia", "Micronesia", "Polynesia"),
    "Gulf states": ("SA", "AE", "QA", "KW", "BH", "OM"), "Gulf countries": ("SA", "AE", "QA", "KW", "BH", "OM"),
    "the Gulf": ("SA", "AE", "QA", "KW", "BH", "OM"), "Scandinavia": ("NO", "SE", "DK"),
    "Nordic countries": ("NO", "SE", "DK", "FI", "IS"),
}
# French and Spanish names -> the English name above or the table's they stand for.
TRANSLATED: Mapping[str, str] = {
    "Afrique": "Africa", "Afrique de l'Ouest": "West Africa", "Afrique occidentale": "West Africa",
    "Afrique de l'Est": "East Africa", "Afrique orientale": "East Africa", "Afrique du Nord": "North Africa",
    "Afrique centrale": "Central Africa", "Afrique australe": "Southern Africa",
    "Afrique sub-saharienne": "Sub-Saharan Africa", "Amérique latine": "Latin America",
    "Amérique latine et les Caraïbes": "Latin America and the Caribbean",
    "Amérique latine et Caraïbes": "Latin America and the Caribbean",
    "Moyen-Orient et Afrique du Nord": "Middle East and North Africa",
    "Afrique de l'Ouest et du Centre": "West and Central Africa", "Afrique orientale et australe": "East and Southern Africa",
    "Amérique centrale": "Central America", "Amérique du Sud": "South America", "Caraïbes": "Caribbean",
    "Asie du Sud-Est": "Southeast Asia", "Asie du Sud": "South Asia", "Asie de l'Est": "East Asia",
    "Asie centrale": "Central Asia", "Asie et Pacifique": "Asia and the Pacific", "Asie-Pacifique": "Asia and the Pacific",
    "Moyen-Orient": "Middle East", "États arabes": "Arab States", "pays du Golfe": "the Gulf",
    "États du Golfe": "the Gulf", "Europe de l'Est": "Eastern Europe", "Europe orientale": "Eastern Europe",
    "pays nordiques": "Nordic countries", "Scandinavie": "Scandinavia", "Amériques": "Americas",
    "África": "Africa", "África Occidental": "West Africa", "África del Oeste": "West Africa",
    "África Oriental": "East Africa", "África del Este": "East Africa", "África del Norte": "North Africa",
    "Norte de África": "North Africa", "África Central": "Central Africa", "África Austral": "Southern Africa",
    "África Sub-sahariana": "Sub-Saharan Africa", "América Latina": "Latin America", "Latinoamérica": "Latin America",
    "América Latina y el Caribe": "Latin America and the Caribbean",
    "Oriente Medio y Norte de África": "Middle East and North Africa",
    "África Occidental y Central": "West and Central Africa", "África Oriental y Austral": "East and Southern Africa",
    "América Central": "Central America", "Centroamérica": "Central America", "América del Sur": "South America",
    "Sudamérica": "South America", "Suramérica": "South America", "Caribe": "Caribbean",
    "Sudeste Asiático": "Southeast Asia", "Asia Sudoriental": "Southeast Asia", "Asia Meridional": "South Asia",
    "Asia del Sur": "South Asia", "Asia Oriental": "East Asia", "Asia Central": "Central Asia",
    "Asia y el Pacífico": "Asia and the Pacific", "Asia-Pacífico": "Asia and the Pacific", "Oriente Medio": "Middle East",
    "Medio Oriente": "Middle East", "Estados Árabes": "Arab States", "países del Golfo": "the Gulf",
    "Estados del Golfo": "the Gulf", "Europa del Este": "Eastern Europe", "Europa Oriental": "Eastern Europe",
    "países nórdicos": "Nordic countries", "Escandinavia": "Scandinavia", "Américas": "Americas",
}
# The most countries a region's search looks for by name: a continent's fifty names would outweigh the question.
SEARCHED_COUNTRIES = 20
# Territories where nobody lives and works (no labour to write about): never searched for, nor counted.
_UNINHABITED = frozenset({"AQ", "BV", "GS", "HM", "IO", "TF", "UM"})
# Words of countries' names that name no country alone ("United Kingdom", "Saint Helena", "Cook Islands").
_NO_NAME = frozenset({
    "and", "the", "of", "islands", "island", "isle", "saint", "sint", "st", "el", "san", "jan", "united", "kingdom",
    "republic", "democratic", "people", "peoples", "federated", "federation", "state", "states", "islamic",
    "plurinational", "bolivarian", "arab", "african", "american", "british", "french", "dutch", "indian", "part",
    "province", "sar", "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "new", "man", "holy", "see", "minor", "outlying", "territory", "territories", "ocean", "virgin", "christmas",
    "heard"})


@lru_cache(maxsize=1)
def regions() -> dict[str, frozenset[str]]:
    """{a region's name as kb.ingest.enrich.fold writes it (lower case, no accents): the ISO codes of its countries}:
    the table's regions and subregions, the COMMON names and the TRANSLATED ones."""
    from kb.ingest.enrich import countries, fold

    table = countries().by_code.values()
    groups: dict[str, set[str]] = {}
    for country in table:
        for group in (country.region, country.subregion):
            if group:
                groups.setdefault(group, set()).add(country.code)
    named = {fold(name): frozenset(codes) for name, codes in groups.items()}
    for name, parts in COMMON.items():
        named[fold(name)] = frozenset(code for part in parts for code in groups.get(part, {part}))
    for name, english in TRANSLATED.items():
        named[fold(name)] = named[fold(english)]
    return named


def _key(name: str) -> str:
    """A name as looked up: folded, its hyphens and spaces out ("Sub Saharan Africa" is "Sub-Saharan Africa")."""
    from kb.ingest.enrich import fold

    return re.sub(r"[-\s]+", "", fold(name))


@lru_cache(maxsize=1)
def _keyed() -> dict[str, frozenset[str]]:
    return {_key(name): codes for name, codes in regions().items()}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    ordered = sorted(regions(), key=len, reverse=True)  # "Sub-Saharan Africa" before "Africa"
    # "Sub-Saharan", "Sub Saharan" or "Subsaharan"; "South-East Asia" or "South East Asia"
    names = "|".join(re.escape(n).replace(r"\ ", r"\s+").replace(r"\-", r"[-\s]?") for n in ordered)
    # "the Gulf of Guinea" (or of Aden, of Mexico, "del Golfo de México") is no Gulf state
    return re.compile(r"(?<![\w-])(?:" + names + r")(?![\w-])(?!\s+(?:of|de|du)\b)", re.IGNORECASE)


_WORDS = re.compile(r"[\w']+")
_GENERIC = frozenset({"the", "countries", "states", "pays", "paises", "etats", "estados"})


@lru_cache(maxsize=1)
def _key_words() -> frozenset[str]:
    """A word of each region's name (its longest, not "the" nor "states"): a question that holds none names none."""
    return frozenset(max(set(_WORDS.findall(name)) - _GENERIC, key=len) for name in regions())


@lru_cache(maxsize=64)  # a search reads its question twice: to search it, then to judge its hits
def named_in(question: str, countries: tuple[str, ...] = ()) -> dict[str, frozenset[str]]:
    """{each region the question names, as written: its countries' codes}, leaving out those inside a country's name
    (`countries`, as the question writes them: "South Africa" names no region). Not to be changed: kept."""
    from kb.ingest.enrich import fold, plain

    if _key_words().isdisjoint(_WORDS.findall(fold(question))):  # the pattern's ~20 us spared
        return {}
    taken = [m.span() for name in countries for m in re.finditer(re.escape(name), question, re.IGNORECASE)]
    found: dict[str, frozenset[str]] = {}
    for match in _pattern().finditer(plain(question)):  # accents off, apostrophes straight: the offsets kept
        if not any(start < match.end() and match.start() < end for start, end in taken):
            found.setdefault(question[match.start():match.end()], _keyed()[_key(match.group(0))])
    return found


def countries_of(name: str) -> frozenset[str] | None:
    """The codes of the countries of the region a name names ("West Africa", "Afrique de l'Ouest", "Western Africa"),
    or None: what `--region "West Africa"` filters by, the index's region facet holding the ILO regions alone."""
    return _keyed().get(_key(name))


def searched(codes: frozenset[str]) -> tuple[str, ...]:
    """The names of a region's countries (the table's), sorted, uninhabited territories aside; none for a region of
    more than SEARCHED_COUNTRIES (its search looks for them by name_words)."""
    codes = codes - _UNINHABITED  # "East Africa": 20 countries and territories with the Chagos and Kerguelen left out
    if len(codes) > SEARCHED_COUNTRIES:
        return ()
    from kb.ingest.enrich import countries

    table = countries().by_code
    return tuple(sorted(table[code].name for code in codes if code in table))


def name_words(name: str) -> list[str]:
    """A country's name's words that name it: "Cook Islands" -> ["cook"], "United Kingdom" -> []."""
    return [w for w in re.findall(r"[^\W_]+", name.casefold()) if w not in _NO_NAME and len(w) > 1]
