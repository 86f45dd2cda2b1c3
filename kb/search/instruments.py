"""ILO instruments and SDG targets a question names by their numbers ("C182", "Convention No. 138", "R208", "convenio
189", "SDG 8.7", "indicator 8.6.1"): searched by their titles too, the way documents name them ("the Minimum Age
Convention, 1973", "not in education, employment or training"), for a convention's own text seldom holds its number,
a report writes "ILO C. 182" where a user types "C182", and the keyword index reads "8.7" as the words 8 and 7."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
TABLE = DATA / "instruments.tsv"  # code -> title, from NORMLEX's short titles
SDGS = DATA / "sdgs.tsv"  # the labour, skills and social protection targets and indicators -> what they measure
# "C182", "C-182", "C.182", "R208", "P029", and after "ILO" with a space too ("ILO C 182", "ILO C. 182"): two digits or
# more, so that a "C1" language level is none; never "p 29", a page.
_CODE = r"(?<![\w.-])(?:ILO\s+([CPR])\.?\s?|([CPR])[-.]?)0*(\d{2,3})(?![\w-]|[.,]\d)"
# "Convention No. 182", "convention n° 182", "Convenio núm. 189", "Recommendation 204", "Protocol 29".
_WORDS = {"convention": "C", "convenio": "C", "convenzione": "C", "verdrag": "C", "recommendation": "R",
          "recommandation": "R", "recomendación": "R", "recomendacion": "R", "raccomandazione": "R", "aanbeveling": "R",
          "protocol": "P", "protocole": "P", "protocolo": "P", "protocollo": "P"}
_NUMBERED = r"(?<![\w-])(" + "|".join(_WORDS) + r")\s+(?:(?:no|n°|nº|n\.º|núm|num|number|nr)\.?\s*)?0*(\d{1,3})(?![\w-]|[.,]\d)"
_MARITIME = r"(?<![\w-])MLC(?:,?\s*2006)?(?![\w-])"
# "SDG 8.7", "SDG target 8.7", "indicator 8.6.1", "Alliance 8.7", "ODS 8.5", "cible 8.7": a word that says so first,
# since "8.7" alone is as often a quantity ("8.7 million").
_SDG = (r"(?<![\w-])((?:SDGs?|ODS|ODD|Alliance|target|cible|meta|indicator|indicateur|indicador)"
        r"(?:\s+(?:target|indicator|cible|indicateur|meta|indicador))?)\s*(\d{1,2}\.(?:\d{1,2}|[ab])(?:\.\d)?)(?![\w-]|[.,]\d)")


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The patterns, compiled by the first question that holds a number (~3 ms: not at every `kb search`)."""
    return (re.compile(_CODE, re.IGNORECASE), re.compile(_NUMBERED, re.IGNORECASE), re.compile(_MARITIME),
            re.compile(_SDG, re.IGNORECASE))


@cache
def titles() -> dict[str, str]:
    """{code: title} ("C182": "Worst Forms of Child Labour Convention, 1999"), read once."""
    return read_table(TABLE)


@cache
def sdgs() -> dict[str, str]:
    """{target or indicator: what it is about} ("8.7": "eradicate forced labour, …"), read once."""
    return read_table(SDGS)


def read_table(path: Path) -> dict[str, str]:
    """A two-column table's rows after its header line, as {first column: second}."""
    import csv

    with open(path, encoding="utf-8", newline="") as table:
        rows = csv.reader(table, delimiter="\t")
        next(rows, None)
        return {row[0]: row[1] for row in rows}


def named_in(query: str) -> dict[str, str]:
    """{an instrument's number as the question writes it: the name it is searched by}, for the instruments of the
    table ("C182": "Worst Forms of Child Labour Convention, 1999 (No. 182, C182)"), unless the question names it by its
    title already ("Minimum Age Convention No. 138"); unknown numbers are left as written."""
    found: dict[str, str] = {}
    if "MLC" not in query and not any(c.isdigit() for c in query):
        return found
    code, numbered, maritime, goals = _patterns()
    for match in code.finditer(query):
        _add(found, query, match.group(0), (match.group(1) or match.group(2)).upper(), match.group(3))
    for match in numbered.finditer(query):
        _add(found, query, match.group(0), _WORDS[match.group(1).lower()], match.group(2))
    for match in maritime.finditer(query):
        _add(found, query, match.group(0), "MLC", "")
    for match in goals.finditer(query):
        about = sdgs().get(match.group(2).lower())
        if about is not None and not _words(about) <= _words(query):  # not when the question says it already
            found.setdefault(match.group(0), f"{match.group(1)} {match.group(2)}: {about}")
    return found


def _add(found: dict[str, str], query: str, written: str, kind: str, number: str) -> None:
    title = titles().get(f"{kind}{int(number):03d}" if number else kind)
    if title is None or _words(title.rsplit(",", 1)[0]) <= _words(query):
        return
    if kind == "MLC":
        found.setdefault(written, title)
    elif kind == "P":  # as reports cite protocols: "the P029 Protocol of the Forced Labor Convention"
        found.setdefault(written, f"{title} (P{int(number):03d})")
    else:  # both ways documents cite it: "(No. 182)" after the title, "C182" or "ILO C. 182" before it
        found.setdefault(written, f"{title} (No. {int(number)}, {kind}{int(number)})")


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))
