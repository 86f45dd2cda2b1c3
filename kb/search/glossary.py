"""The ILO's terms in French and Spanish and their English ones (kb/data/glossary.tsv, in the way of the trilingual ILO
Thesaurus): a French or Spanish question is searched with the English terms it names too.

Most documents are in English, and the default model reads English best: "apprentissage dans l'économie informelle"
found the French documents only, by their words and by the language they share with it, and never the English guide
to upgrading informal apprenticeships. Its terms' English names ("apprenticeship", "informal economy") are now looked
for beside its words by the keyword search, marked in the passages, counted as its words by the confidence, and read
by the meaning search too (kb/search/question.py); the search says so ("Searched “économie informelle” as “informal
economy” too.").

A term is matched by its words' stems in the question's language, its stop words aside ("travail des enfants" and
"travail d'enfants" are one term), the longest term first.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parent.parent / "data" / "glossary.tsv"
COLUMNS = {"fr": 1, "es": 2}  # the glossary's columns after English's


@cache
def _terms(language: str) -> tuple[dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]], int]:
    """{a term's tokens in `language`: [(its words, its English name)]}, and the most tokens a term has. Two terms
    may stem alike (Spanish "trabajo" and "trabajador": "trabaj"): the question's words then tell them apart."""
    from kb.index.keyword.analysis import WORD, word_token

    table: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = {}
    with GLOSSARY.open(encoding="utf-8") as rows:
        for row in rows:
            cells = row.rstrip("\n").split("\t")
            if row.startswith("#") or len(cells) <= COLUMNS[language] or cells[0] == "en":
                continue
            english = cells[0].split("|")[0].strip()
            for form in cells[COLUMNS[language]].split("|"):
                words = [w for w in WORD.findall(form.lower()) if word_token(language, w)]
                key = tuple(word_token(language, w) for w in words)
                if key and english:
                    table.setdefault(key, []).append((_written(words), english))
    return table, max(map(len, table), default=0)


def _written(words: list[str]) -> tuple[str, ...]:
    """Words as compared when two terms stem alike: accents off, a plural's ending off ("trabajadores": "trabajador")."""
    from kb.languages import fold

    return tuple(re.sub(r"(?<=[^aeiou])es$|s$", "", fold(w)) for w in words)


def english_terms(question: str, language: str) -> dict[str, str]:
    """{a term as the question writes it: its English name} for the glossary's terms a question in `language` names,
    longest first where two overlap ("formation professionnelle continue" before "formation professionnelle")."""
    if language not in COLUMNS:
        return {}
    from kb.index.keyword.analysis import WORD, word_token

    table, longest = _terms(language)
    words = [(m, word_token(language, m.group().lower())) for m in WORD.finditer(question)]
    words = [(m, token) for m, token in words if token]  # its stop words aside
    found: dict[str, str] = {}
    start = 0
    while start < len(words):
        for size in range(min(longest, len(words) - start), 0, -1):
            named = table.get(tuple(token for _, token in words[start:start + size]))
            if named:
                window = words[start:start + size]
                written = _written([m.group().lower() for m, _ in window])
                english = next((e for w, e in named if w == written), named[0][1])
                found.setdefault(question[window[0][0].start():window[-1][0].end()], english)
                start += size
                break
        else:
            start += 1
    return found
