"""One search against one snapshot: candidates from the index's typed methods, then fusion, grouping, snippets."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.config import DENSE_MODES, KEYWORD_MODES, MODES
from kb.errors import QueryError
from kb.languages import analysis_languages, notice
from kb.records import Chunk, Document, Filters, Hit, Passage, SearchResult
from kb.search import acronyms, facets, spelling, tagged
from kb.search.backmatter import RUN_ON_DEPTH, run_on_wanted
from kb.search.confidence import SHORT_TERMS, Verdict, judge
from kb.search.evidence import evidence, term_idfs
from kb.search.filters import describe, normalise, spoken
from kb.search.fusion import FUSION_SCORE_KIND, fuse, keyword_ceiling
from kb.search.grouping import DocCandidate, further_pool, hit_passages, passage_pool
from kb.search.kinds import filter_notice, language_notice, named, year_notice
from kb.search.phrases import phrase_chunks, phrases_first, words
from kb.search.question import Question, read_question
from kb.search.question import notice as names_notice
from kb.search.snippets import stem

if TYPE_CHECKING:
    import numpy as np

    from kb.index.store import IndexReader

# Chunk candidates each retriever contributes before grouping by document.
CANDIDATE_CHUNKS = 200
SCORE_KINDS = {"dense": "cosine", "keyword": "bm25", "hybrid": FUSION_SCORE_KIND}

Encode = Callable[[list[str]], "np.ndarray"]


@dataclass(frozen=True)
class Retrieved:
    """What a query found before its hits are dressed: documents best first, and the dense cosines."""

    docs: list[DocCandidate]
    cosine: dict[int, float]  # chunk id -> cosine, for the dense candidates (empty in keyword mode)
    query_vector: np.ndarray | None
    terms: list[str]
    language: str  # the question's language (detected, or as given)
    query: str = ""  # the question as searched (the confidence reads the country names it gives)
    corrections: Mapping[str, str] = field(default_factory=dict)  # misspelt words and those searched instead
    missing_phrases: tuple[str, ...] = ()  # quoted phrases no document holds (kb/search/phrases.py)
    phrases: tuple[str, ...] = ()  # the quoted phrases searched
    total: int = 0  # the documents the search ranks among: those that pass the filters and hold the phrases
    names: Mapping[str, str] | None = None  # instruments and countries named otherwise, and the names searched (question.py)
    written: tuple[str, ...] = ()  # words the keyword search looked for beside the terms ("líbano", "côte", "ivoire")
    spellings: Mapping[str, tuple[str, ...]] | None = None  # a term's other spellings, which count as it (variants.py)


def allowed_documents(reader: IndexReader, filters: Filters) -> set[str] | None:
    """Doc ids that pass the filters; None when there are no filters (everything passes)."""
    if not filters:
        return None
    return reader.documents_matching(normalise(filters))


def facet_counts(reader: IndexReader, doc_ids: Sequence[str] | None) -> dict[str, dict[str, int]]:
    """{facet: {value: number of documents}} over the given documents (None: the whole index), commonest first."""
    return facets.ordered(reader.facet_counts(doc_ids, facets.FACET_FIELDS))


def dense_chunks(reader: IndexReader, query_vector: np.ndarray, allowed: set[str] | None,
                 limit: int = CANDIDATE_CHUNKS) -> list[tuple[int, float]]:
    """[(chunk_id, cosine)] best first; inner product on normalised vectors = cosine.

    On an approximate (ivf) index the cosines are those of the 8-bit codes, within about 0.01.
    """
    import numpy as np

    if len(reader.vectors) == 0:
        return []
    allowed_ids = None
    if allowed is not None:
        allowed_ids = np.asarray(reader.chunk_ids_of(allowed), dtype="int64")
        if not len(allowed_ids):
            return []
        limit = min(limit, len(allowed_ids))
    scores, ids = reader.vectors.search(np.asarray(query_vector, dtype="float32"), limit, allowed_ids)
    return list(zip(ids.tolist(), scores.tolist()))  # tolist() gives Python ints and floats


def keyword_chunks(reader: IndexReader, terms: Sequence[str], allowed: set[str] | None,
                   limit: int = CANDIDATE_CHUNKS, languages: Sequence[str] = ("en",),
                   alternatives: Sequence[tuple[str, Sequence[str]]] = (),
                   names: Sequence[str] = ()) -> list[tuple[int, float]]:
    """[(chunk_id, bm25)] best first (higher is better); none for a query without words. `alternatives`: (words,
    names standing for them), a chunk scoring the best of the names; `names`: countries, looked for in every
    language's analysis, their documents' chunks scored as if they held them (KeywordIndex.search)."""
    if not terms:
        return []
    return reader.keyword.search(terms, limit, allowed, languages, alternatives, names, tagged.about(reader, names))


def retrieve(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters,
             encode: Encode | None, query_language: str | None = None, correct: bool = True,
             phrases: bool = True, question: Question | None = None) -> Retrieved:
    """Candidate documents for a query, best first, with the chunks that put them there. The question is read as
    read_question reads it (or given as `question`, read so); a phrase in quotes is one every document found holds,
    and its chunks that hold it come first among the document's passages."""
    if mode not in MODES:
        raise QueryError(f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
    asked = question or read_question(reader, query, query_language, correct, phrases)
    if not asked.terms:  # not a word ("?", "…"): nothing to look for, by its words or by its meaning
        return Retrieved([], {}, None, [], asked.language, asked.text)
    query, language, languages, terms = asked.text, asked.language, asked.languages, asked.terms
    wanted, fixes = asked.phrases, asked.corrections
    allowed = allowed_documents(reader, filters)
    held, missing = phrase_chunks(reader, wanted, languages) if wanted else (None, ())
    if held is not None:
        allowed = set(held) if allowed is None else allowed & set(held)
    limit = max(CANDIDATE_CHUNKS, 3 * k)
    query_vector = None
    rankings: list[list[tuple[int, float]]] = []
    cosine: dict[int, float] = {}
    if mode in DENSE_MODES:
        if encode is None:
            raise QueryError(f"mode {mode!r} needs the embedding model")
        query_vector = encode([asked.meaning])[0]
        dense = dense_chunks(reader, query_vector, allowed, limit)
        cosine = dict(dense)
        rankings.append(dense)
    if mode in KEYWORD_MODES:
        ranked = keyword_chunks(reader, [*terms, *asked.written], allowed, limit, languages, asked.alternatives,
                                asked.countries)
        rankings.append(acronyms.scored(reader, ranked, asked.acronym_names, allowed, languages, limit)
                        if asked.acronym_names else ranked)
    found = {c for ranked in rankings for c, _ in ranked}
    chunk_doc = reader.chunk_documents(found)
    if len(chunk_doc) < len(found):  # chunks the catalog lacks (never in a whole snapshot) are left out
        rankings = [[(c, s) for c, s in ranked if c in chunk_doc] for ranked in rankings]
    ceiling = keyword_ceiling(reader.keyword.idf_sum(terms, languages)) if mode == "hybrid" else 0.0
    docs = fuse(rankings, chunk_doc, mode, ceiling)
    if held:
        docs = [phrases_first(doc, held[doc.doc_id]) for doc in docs]
    total = reader.counts()[0] if allowed is None else len(allowed)
    return Retrieved(docs, cosine, query_vector, terms, language, query, fixes, missing, wanted, total, asked.names,
                     (*asked.written, *(w for _, names in asked.alternatives for name in names for w in name.split())),
                     asked.spellings)


def _hit(doc: Document, candidate: DocCandidate, score_kind: str, passages: tuple[Passage, ...]) -> Hit:
    return Hit(
        doc_id=doc.doc_id, title=doc.title, type=doc.type, date=doc.date, language=doc.language,
        source=doc.source, score=round(candidate.score, 6), score_kind=score_kind,
        passages=passages, metadata=doc.metadata,
    )


def _passage_chunks(reader: IndexReader, top: Sequence[DocCandidate], wanted: frozenset[str] = frozenset()) -> dict[int, Chunk]:
    """The chunks these candidates' passages are chosen from (and those before them that tell back matter);
    `wanted`: the question's stems, looked for further in a hit whose best chunks hold none of them."""
    chunks = _with_run_on(reader, reader.chunks(passage_pool(top)))
    more = further_pool(top, chunks, wanted)  # for hits whose best chunks are only a title page, contents or scraps
    if more:
        chunks = _with_run_on(reader, {**chunks, **reader.chunks(more)})
    return chunks


def _with_run_on(reader: IndexReader, chunks: dict[int, Chunk]) -> dict[int, Chunk]:
    """`chunks` and those before them that tell whether a reference list runs on into them (backmatter.py)."""
    for _ in range(RUN_ON_DEPTH):
        wanted = run_on_wanted(chunks)
        if not wanted:
            break
        chunks = {**chunks, **reader.chunks(wanted)}
    return chunks


def _hits(reader: IndexReader, top: Sequence[DocCandidate], chunks: Mapping[int, Chunk], stems: set[str],
          score_kind: str, phrases: Sequence[str] = (), weights: Mapping[str, float] | None = None,
          terms: Sequence[str] = (), asked_in: str | None = None) -> tuple[Hit, ...]:
    """The hits for these candidates: their documents' metadata and their passages (from `chunks`), the quoted
    `phrases` marked whole, those that hold the question's stems (`weights`: stem -> IDF) first, its `terms` marked
    (`asked_in`: the question's language)."""
    documents = reader.documents(c.doc_id for c in top)
    marked = [words(p) for p in phrases]
    return tuple(_hit(documents[c.doc_id], c, score_kind, hit_passages(c, chunks, stems, documents[c.doc_id].language,
                                                                       marked, weights, terms, asked_in)) for c in top)


def _stem_weights(idf: Mapping[str, float]) -> dict[str, float]:
    """The question's stems, each with its terms' IDF weight."""
    weights: dict[str, float] = {}
    for term, weight in idf.items():
        if stemmed := stem(term):
            weights[stemmed] = weights.get(stemmed, 0.0) + weight
    return weights


def _took_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def run_search(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters, encode: Encode | None,
               query_language: str | None = None, model_languages: str = "en", correct: bool = True,
               question: Question | None = None) -> SearchResult:
    """One query against one snapshot. `encode` embeds text (needed by dense and hybrid modes); `query_language`
    is the question's language when the user gave it; `model_languages` what the embedding model understands;
    `correct`: whether misspelt words are searched corrected; `question`: the query as read_question read it, if
    the caller has it."""
    started = time.perf_counter()
    found = retrieve(reader, query, k=k, mode=mode, filters=filters, encode=encode, query_language=query_language,
                     correct=correct, question=question)
    said = [n for n in (spelling.notice(found.corrections), names_notice(found.names),
                        notice(found.language, mode, reader.manifest.model.name, model_languages)) if n]
    languages = analysis_languages(found.language)
    idf = term_idfs(reader, found.terms, languages)
    # The passages that hold the question's words come first, and those that hold the words looked for beside them
    # ("recognition of prior learning" for "reconnaissance des acquis", "harmonised" for "harmonized")
    beside = term_idfs(reader, found.written, languages) if found.written else {}
    weights = {} if found.phrases else _stem_weights({**beside, **idf})  # a quoted phrase's passages come first already
    # A short question (a name, a title) looks further in a hit whose best chunks score on its title alone.
    chunks = _passage_chunks(reader, found.docs[:k], frozenset(weights) if len(found.terms) <= SHORT_TERMS else frozenset())
    marked = [*found.terms, *found.written]  # a name as the document writes it is marked too ("Côte d'Ivoire")
    hits = _hits(reader, found.docs[:k], chunks, {stem(t) for t in marked}, SCORE_KINDS[mode], found.phrases,
                 weights, marked, found.language)
    if not filters.types:  # "press release about Nepal": the filter that shows press releases alone
        said += [n for n in (filter_notice(named(found.query), [h.type for h in hits]),) if n]
    if not (filters.since or filters.until):  # "… from 2024": the filter that shows that year alone
        said += [n for n in (year_notice(found.query, [h.date for h in hits]),) if n]
    if not filters.languages:  # "… in French": the filter that shows that language alone
        said += [n for n in (language_notice(query, [h.language for h in hits]),) if n]
    verdict = judge(evidence(reader, hits, found, model_languages, chunks, encode=encode, idf=idf))
    if not hits:
        verdict = Verdict(False, _why_nothing(found, describe(filters), allowed_documents(reader, filters)) or verdict.reason)
    return SearchResult(
        query=query, mode=mode, k=k, hits=hits, confident=verdict.confident,
        facets=facet_counts(reader, [c.doc_id for c in found.docs]),
        took_ms=_took_ms(started), filters=describe(filters), confidence_reason=verdict.reason,
        query_language=found.language, notices=tuple(said), corrections=dict(found.corrections), total=found.total,
    )


def _why_nothing(found: Retrieved, filters: Mapping[str, object], allowed: set[str] | None) -> str | None:
    """Why a search found nothing, when a quoted phrase or the filters (`allowed`: the documents that pass them) are
    the reason; None when its words are."""
    if not found.terms:
        return "No match: the question has no word to search for."
    if found.missing_phrases:
        return f"No match: no document holds {_listed(found.missing_phrases)}."
    if not filters:
        return None
    named = spoken(filters)
    if not allowed:
        return f"No match: no document passes the filters ({named})."
    if found.phrases:
        return f"No match: no document that passes the filters ({named}) holds {_listed(found.phrases)}."
    return f"No match: no document that passes the filters ({named}) holds a word of the question."


def _listed(phrases: Sequence[str]) -> str:
    return " or ".join(f"“{p}”" for p in phrases)


def rank_documents(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters,
                   encode: Encode | None, correct: bool = False) -> list[str]:
    """Just the ids of the k best documents (no snippets): what an evaluation or a batch job needs. Its words are
    taken as typed unless `correct`: a ranking has no notice to say a word was corrected, nor a reader to undo it
    (SciFact test, hybrid: 0.7400 as typed, 0.7388 corrected, 2 of 300 claims corrected); quotes are text, not
    phrases to hold (a claim quotes a term: "Van Gogh" bundles)."""
    found = retrieve(reader, query, k=k, mode=mode, filters=filters, encode=encode, correct=correct, phrases=False)
    return [c.doc_id for c in found.docs[:k]]


def similar_documents(reader: IndexReader, doc_id: str, *, k: int, filters: Filters) -> SearchResult:
    """Documents closest to one document: its chunk vectors averaged into one query vector."""
    import numpy as np

    started = time.perf_counter()
    source = reader.document(doc_id)  # DocumentNotFound for an unknown id
    ids = reader.chunk_ids_of([doc_id])
    if not ids:
        return SearchResult(query=f"similar:{doc_id}", mode="dense", k=k, hits=(), confident=False, facets={},
                            took_ms=0.0)
    centroid = reader.vectors_by_id(ids).mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    allowed = allowed_documents(reader, filters)
    others = (allowed if allowed is not None else {d.doc_id for d in reader.all_documents()}) - {doc_id}
    dense = dense_chunks(reader, centroid, others, max(CANDIDATE_CHUNKS, 3 * k))
    chunk_doc = reader.chunk_documents(c for c, _ in dense)
    docs = fuse([[(c, s) for c, s in dense if c in chunk_doc]], chunk_doc, "dense")[:k]
    hits = _hits(reader, docs, _passage_chunks(reader, docs), set(), "cosine")
    return SearchResult(
        query=f"similar:{source.doc_id}", mode="dense", k=k, hits=hits, confident=bool(hits),
        facets=facet_counts(reader, [c.doc_id for c in docs]), took_ms=_took_ms(started), filters=describe(filters),
    )
