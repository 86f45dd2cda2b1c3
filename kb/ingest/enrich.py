"""What kb works out about a document beyond what it says: countries (ISO codes, regions) and type cues.

Countries come from the document's metadata and its title, matched against kb/data/countries.tsv
(names and aliases -> ISO 3166-1 alpha-2, with the ILO region for roll-up). An organisation can edit
that file without touching code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    subregion: str


@dataclass(frozen=True)
class CountryIndex:
    """Country names, aliases and codes, and one regular expression that finds them in a title."""

    by_code: dict[str, Country]
    by_name: dict[str, str]  # lowercased name or alias -> code
    pattern: re.Pattern[str]

    def lookup(self, value: str) -> Country | None:
        """The country a metadata value names ('Ghana', 'GH', 'GHA', 'Ivory Coast'), or None."""
        text = value.strip()
        if len(text) == 2 and text.upper() in self.by_code:
            return self.by_code[text.upper()]
        code = self.by_name.get(text.lower())
        return self.by_code[code] if code else None

    def in_text(self, text: str) -> list[Country]:
        """Countries named in a short text such as a title (proper names only, as written)."""
        found = []
        for match in self.pattern.finditer(text):
            code = self.by_name.get(match.group(0).lower())
            if code and self.by_code[code] not in found:
                found.append(self.by_code[code])
        return found


@lru_cache(maxsize=1)
def countries(path: Path | None = None) -> CountryIndex:
    """The country table (kb/data/countries.tsv), loaded once."""
    by_code: dict[str, Country] = {}
    by_name: dict[str, str] = {}
    names_for_text: list[str] = []
    with open(path or DATA / "countries.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            country = Country(row["code"], row["name"], row["region"], row["subregion"])
            by_code[country.code] = country
            aliases = [a for a in row["aliases"].split("|") if a]
            for name in [row["name"], *aliases]:
                by_name.setdefault(name.lower(), country.code)
                # In running text, only names that cannot be ordinary words: skip 3-letter codes and acronyms.
                if len(name) > 3 and not name.isupper():
                    names_for_text.append(name)
    names_for_text.sort(key=len, reverse=True)  # "Republic of the Congo" before "Congo"
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names_for_text) + r")(?![\w-])")
    return CountryIndex(by_code, by_name, pattern)


def normalise_countries(values: tuple[str, ...], title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ISO codes, ILO regions) from metadata values and the title; unknown metadata values are dropped."""
    index = countries()
    found: list[Country] = []
    for value in values:
        country = index.lookup(value)
        if country and country not in found:
            found.append(country)
    for country in index.in_text(title):
        if country not in found:
            found.append(country)
    codes = tuple(c.code for c in found)
    regions = tuple(dict.fromkeys(c.region for c in found))
    return codes, regions


_TYPE_CUES = (
    ("convention", re.compile(r"^(convention|protocol of \d{4})\b|^(verdrag|convenzione|convenio)\b", re.I)),
    ("report", re.compile(r"\b(report|findings on|rapporto|rapport|informe|spotlight|annual review)\b", re.I)),
)


def type_from_text(title: str) -> str | None:
    """A document type from cues in the title ('Convention concerning …' -> convention), or None."""
    for doc_type, cue in _TYPE_CUES:
        if cue.search(title):
            return doc_type
    return None
