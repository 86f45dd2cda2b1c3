#!/usr/bin/env python3
"""Add each country's French, Spanish, Italian and Dutch names from CLDR to kb/data/countries.tsv.

kb analyses documents and questions in English, French, Spanish, Italian and Dutch, and metadata gives countries
in those languages ("Sénégal", "Perú", "Maroc", "Italia"). The table is kb's runtime source and stays hand-editable;
this script appends the CLDR names (through Babel) to each row's aliases column, so kb itself never needs Babel.

Re-run it (from the repository root) after a Babel upgrade or after editing the table by hand::

    PYTHONPATH=. python tools/countries/add_cldr_names.py           # rewrite kb/data/countries.tsv
    PYTHONPATH=. python tools/countries/add_cldr_names.py --check   # only say what would be added and skipped

Needs Babel (``pip install babel``; the project's venv has it). It is idempotent: a name the table already holds
(compared as kb compares them: accents, case and apostrophes aside, kb.ingest.enrich.fold) is not added again, and
hand-written aliases are never removed. A CLDR name is left out, and said, when it would name another country than
the table already does, or when CLDR gives it to two countries. It also lists the added names that are words of
the English word list (pyspellchecker's), for a person to judge: a name read in a lower-case question must not be
an everyday word ("chili" is Chile in French); such words go into LOWERCASE_WORDS in kb/ingest/enrich.py. Names
that mostly mean something else in running text are left out altogether (LEFT_OUT).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

from kb.ingest.enrich import DATA, fold

LANGUAGES = ("fr", "es", "it", "nl")  # English is the table's own; the rest of the languages kb analyses
TABLE = DATA / "countries.tsv"
# CLDR names left out of the table: in running text (titles, questions) they mostly name something else.
LEFT_OUT = {
    "Granada": "es for Grenada, and the Spanish city",
    "Grenade": "fr for Grenada, also the Spanish city (fr) and an English word",
    "Dominique": "fr for Dominica, and a common first name",
    "Guadalupe": "es for Guadeloupe, and places and a first name across Latin America",
    "Norfolk": "nl for Norfolk Island, and an English county",
}


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        return list(reader.fieldnames or ()), list(reader)


def cldr_names(codes: list[str]) -> dict[str, dict[str, list[str]]]:
    """{folded name: {code: [language:name, ...]}} of every CLDR name of the codes in LANGUAGES."""
    from babel import Locale

    names: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for language in LANGUAGES:
        territories = Locale(language).territories
        for code in codes:
            name = (territories.get(code) or "").replace("\u2019", "'").replace(" - ", "-")  # "Congo - Kinshasa"
            if name and name != code and name not in LEFT_OUT:
                names[fold(name)][code].append(f"{language}:{name}")
    return names


def plan(rows: list[dict[str, str]]) -> tuple[dict[str, list[str]], list[str]]:
    """The names to add per code, and a line for each name left out and why."""
    known: dict[str, str] = {}
    for row in rows:
        for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
            known.setdefault(fold(name), row["code"])
    add: dict[str, list[str]] = defaultdict(list)
    notes = []
    for folded, by_code in sorted(cldr_names([r["code"] for r in rows]).items()):
        if len(by_code) > 1:
            notes.append(f"ambiguous, left out: {folded!r} is CLDR's name of {dict(by_code)}")
            continue
        (code, spelt), = by_code.items()
        if folded in known:
            if known[folded] != code:
                notes.append(f"collision, left out: {spelt} is {code} in CLDR but {known[folded]} in the table")
            continue
        add[code].append(spelt[0].split(":", 1)[1])
    return add, notes


def english_words(names: list[str]) -> list[str]:
    """The names (in lower case) that are words of pyspellchecker's English list, with their frequency."""
    from spellchecker import SpellChecker

    english = SpellChecker(language="en")
    return [f"{n} ({english.word_usage_frequency(n.lower()):.1e})" for n in names if n.lower() in english]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="say what would change; do not write the table")
    args = parser.parse_args()
    fields, rows = read_table(TABLE)
    add, notes = plan(rows)
    for row in rows:
        row["aliases"] = "|".join([*filter(None, row["aliases"].split("|")), *add.get(row["code"], ())])
    added = [n for names in add.values() for n in names]
    print(f"{len(added)} name(s) to add to {sum(1 for names in add.values() if names)} countries", file=sys.stderr)
    for note in notes:
        print(note, file=sys.stderr)
    print("English words among them (check each against LOWERCASE_WORDS):", ", ".join(english_words(added)), file=sys.stderr)
    if not args.check and added:
        with open(TABLE, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {TABLE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
