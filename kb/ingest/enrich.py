"""What kb works out about a document beyond what it says: countries (ISO codes, regions) and type cues.

Countries come from the document's metadata and its title, matched against kb/data/countries.tsv
(names and aliases -> ISO 3166-1 alpha-2, with the ILO region for roll-up). An organisation can edit
that file without touching code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from kb.search.lazy import Lazy

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    subregion: str


@dataclass(frozen=True)
class CountryIndex:
    """Country names, aliases and codes, and the names that can be found in running text (proper names only)."""

    by_code: dict[str, Country]
    by_name: dict[str, str]  # lowercased name or alias -> code
    text_names: frozenset[str]  # names and aliases as written that cannot be ordinary words
    longest: int  # the most words a text name has

    @property
    def pattern(self) -> re.Pattern[str]:
        """One regular expression of the text names, compiled on first use (tens of ms: titles at ingest need it,
        a search does not)."""
        return _pattern(self.text_names)

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

    def named_in(self, text: str) -> list[str]:
        """The country names a short text such as a question gives, longest first where they overlap ("Saudi Arabia",
        not "Arabia"): what in_text finds, by looking up the runs of words that start with a capital instead of
        compiling the pattern (a few microseconds a question). A text typed without a single capital ("apprenticeships
        in japan") has its names in lower case: those are read too, as the table writes them ("Japan"), but for the
        names that are also everyday words (LOWERCASE_WORDS: "turkey", "china", "jordan")."""
        words = list(_WORDS.finditer(text))
        lowercase = not any(c.isupper() for c in text)
        found: list[str] = []
        i = 0
        while i < len(words):
            end = i
            if lowercase or words[i].group(0)[:1].isupper():
                for j in range(min(len(words), i + self.longest) - 1, i - 1, -1):
                    name = text[words[i].start():words[j].end()]
                    if lowercase:
                        name = self.lowercase_names.get(name, "")
                    if name in self.text_names:
                        found.append(name)
                        end = j
                        break
            i = end + 1
        return found

    @cached_property
    def lowercase_names(self) -> dict[str, str]:
        """The text names in lower case -> as written, less those that are everyday words in lower case."""
        return {name.lower(): name for name in self.text_names if name.lower() not in LOWERCASE_WORDS}


# Country names that are also words a question may use in lower case (English, or a Spanish "china"): in a question
# typed without capitals they are not read as the country.
LOWERCASE_WORDS = frozenset({"chad", "chile", "china", "georgia", "guinea", "jersey", "jordan", "panama", "reunion",
                             "turkey"})


_WORDS = re.compile(r"\w+")


@lru_cache(maxsize=2)
def _pattern(names: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(names, key=len, reverse=True)  # "Republic of the Congo" before "Congo"
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w-])")


@lru_cache(maxsize=1)
def countries(path: Path | None = None) -> CountryIndex:
    """The country table (kb/data/countries.tsv), loaded once."""
    by_code: dict[str, Country] = {}
    by_name: dict[str, str] = {}
    names_for_text: set[str] = set()
    with open(path or DATA / "countries.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            country = Country(row["code"], row["name"], row["region"], row["subregion"])
            by_code[country.code] = country
            aliases = [a for a in row["aliases"].split("|") if a]
            for name in [row["name"], *aliases]:
                by_name.setdefault(name.lower(), country.code)
                # In running text, only names that cannot be ordinary words: skip 3-letter codes and acronyms.
                if len(name) > 3 and not name.isupper():
                    names_for_text.add(name)
    longest = max((len(_WORDS.findall(n)) for n in names_for_text), default=1)
    return CountryIndex(by_code, by_name, frozenset(names_for_text), longest)


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


# Compiled when a title is first read (an ingest), not when a search loads the country table with this module.
_TYPE_CUES = (
    ("convention", Lazy(r"^(convention|protocol of \d{4})\b|^(verdrag|convenzione|convenio)\b", re.I)),
    ("report", Lazy(r"\b(report|findings on|rapporto|rapport|informe|spotlight|annual review)\b", re.I)),
)


def type_from_text(title: str) -> str | None:
    """A document type from cues in the title ('Convention concerning …' -> convention), or None."""
    for doc_type, cue in _TYPE_CUES:
        if cue.search(title):
            return doc_type
    return None
