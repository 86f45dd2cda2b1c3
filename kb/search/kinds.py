"""The document types a question names: "press release about Nepal", "toolkits on apprenticeships",
"communiqués de presse", "comunicados de prensa".

Such words describe the documents wanted rather than their text: a press release seldom says "press release", so a
search for "press release about Nepal" found the Nepal press release and said "No confident match: no passage holds
“press release”". A top hit of the type named holds those words (kb/search/evidence.py); a search whose hits are not
all of it says which filter shows that type alone; and a question that names a type and nothing else ("press
releases", "latest toolkits") lists that type's documents newest first (KnowledgeBase.search), as a browse does.

Only names that mean one type are read: "guide" and "tool" are not ("Skills Needs Establishment Surveys: A Guide" is a
tool report, "a participatory tool" a guide). Accents are optional ("communique de presse").

A year or a language a question asks for ("press releases from 2024", "skills guides in French") is told of alike:
the filter that shows it alone, when some hits are of another.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from kb.languages import NAMES, fold_letters
from kb.search.lazy import Lazy
from kb.search.snippets import query_terms

if TYPE_CHECKING:
    from kb.records import Filters, SearchResult
    from kb.search.question import Question

# Each type's names in English, French and Spanish, accents off, plurals allowed.
_NAMES = {
    "press_release": (r"press[\s-]+releases?", r"news[\s-]+releases?", r"news", r"communiques?\s+de\s+presse",
                      r"comunicados?\s+de\s+prensa", r"notas?\s+de\s+prensa", r"noticias", r"actualites"),
    "tool_report": (r"tool[\s-]?kits?", r"tool[\s-]+reports?", r"boites?\s+a\s+outils", r"cajas?\s+de\s+herramientas"),
    "skills_guide": (r"skills?[\s-]+guides?", r"guides?\s+de\s+competences", r"guias?\s+de\s+competencias"),
}
_ALTERNATIVES = "|".join(f"(?P<{kind}>{'|'.join(names)})" for kind, names in _NAMES.items())  # a group a type
_PATTERN = Lazy(rf"(?<![\w-])(?:{_ALTERNATIVES})(?![\w-])", re.IGNORECASE)
# Words that, beside a type's name, ask for the newest of it rather than for a subject: "new press releases". (A
# question's terms never hold "latest", "recent" or "newest", nor, in its own language, "derniers" or "últimos":
# kb/languages.py QUESTION_WORDS; a French or Spanish one taken for English keeps them.)
_LISTING = frozenset((
    "new", "last", "all", "list", "show", "ilo", "oit",  # ILO, OIT: of course
    "derniers", "dernieres", "dernier", "derniere", "recents", "recentes", "nouveaux", "nouvelles", "tous", "toutes",
    "liste", "ultimos", "ultimas", "ultimo", "ultima", "recientes", "nuevos", "nuevas", "todos", "todas", "lista",
))
# Words that, beside a year and no type, ask for everything of that year: "what happened in 2023", "documents from
# 2023", "publications de 2023".
_EVERYTHING = frozenset((
    "document", "documents", "publication", "publications", "everything", "happened", "happen",
    "publie", "publies", "publiees", "documentos", "publicaciones", "publicados", "paso",
))
_YEAR = Lazy(r"(?:19|20)\d\d")
# How a type is named in the sentences a search shows.
SAID = {"press_release": "press releases", "tool_report": "tool reports", "skills_guide": "skills guides"}


def named(question: str) -> dict[str, str]:
    """{type: its name as the question writes it}, in the question's order ("press release about Nepal" ->
    {"press_release": "press release"})."""
    folded = fold_letters(question)  # one character for one: a match's span is the question's
    found: dict[str, str] = {}
    for match in _PATTERN.finditer(folded):
        found.setdefault(str(match.lastgroup), question[match.start():match.end()])
    return found


def words_of(kinds: Mapping[str, str], languages: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """{type: the question's terms its name gives} ("press_release": ("press", "release"))."""
    return {kind: tuple(query_terms(written, languages)) for kind, written in kinds.items()}


def only_kind(question: str, terms: Sequence[str], languages: Sequence[str]) -> tuple[str | None, str | None] | None:
    """(the type, a year) when a question names a type and nothing else but how recent ("press releases", "latest
    toolkits", "communiqués de presse récents", "press releases from 2023": the year's), or (None, the year) when it
    names a year and nothing else ("2023", "what happened in 2023", "documents from 2023"); None when it asks about
    something too, or names two types or two years."""
    kinds = named(question)
    if len(kinds) > 1:
        return None
    kind, written = next(iter(kinds.items()), (None, ""))
    rest = set(terms) - set(query_terms(written, languages))
    years = [t for t in rest if _YEAR.fullmatch(t)]
    listing = _LISTING if kind else _LISTING | _EVERYTHING
    if len(years) > 1 or not (kind or years) or not all(fold_letters(t) in listing for t in rest - set(years)):
        return None
    return kind, (years[0] if years else None)


def filter_notice(kinds: Mapping[str, str], hit_types: Sequence[str | None]) -> str | None:
    """The sentence a search shows when its question names a type and some of its hits are of another: the filter that
    shows that type alone."""
    wanted = [kind for kind in kinds if any(t != kind for t in hit_types)]
    if not wanted or not hit_types:
        return None
    said = " or ".join(f"“{kind.replace('_', ' ')}”" for kind in wanted)  # as the CLI, the API and the box take it
    return f"To see {' and '.join(SAID[k] for k in wanted)} alone, filter by the type {said}."


# A year a question asks for: "press releases from 2024 about apprenticeships", "apprentissage en 2023".
_YEARS = Lazy(r"(?<![\w-])(?:19|20)\d\d(?![\w-])")
_DATED = Lazy(r"(?<![\w-])(?:from|in|during|en|pendant|durante)\s+((?:19|20)\d\d)(?![\w-])", re.IGNORECASE)


def year_notice(question: str, hit_dates: Sequence[str | None]) -> str | None:
    """The sentence a search shows when its question asks for one year ("press releases from 2024 about
    apprenticeships") and some of its hits are of another: the filter that shows that year alone. (The ranking reads
    the year as a word, which a document seldom writes.)"""
    years = list(dict.fromkeys(match.group(1) for match in _DATED.finditer(question)))
    if len(years) != 1 or len(set(_YEARS.findall(question))) > 1:  # "from 2022 to 2024": a range
        return None
    if not hit_dates or all((date or "")[:4] == years[0] for date in hit_dates):
        return None
    return f"To see documents of {years[0]} alone, filter by the year {years[0]}."


# A language a question asks for: "skills guides in French", "documents en español", "guías en inglés".
_IN_LANGUAGE = {
    "en": r"english|anglais|ingles", "fr": r"french|francais|frances", "es": r"spanish|espagnol|espanol",
    "it": r"italian|italien|italiano", "nl": r"dutch|neerlandais|neerlandes|hollandais",
}
_LANGUAGE = Lazy(r"(?<![\w-])(?:in|en)\s+(?:" + "|".join(f"(?P<{code}>{names})" for code, names in _IN_LANGUAGE.items())
                 + r")(?![\w-])", re.IGNORECASE)


def languages_named(question: str) -> dict[str, str]:
    """{language code: its name as the question writes it} for the languages it asks its documents to be in ("skills
    guides in French" -> {"fr": "in French"}): a hit in French holds those words (kb/search/evidence.py)."""
    folded = fold_letters(question)  # one character for one: a match's span is the question's
    return {str(match.lastgroup): question[match.start():match.end()] for match in _LANGUAGE.finditer(folded)}


def language_notice(question: str, hit_languages: Sequence[str | None]) -> str | None:
    """The sentence a search shows when its question asks for documents in one language ("skills guides in French")
    and some of its hits are in another: the filter that shows that language alone."""
    asked = list(languages_named(question))
    if len(asked) != 1 or not hit_languages or all(language == asked[0] for language in hit_languages):
        return None
    return f"To see documents in {NAMES[asked[0]]} alone, filter by the language “{NAMES[asked[0]]}”."


def listing_notice(kind: str | None, year: str | None) -> str:
    """The sentence a question that names a type, or a year, and nothing else is answered with."""
    dated = f" of {year}" if year else ""
    if kind is None:
        return f"The question names a year and nothing else: listed the documents{dated}, newest first."
    return f"The question names a type of document: listed the {SAID[kind]}{dated}, newest first."


def listing(query: str, question: Question, filters: Filters,
            browse: Callable[[Filters], SearchResult]) -> SearchResult | None:
    """A question that names a type of document and nothing else ("press releases", "latest toolkits", "press releases
    from 2023"): that type's documents (of that year) newest first, as `browse` lists them, with the filters given
    besides; one that names a year and nothing else ("what happened in 2023"): that year's documents. None for any
    other question, when the filters name a type (or, for a year alone, dates) already, or when no document is listed."""
    asked = None if filters.types else only_kind(question.text, question.terms, question.languages)
    if asked is None:
        return None
    kind, year = asked
    dated = year if year and not (filters.since or filters.until) else None
    if kind is None and dated is None:  # a year alone, and the filters give the dates: the question is searched
        return None
    listed = browse(dataclasses.replace(filters, types=(kind,) if kind else filters.types, since=dated or filters.since,
                                        until=dated or filters.until))
    if not listed.total:
        return None
    return dataclasses.replace(listed, query=query, query_language=question.language, notices=(listing_notice(kind, dated),))
