"""What a search's confidence is judged on (kb/search/confidence.py), gathered from the index: the top hits' shown
passages, the question's terms' IDF, the dense candidates' cosines, the countries the question names that no top
hit is about, and the words no top hit holds."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from kb.languages import DEFAULT_LANGUAGE, STEMMERS, analysis_languages, understood
from kb.records import Chunk, Hit
from kb.search import regions
from kb.search.confidence import CONFIDENCE_HITS, FITTED, Evidence, gather
from kb.search.kinds import languages_named, named
from kb.search.phrases import holds, words
from kb.search.snippets import common_words_only, query_terms

if TYPE_CHECKING:
    from kb.index.store import IndexReader
    from kb.search.query import Encode, Retrieved


def evidence(reader: IndexReader, hits: Sequence[Hit], found: Retrieved, model_languages: str = "en",
             chunks: Mapping[int, Chunk] | None = None, document_gap: bool = FITTED.doc_gap != 0,
             countries: bool = False, encode: Encode | None = None, meaning: bool = False,
             idf: Mapping[str, float] | None = None) -> Evidence:
    """What a search's confidence is judged on (kb/search/confidence.py): the top hits' shown passages, the terms'
    IDF (analysed as the keyword search did) and the dense candidates' cosines, unless the model does not understand
    the question's language: then its cosines say little (a Spanish question sits close to any Spanish text), and
    the question is judged on its words alone, as in keyword mode. `chunks`: those the passages were cut from, if
    the caller has them (else they are read again). `document_gap`: whether to measure it (the fitted model gives
    it no weight today; benchmarks/confidence.py still measures it). The countries no top hit is about are looked
    up when the fitted model has the country rule, or when `countries` asks (benchmarks/confidence.py); the words no
    top hit holds, and their lifts, when it has the meaning rule or `meaning` asks (with `encode`, the query model).
    `idf`: the terms' IDF, if the caller has it."""
    top = hits[:CONFIDENCE_HITS]
    shown = chunks if chunks is not None else reader.chunks([p.chunk_id for h in top for p in h.passages])
    # A hit shows its title above its passages (and the keyword index holds the title with every chunk); a hit of a
    # type the question names holds that name ("press release about Nepal": the Nepal press release, kinds.py).
    # So does a hit in a language the question asks for ("skills guides in French": a guide in French).
    kinds, tongues = named(found.query), languages_named(found.query)
    texts = [(h.title, *shown[p.chunk_id].heading_path, shown[p.chunk_id].text, *([kinds[h.type]] if h.type in kinds else []),
              *([tongues[h.language]] if h.language in tongues else []))
             for h in top for p in h.passages if p.chunk_id in shown]
    if longer := _longer_names(found.query):  # "Sudan" in "South Sudan" is not Sudan
        texts = [tuple(longer.sub(" ", part) for part in text) for text in texts]
    languages = analysis_languages(found.language)
    if idf is None:
        idf = term_idfs(reader, found.terms, languages)
    absent = (*_absent_countries(reader, found.query, top, languages), *_absent_instruments(reader, found.names, top, languages)
              ) if FITTED.country_rule or countries else ()
    common = common_words_only(found.terms, languages)
    spelt = found.spellings or {}
    if not understood(found.language, model_languages):
        return gather(found.terms, idf, texts, (), len(hits), absent_countries=absent, common=common, spellings=spelt)
    unmatched = _unmatched(reader, found, top, languages, encode) if FITTED.meaning_rule or meaning else ()
    return gather(found.terms, idf, texts, found.cosine.values(), len(hits), _document_cosines(found) if document_gap else (),
                  absent, unmatched, common, spelt)


def term_idfs(reader: IndexReader, terms: Sequence[str], languages: Sequence[str]) -> dict[str, float]:
    """Each term's IDF as the index knows it best. A question matched in two languages (its own and English) has two
    tokens a word; their IDFs summed made a Spanish "empleos" (held by 14 chunks) weigh more than "verdes" (held by
    none), as if it were rare in English, so that a passage holding "empleos" alone held "most of the question's rarer
    words". The token the most chunks hold now gives the term's weight; a term no chunk holds stays as rare as can be."""
    if len(languages) < 2:
        return {t: reader.keyword.idf_sum([t], languages) for t in terms}
    weights: dict[str, float] = {}
    for term in terms:
        _, best = max((reader.keyword.doc_freq(term, (language,)), language) for language in languages)
        weights[term] = reader.keyword.idf_sum([term], (best,))
    return weights


def _unmatched(reader: IndexReader, found: Retrieved, top: Sequence[Hit], languages: Sequence[str],
               encode: Encode | None) -> tuple[tuple[str, float], ...]:
    """The question's words (of two letters or more) that no top hit's document holds, each with its lift: how much
    closer the top hits' shown passages come to the question without the word (best cosine less best cosine). A word
    whose meaning the passages share draws the question to them ("coerced" beside forced labour); one they lack pulls
    it away ("cobalt" beside child labour in mines). One encode call, only for a question that has such words."""
    passages = [p.chunk_id for h in top for p in h.passages]
    if encode is None or found.query_vector is None or not passages:
        return ()
    documents = {h.doc_id for h in top}
    words = [t for t in found.terms if len(t) > 1 and not reader.keyword.holds(t, documents, languages)]
    if not words:
        return ()
    vectors = reader.vectors_by_id(passages)
    best = float((vectors @ found.query_vector).max())
    without = encode([_without(found.query, word, languages) for word in words])
    lifts = (vectors @ without.T).max(axis=0) - best
    return tuple((_as_written(found.query, word), round(float(lift), 6)) for word, lift in zip(words, lifts))


def _as_written(query: str, word: str) -> str:
    """The word as the question writes it ("Python", not "python"), for the reason shown."""
    match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", query, re.IGNORECASE)
    return match.group(0) if match else word


def _without(query: str, word: str, languages: Sequence[str]) -> str:
    """The question less the whitespace-separated pieces that hold the word ("teleworker's" goes with "teleworker")."""
    return " ".join(piece for piece in query.split() if word not in query_terms(piece, languages)) or query


def _absent_countries(reader: IndexReader, query: str, top: Sequence[Hit], languages: Sequence[str]) -> tuple[str, ...]:
    """The countries (kb/data/countries.tsv, proper names as written) and regions (kb/search/regions.py) the question
    names that no top hit is about: a top hit whose metadata names its countries is about those (the Burundi report
    mentions Tanzania, and answered "child labour in Tanzania" confidently) and their regions; one whose metadata names
    none is about a country or region its document mentions anywhere, by that name or the table's (each of the name's
    words looked up in those documents' keyword rows; a question typed without capitals names them in lower case).
    A top hit in another language than the question's that names no country of its own is about a country it
    mentions by any of the table's names ("Italia" in "L'Italia nei cent'anni dell'OIL"), and about any region: its
    words cannot be compared with the region's."""
    if not top:
        return ()
    from kb.ingest.enrich import countries, named_in, names_of  # the table (~6-7 ms) is read by the first search

    table = countries()
    named = named_in(query)
    places = regions.named_in(query, named)  # "Central Asia", "the Gulf": a country of it
    if not (named or places):
        return ()
    general = {h.doc_id for h in top if not h.metadata.get("countries")}
    every = {h.doc_id for h in top}
    foreign = {h.doc_id for h in top if (h.language or DEFAULT_LANGUAGE) not in languages} & general
    tongues = (*languages, *sorted({h.language for h in top if h.doc_id in foreign and h.language in STEMMERS}))

    def mentioned(names: Sequence[str], documents: set[str], analyses: Sequence[str] = languages) -> bool:
        return bool(documents) and any(all(reader.keyword.holds(word, documents, analyses)
                                           for word in query_terms(name, analyses)) for name in names)

    def about(name: str) -> bool:  # as the question writes it, or as the table does ("Côte d'Ivoire", "Ivory Coast")
        country = table.lookup(name)
        if country is not None and any(country.code in h.metadata.get("countries", ()) for h in top):
            return True
        # by a top hit that names no country of its own; by any, where the country plays a side part
        if mentioned((name, *((country.name,) if country is not None else ())),
                     every if _in_passing(query, name) else general):
            return True
        return country is not None and mentioned(names_of(country.code), foreign, tongues)  # "Italia", "Italië"

    def in_region(name: str, codes: frozenset[str]) -> bool:  # a general hit writes the region's name in a row
        if foreign or any(codes.intersection(h.metadata.get("countries", ())) for h in top):
            return True
        if not _in_passing(query, name):
            return mentioned((name,), general) and _written(reader, general, name)
        # a side part: any top hit that writes the region's name, or one of its countries' ("to the Gulf": Qatar)
        return (mentioned((name,), every) and _written(reader, every, name)) or any(
            mentioned((country,), every) for country in regions.searched(codes))

    return (*(name for name in named if not about(name)),
            *(name for name, codes in places.items() if not in_region(name, codes)))


# Words before a place that give it a side part: where people come from or go to ("migrant workers returning from
# Malaysia", "recruited to the Gulf"), in English, French and Spanish.
_PASSING = re.compile(r"(?<!\w)(?:from|to|into|towards?|between|vers|depuis|desde|hacia)\s+(?:the\s+)?$", re.IGNORECASE)


def _in_passing(query: str, name: str) -> bool:
    """Whether the question names the place as where someone comes from or goes to ("skills certification for migrant
    workers returning from Malaysia"): a top hit about Nepal that mentions Malaysia answers it, where one that mentions
    Tanzania does not answer "child labour in Tanzania"."""
    at = query.casefold().find(name.casefold())
    return at > 0 and _PASSING.search(query[:at]) is not None


# An instrument's name as kb/search/instruments.py searches it: "Domestic Workers Convention, 2011 (No. 189, C189)".
_NUMBERED = re.compile(r"\((?:No\. (\d+), ([CR])\d+|(P)(\d+))\)$")
_KINDS = {"C": "Convention", "R": "Recommendation", "P": "Protocol"}


def _absent_instruments(reader: IndexReader, names: Mapping[str, str] | None, top: Sequence[Hit],
                        languages: Sequence[str]) -> tuple[str, ...]:
    """The ILO instruments the question names by number ("C189 ratification") that no top hit cites, by its number
    ("C189", "No. 189", "Convention 189") or its short title in a row ("Domestic Workers Convention"): a League of
    Nations convention answered "C189 ratification" confidently, as close in meaning. None when a top hit is in another
    language than the question's (a Dutch text cites its convention otherwise)."""
    cited = [(written, name, match) for written, name in (names or {}).items() if (match := _NUMBERED.search(name))]
    if not cited or not top or any((h.language or DEFAULT_LANGUAGE) not in languages for h in top):
        return ()
    documents = {h.doc_id for h in top}
    texts = [d.title for d in reader.documents(documents).values()] + [
        f"{' '.join(c.heading_path)}\n{c.text}" for c in reader.chunks(reader.chunk_ids_of(documents)).values()]
    absent = []
    for written, name, match in cited:
        kind, number = (match.group(2), match.group(1)) if match.group(1) else ("P", match.group(4))
        citation = re.compile(rf"(?<![\w-])(?:{kind}\.?\s?0*{int(number)}|No\.?\s*{int(number)}|{_KINDS[kind]}\s+(?:No\.?\s*)?"
                              rf"{int(number)})(?![\d])", re.IGNORECASE)
        title = words(name.split(",")[0])  # "Domestic Workers Convention"
        if not any(citation.search(text) or holds((text,), title) for text in texts):
            absent.append(written)
    return tuple(absent)


def _longer_names(query: str) -> re.Pattern[str] | None:
    """The names of other countries that hold a country the question names ("South Sudan" for "child soldiers in
    Sudan", "Guinea-Bissau" and "Papua New Guinea" for "Guinea"), which a passage does not hold it by: the South Sudan
    report held every word of "child soldiers in Sudan". None when there are none."""
    from kb.ingest.enrich import countries, named_in

    table = countries()
    named = {country.code for name in named_in(query) if (country := table.lookup(name)) is not None}
    longer = sorted({name for code in named for name, owner in _holding(code) if owner not in named}, key=len, reverse=True)
    return re.compile("|".join(rf"(?<![\w-]){re.escape(n)}(?![\w-])" for n in longer), re.IGNORECASE) if longer else None


@lru_cache(maxsize=64)
def _holding(code: str) -> tuple[tuple[str, str], ...]:
    """(name, its country's code) for the table's names of other countries whose words hold a name of this one in a
    row."""
    names = _name_words()
    own = [words for _, owner, words in names if owner == code]
    return tuple((name, owner) for name, owner, words in names
                 if owner != code and any(w in words and w != words for w in own))


@lru_cache(maxsize=1)
def _name_words() -> tuple[tuple[str, str, str], ...]:
    """(name, its country's code, its words between spaces: " south sudan ") for the table's text names."""
    from kb.ingest.enrich import coded_names

    return tuple((name, code, f" {' '.join(_LETTERS.findall(key))} ") for name, code, key in coded_names())


_LETTERS = re.compile(r"[^\W_]+")


def _written(reader: IndexReader, documents: set[str], name: str) -> bool:
    """Whether a chunk of these documents (title, heading path or text) writes the name's words in a row: "Central
    Asia", where the keyword rows only say that a press release holds "central" and "Asia" somewhere."""
    from kb.search.phrases import holds, words

    phrase = words(name)
    titles = [d.title for d in reader.documents(documents).values()]
    return holds(titles, phrase) or any(holds((" ".join(c.heading_path), c.text), phrase)
                                        for c in reader.chunks(reader.chunk_ids_of(documents)).values())


def _document_cosines(found: Retrieved) -> list[float]:
    """Each candidate document's best dense cosine (its chunks the dense search returned): a few hundred lookups."""
    best = (max((found.cosine[c] for c, _ in doc.chunks if c in found.cosine), default=None) for doc in found.docs)
    return [b for b in best if b is not None]
