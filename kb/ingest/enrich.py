"""What kb works out about a document beyond what it says: countries (ISO codes, regions) and type cues.

Countries come from the document's metadata and its title, matched against kb/data/countries.tsv
(names and aliases -> ISO 3166-1 alpha-2, with the ILO region for roll-up). An organisation can edit
that file without touching code; the names in French, Spanish, Italian and Dutch were added to it from
CLDR by tools/countries/add_cldr_names.py. Names are compared without accents ("Senegal" is "Sénégal"):
a metadata value in any case, a name in running text with the capitals it is written with.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from kb.languages import fold_letters
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
    by_name: dict[str, str]  # folded name or alias (fold) -> code
    text_names: dict[str, str]  # names and aliases that cannot be ordinary words, without accents (plain) -> as written
    longest: int  # the most words a text name has

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """One regular expression of the text names without accents, compiled on first use (tens of ms: titles at
        ingest need it, a search does not)."""
        ordered = sorted(self.text_names, key=len, reverse=True)  # "Republic of the Congo" before "Congo"
        return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w-])")

    def lookup(self, value: str) -> Country | None:
        """The country a metadata value names ('Ghana', 'GH', 'GHA', 'Ivory Coast', 'SÉNÉGAL', 'Perú'), or None."""
        text = value.strip()
        if len(text) == 2 and text.upper() in self.by_code:
            return self.by_code[text.upper()]
        code = self.by_name.get(fold(text))
        return self.by_code[code] if code else None

    def in_text(self, text: str) -> list[Country]:
        """Countries named in a short text such as a title (proper names only, with their capitals; accents aside)."""
        found = []
        for match in self.pattern.finditer(plain(text)):
            code = self.by_name.get(fold(match.group(0)))
            if code and self.by_code[code] not in found:
                found.append(self.by_code[code])
        return found

    def named_in(self, text: str) -> list[str]:
        """The country names a short text such as a question gives, longest first where they overlap ("Saudi Arabia",
        not "Arabia"): what in_text finds, by looking up the runs of words that start with a capital instead of
        compiling the pattern (a few microseconds a question), each as the text writes it ("Cote d'Ivoire" too). A
        text typed without a single capital ("apprenticeships in japan") has its names in lower case: those are read
        too, and given as the table writes them ("Japan"), but for the names that are also everyday words
        (LOWERCASE_WORDS: "turkey", "china", "jordan")."""
        text = unicodedata.normalize("NFC", text)
        bare = plain(text)  # as long as `text`: a run of its words is the same slice of both
        words = list(_WORDS.finditer(bare))
        lowercase = not any(c.isupper() for c in text)
        found: list[str] = []
        i = 0
        while i < len(words):
            end = i
            if lowercase or words[i].group(0)[:1].isupper():
                for j in range(min(len(words), i + self.longest) - 1, i - 1, -1):
                    start, stop = words[i].start(), words[j].end()
                    name = self.lowercase_names.get(bare[start:stop]) if lowercase else (
                        text[start:stop] if bare[start:stop] in self.text_names else None)
                    if name:
                        found.append(name)
                        end = j
                        break
            i = end + 1
        return found

    @cached_property
    def lowercase_names(self) -> dict[str, str]:
        """The text names without accents in lower case -> as written, less those that are everyday words in lower
        case."""
        names: dict[str, str] = {}
        for bare, name in self.text_names.items():
            if bare.lower() not in LOWERCASE_WORDS:
                names.setdefault(bare.lower(), name)
        return names


# Country names that are also words a question may use in lower case (English, or a Spanish "china"; "chili" is
# Chile in French): in a question typed without capitals they are not read as the country.
LOWERCASE_WORDS = frozenset({"chad", "chile", "chili", "china", "georgia", "guinea", "jersey", "jordan", "panama",
                             "reunion", "turkey"})


_WORDS = re.compile(r"\w+")
# Apostrophes a name may be typed with: "Côte d’Ivoire" is "Côte d'Ivoire".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def plain(text: str) -> str:
    """The text with each letter's accents off and straight apostrophes, its case kept and its length too: 'Côte
    d’Ivoire' -> "Cote d'Ivoire". A text in NFC (as typed and as loaded) keeps its offsets."""
    return text if text.isascii() else fold_letters(text).translate(_APOSTROPHES)


def fold(text: str) -> str:
    """How a metadata value is compared with the table's names: without accents, in lower case, one space between
    words ('SÉNÉGAL', ' Sénégal ' and 'senegal' are one)."""
    if not text.isascii():
        text = plain(unicodedata.normalize("NFC", text))
    return " ".join(text.casefold().split())


@lru_cache(maxsize=64)
def named_in(text: str) -> tuple[str, ...]:
    """countries().named_in(text), kept for the last texts read: a search reads its question's country names for its
    language, its names, its regions and its confidence."""
    return tuple(countries().named_in(text))


def names_of(code: str) -> tuple[str, ...]:
    """Every name of a country's that running text can hold, in the languages the table gives ("Italy", "Italia",
    "Italie", "Italië"; not "ITA")."""
    return _names_by_code().get(code, ())


@lru_cache(maxsize=1)
def coded_names() -> tuple[tuple[str, str, str], ...]:
    """(name as running text writes it, its country's code, its folded key: "south sudan") for the table's text names."""
    table = countries()
    found = []
    for bare, name in table.text_names.items():  # bare: without accents, as the table's keys are folded from
        key = " ".join(bare.casefold().split())
        if (code := table.by_name.get(key)) is not None:
            found.append((name, code, key))
    return tuple(found)


@lru_cache(maxsize=1)
def _names_by_code() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for name, code, _ in coded_names():
        found.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in found.items()}


@lru_cache(maxsize=1)
def countries(path: Path | None = None) -> CountryIndex:
    """The country table (kb/data/countries.tsv), loaded once."""
    by_code: dict[str, Country] = {}
    by_name: dict[str, str] = {}
    text_names: dict[str, str] = {}
    with open(path or DATA / "countries.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            country = Country(row["code"], row["name"], row["region"], row["subregion"])
            by_code[country.code] = country
            aliases = [a for a in row["aliases"].split("|") if a]
            for name in [row["name"], *aliases]:
                by_name.setdefault(fold(name), country.code)
                # In running text, only names that cannot be ordinary words: skip 3-letter codes and acronyms.
                if len(name) > 3 and not name.isupper():
                    text_names.setdefault(name if name.isascii() else plain(unicodedata.normalize("NFC", name)), name)
    longest = max((len(_WORDS.findall(n)) for n in text_names), default=1)
    return CountryIndex(by_code, by_name, text_names, longest)


def normalise_countries(values: tuple[str, ...], title: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(ISO codes, ILO regions, the metadata values that name no country) from metadata values and the title."""
    index = countries()
    found: list[Country] = []
    unknown: list[str] = []
    for value in values:
        country = index.lookup(value)
        if country is None:
            unknown.append(value)
        elif country not in found:
            found.append(country)
    for country in index.in_text(title):
        if country not in found:
            found.append(country)
    codes = tuple(c.code for c in found)
    regions = tuple(dict.fromkeys(c.region for c in found))
    return codes, regions, tuple(unknown)


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
