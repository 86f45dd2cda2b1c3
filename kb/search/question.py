"""A question as it is searched: its language, its words, the misspelt ones corrected, its quoted phrases, the ILO
instruments and SDG targets it names by number, the countries it names otherwise than the index's table, and the
other spellings of its words that no chunk holds as it spells them, the English names of the ILO terms a French or
Spanish question names, what the acronyms no chunk holds stand for, and the countries of the regions it names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.languages import DEFAULT_LANGUAGE, analysis_languages, question_language
from kb.search import acronyms, glossary, instruments, regions, spelling
from kb.search.phrases import quoted
from kb.search.snippets import query_terms
from kb.search.variants import held_spellings

if TYPE_CHECKING:
    from kb.index.store import IndexReader


@dataclass(frozen=True)
class Question:
    """A question as it is searched: its text with misspelt words corrected, its language, terms and phrases."""

    text: str
    language: str  # detected, or as given
    languages: tuple[str, ...]  # the analyses its words are matched with
    terms: list[str]
    phrases: tuple[str, ...]  # in quotes: each a phrase every document found holds
    corrections: Mapping[str, str]  # misspelt words and those searched instead
    # An instrument's number or a country's name as written -> the name searched in its place ("C182" -> "Worst Forms
    # of Child Labour Convention, 1999 (No. 182, C182)", "Líbano" -> "Lebanon")
    names: Mapping[str, str] | None = None
    written: tuple[str, ...] = ()  # the words of those as written, which the keyword search looks for too
    # a term no chunk holds -> its other spellings the index holds; a French or Spanish term's word -> the English name
    # of the term (every word of a name held counts: "child labour" for "travail" and "enfants")
    spellings: Mapping[str, tuple[str, ...]] | None = None
    # the English names of the glossary's terms it names and what its acronyms no chunk holds stand for, which the
    # meaning search reads before it ("NEET youth": "not in employment, education or training")
    english: str = ""
    # Each region it names, as written, and the names of its countries ("Central Asia", ("kazakhstan", …,
    # "uzbekistan")), each name its words, which the keyword search looks for too, a chunk scoring the one it scores
    # best on, weighing no more than the region's words (KeywordIndex.search)
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What its acronyms no chunk holds stand for ("not in employment, education or training"): a chunk that writes one
    # in a row is scored as if it held the acronym (acronyms.scored)
    acronym_names: tuple[str, ...] = ()
    # The countries it names, as written and as the table writes them, which the keyword search looks for in every
    # language's analysis: a Spanish document's makes "colombi" of "Colombia", an English question's "colombia"
    countries: tuple[str, ...] = ()

    @property
    def meaning(self) -> str:
        """What the meaning search embeds: the English names of its terms, if any, then the question as searched
        ("apprenticeship; informal economy (apprentissage dans l'économie informelle)"). Chosen on the hash-even half
        of tests/data/crosslingual_questions.jsonl (hybrid nDCG@10: question alone 0.469, question then names 0.585,
        names then question 0.608, names alone 0.534). An acronym no chunk holds is read so too: the model knows
        "NEET" or "NQF" little."""
        return f"{self.english} ({self.text})" if self.english else self.text


def read_question(reader: IndexReader, query: str, query_language: str | None = None, correct: bool = True,
                  phrases: bool = True) -> Question:
    """The question as `retrieve` searches it: matched in its language (`query_language`, else detected) and in
    English (kb/languages.py); misspelt words corrected unless `correct` is False (kb/search/spelling.py), never a
    word in quotes; quoted phrases read unless `phrases` is False (kb/search/phrases.py). In a question not in English,
    a country named otherwise than kb's country table names it ("Kenia", "Líbano", "Liban") is searched by the table's
    name in its place (the model reads English best, and most documents are in English), and by its words as written
    too (a document in the question's language writes them so); an English question's names stay as they are ("Turkey"
    is how most documents write Türkiye), and the table's name is looked for beside it, by the keyword search alone
    ("Côte d'Ivoire" for "Ivory Coast", "Viet Nam" for "Vietnam"). An ILO instrument named by its number ("C182",
    "Convention No. 138") or an SDG target ("SDG 8.7") is searched by its title in its place, in any language
    (kb/search/instruments.py), and by its number as written. An English word that no chunk holds as it is spelt is
    looked for in its other spelling too ("harmonised" for "harmonized", kb/search/variants.py), when the index holds
    that. A French or Spanish question's ILO terms are searched by their English names too, which count as them
    ("travail des enfants": "child labour", kb/search/glossary.py), and an acronym no chunk holds by what it stands for
    ("NQF": "national qualifications framework", kb/search/acronyms.py). The service reads it before embedding: a question
    is embedded once, as searched (Question.meaning)."""
    language = query_language or question_language(query)
    languages = analysis_languages(language)
    terms = query_terms(query, languages)
    wanted = quoted(query) if phrases else ()
    fixes = _corrections(query, terms, wanted, reader, languages) if correct else {}
    if fixes:
        query, terms = spelling.corrected(query, fixes), list(dict.fromkeys(fixes.get(t, t) for t in terms))
    named = {written: name for written, name in instruments.named_in(query).items()
             if not any(written.casefold() in phrase.casefold() for phrase in wanted)}  # in quotes: as typed
    beside: dict[str, str] = {}
    if language != DEFAULT_LANGUAGE:
        named |= _other_names(query)  # searched by the table's name in its place
    else:  # an English question's names stay as typed ("Turkey", as most documents write it); the table's beside
        beside = {written: name for written, name in _other_names(query).items()
                  if not set(query_terms(name, languages)) <= set(terms)}  # "Saint Helena" adds no word
    places = _places(query, languages)  # "Central Asia": "Kazakhstan", …, "Uzbekistan"
    for written, name in named.items():
        # as typed, or in lower case (named_in gives a lower-case question's names as the table writes them)
        query = re.sub(rf"(?<![\w-]){re.escape(written)}(?![\w-])", name.replace("\\", r"\\"), query, flags=re.IGNORECASE)
    if named:
        terms = query_terms(query, languages)
    also = [t for written in named for t in query_terms(written, languages)]
    spelt = held_spellings(terms, reader.keyword, languages)  # "harmonised" beside a "harmonized" no chunk holds
    also += [form for forms in spelt.values() for form in forms]
    expanded = acronyms.spelled_out(query, reader.keyword, languages)  # "NEET": "not in employment, education or …"
    for written, names in expanded.items():  # a passage holds the acronym where it writes a name in a row
        spelt[written.lower()] = (*spelt.get(written.lower(), ()), *(f'"{name}"' for name in names))
        also += [t for name in names for t in query_terms(name, languages)]
    also += [t for name in beside.values() for t in query_terms(name, languages)]  # "Côte d'Ivoire" for "Ivory Coast"
    for written, name in beside.items():  # a passage that writes the table's name holds the name as typed
        _stand_for(spelt, written, (name,), languages)
    alternatives = _alternatives(places, languages, spelt)  # a region's countries, which count as its words
    glossed = glossary.english_terms(query, language)  # "économie informelle": "informal economy"
    for written, english in glossed.items():
        _stand_for(spelt, written, (english,), languages)
        also += query_terms(english, (DEFAULT_LANGUAGE,))
    spelled = {written: names[0] for written, names in expanded.items()}  # the first the table gives (English)
    listed = {written: _listed(names) for written, names in places.items()}
    return Question(query, language, tuple(languages), terms, tuple(wanted), fixes,
                    named | beside | glossed | spelled | listed,
                    tuple(dict.fromkeys(t for t in also if t not in terms and len(t) > 1)), spelt,  # not d'Ivoire's d
                    "; ".join(dict.fromkeys([*glossed.values(), *spelled.values()])), alternatives,
                    tuple(name for names in expanded.values() for name in names), _countries(query))


def _corrections(query: str, terms: list[str], wanted: tuple[str, ...], reader: IndexReader,
                 languages: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The question's misspelt words and their corrections (kb/search/spelling.py), but for a word in quotes, meant as
    typed, and an acronym of kb's table, no misspelling ("neet" is not "need")."""
    fixes = spelling.corrections(terms, query, reader.keyword, languages)
    if fixes:
        as_typed = {w for phrase in wanted for w in query_terms(phrase, languages)}
        as_typed |= {w.lower() for w in acronyms.written_in(query)}
        fixes = {word: fix for word, fix in fixes.items() if word not in as_typed}
    return fixes


def _other_names(query: str) -> dict[str, str]:
    """{a country's name as the question writes it: the table's name} for those written otherwise ("Kenia": "Kenya")."""
    from kb.ingest.enrich import countries, fold, named_in

    table = countries()
    named: dict[str, str] = {}
    for written in named_in(query):
        country = table.lookup(written)
        if country is not None and fold(written) != fold(country.name):
            named[written] = country.name
    return named


def _countries(query: str) -> tuple[str, ...]:
    """The country names the question writes, the table's name and its one-word names in the table's other languages
    ("Italy": "Italia", "Italie"; not "Pays-Bas", whose "pays" is any country)."""
    from kb.ingest.enrich import countries, named_in, names_of

    found = []
    for written in named_in(query):
        country = countries().lookup(written)
        found += [written, *((country.name, *(n for n in names_of(country.code) if _one_word(n)))
                             if country is not None else ())]
    return tuple(dict.fromkeys(found))


def _one_word(name: str) -> bool:
    return name.isalpha() and not name.isupper()


def _places(query: str, languages: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """{a region the question names, as written: the names of its countries its search looks for} ("Central Asia":
    "Kazakhstan", …, "Uzbekistan"), for regions of at most regions.SEARCHED_COUNTRIES countries; names without a word
    that names a country alone ("United Kingdom") left out."""
    from kb.ingest.enrich import named_in

    places: dict[str, tuple[str, ...]] = {}
    for written, codes in regions.named_in(query, named_in(query)).items():
        if names := tuple(name for name in regions.searched(codes) if regions.name_words(name)):
            places[written] = names
    return places


def _alternatives(places: Mapping[str, tuple[str, ...]], languages: tuple[str, ...] | list[str],
                  spelt: dict[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each region as written and its countries' names as their words ("Côte d'Ivoire": "côte ivoire"), of which a
    chunk scores the one it scores best on; each counts as the region's words in `spelt` (a passage that names
    Uzbekistan holds "Central Asia")."""
    found = []
    for written, names in places.items():
        forms = tuple(" ".join(regions.name_words(name)) for name in names)
        _stand_for(spelt, written, forms, languages)
        found.append((written, forms))
    return tuple(found)


def _stand_for(spelt: dict[str, tuple[str, ...]], written: str, forms: tuple[str, ...],
               languages: tuple[str, ...] | list[str]) -> None:
    """The forms count as the terms of the words written: a passage that holds one holds them (kb/search/confidence.py)."""
    for term in query_terms(written, languages):
        spelt[term] = (*spelt.get(term, ()), *forms)


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def notice(named: Mapping[str, str] | None) -> str | None:
    """The sentence a search shows when it searched a country by the table's name too, or None."""
    if not named:
        return None
    said = "; ".join(f"“{written}” as “{name}” too" for written, name in named.items())
    return f"Searched {said}."
