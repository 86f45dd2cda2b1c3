"""Search: dense, keyword (FTS5 BM25) and hybrid retrieval, filters, grouping by document, snippets."""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kb.errors import QueryError
from kb.index import ann
from kb.index.store import IndexReader, facet_field
from kb.records import Document, Filters, Hit, Passage, SearchResult

if TYPE_CHECKING:
    import numpy as np

MODES = ("hybrid", "dense", "keyword")
# Hybrid fusion: weight of the dense retriever's score (keyword gets the rest), both on a 0-1 scale
# that means the same for every query (see fuse).
DENSE_WEIGHT = 0.5
# The keyword side of the hybrid is bm25 / (KEYWORD_CEILING x the query terms' summed IDF). FTS5's bm25
# never exceeds (k1 + 1) = 2.2 x that sum, so the keyword score stays below 2/3 and the cosine weighs more.
# Chosen with DENSE_WEIGHT on a small grid by the even half of SciFact's test queries and the labour-docs
# questions (benchmarks/relevance.py); the odd half of SciFact and the corpus/ questions were held out.
KEYWORD_CEILING = 3.3
FUSION_SCORE_KIND = "hybrid"
# Chunk candidates each retriever contributes before grouping by document.
CANDIDATE_CHUNKS = 200
# BM25 field weights for (title, heading path, chunk text).
BM25_WEIGHTS = (2.0, 1.0, 1.0)
PASSAGES_PER_HIT = 2
# A hit shows its best passages of at least MIN_PASSAGE_WORDS words among its PASSAGE_POOL best chunks
# (a shorter one only when it has nothing else).
MIN_PASSAGE_WORDS = 8
PASSAGE_POOL = 6
SNIPPET_CHARS = 280
# A best passage below this cosine similarity to the query is "no confident match". Calibrated on the
# corpus/ question set: the no-answer questions' best passages reached at most 0.39, the answerable
# ones' at least 0.42 (all-MiniLM-L6-v2); checked on the labour-docs questions in benchmarks/relevance.
CONFIDENCE_THRESHOLD = 0.40
# Facets counted over the documents in the candidate pool of a query.
FACET_FIELDS = ("type", "topic", "country", "region", "language", "year")

_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off
    on once only or other our ours ourselves out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)



@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


def query_terms(query: str) -> list[str]:
    """The query's words that carry meaning: lowercased, stop words dropped (all kept if nothing is left)."""
    words = [w.lower() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in _STOPWORDS]
    return list(dict.fromkeys(kept or words))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower())


def keyword_ceiling(reader: IndexReader, terms: Sequence[str]) -> float:
    """What the hybrid divides a bm25 score by: KEYWORD_CEILING x the terms' summed IDF, with IDF as FTS5's
    bm25 computes it. A chunk that matches only the query's commonest word thus scores low, however
    far it is ahead of the other keyword candidates."""
    chunks = reader.chunk_count
    total = 0.0
    for term in terms:
        found = reader.rows_matching(fts_query([term]))
        total += max(1e-6, math.log((chunks - found + 0.5) / (found + 0.5)))
    return KEYWORD_CEILING * total


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: any of the terms (each quoted, so no operator injection)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


# -- filters ---------------------------------------------------------------------------------------

def allowed_documents(reader: IndexReader, filters: Filters) -> set[str] | None:
    """Doc ids that pass the filters; None when there are no filters (everything passes)."""
    if not filters:
        return None
    clauses: list[str] = []
    params: list[Any] = []
    if filters.types:
        clauses.append(f"d.type IN ({','.join('?' * len(filters.types))})")
        params.extend(filters.types)
    if filters.languages:
        clauses.append(f"d.language IN ({','.join('?' * len(filters.languages))})")
        params.extend(code.lower() for code in filters.languages)
    if filters.since:
        clauses.append("d.date IS NOT NULL AND d.date >= ?")
        params.append(filters.since)
    if filters.until:
        # "until 2023" includes all of 2023: compare on the date's own precision.
        clauses.append("d.date IS NOT NULL AND substr(d.date, 1, length(?)) <= ?")
        params.extend([filters.until, filters.until])
    for key, values in filters.where.items():
        if facet_field(key) == "country":  # 'Ghana', 'GHA' and 'GH' all mean GH
            from kb.ingest.enrich import countries

            values = tuple((c.code if (c := countries().lookup(v)) else v) for v in values)
        marks = ",".join("?" * len(values))
        clauses.append(f"EXISTS (SELECT 1 FROM facets f WHERE f.doc_id = d.doc_id AND f.field = ? AND f.value IN ({marks}))")
        params.append(facet_field(key))
        params.extend(values)
    rows = reader.query(f"SELECT d.doc_id FROM documents d WHERE {' AND '.join(clauses)}", params)
    return {r[0] for r in rows}


# -- retrievers --------------------------------------------------------------------------------------

def dense_chunks(reader: IndexReader, query_vector: np.ndarray, allowed: set[str] | None,
                 limit: int = CANDIDATE_CHUNKS) -> list[tuple[int, float]]:
    """[(chunk_id, cosine)] best first; inner product on normalised vectors = cosine.

    On an approximate (ivf) index the cosines are those of the 8-bit codes, within about 0.01.
    """
    import numpy as np

    index = reader.vectors
    if index.ntotal == 0:
        return []
    allowed_ids = None
    if allowed is not None:
        allowed_ids = np.asarray(reader.chunk_ids_of(allowed), dtype="int64")
        if not len(allowed_ids):
            return []
        limit = min(limit, len(allowed_ids))
    query = query_vector.reshape(1, -1).astype("float32")
    if not reader.exact:
        scores, ids = ann.search_ivf(index, reader.index_spec, query, limit, allowed_ids, reader.vectors_by_id)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]
    scores, ids = index.search(query, limit, allowed_ids)
    return [(int(i), float(s)) for i, s in zip(ids.tolist(), scores.tolist())]


def keyword_chunks(reader: IndexReader, terms: Sequence[str], allowed: set[str] | None,
                   limit: int = CANDIDATE_CHUNKS) -> list[tuple[int, float]]:
    """[(chunk_id, bm25)] best first; FTS5's bm25() is lower-is-better, so it is negated."""
    if not terms:
        return []
    w_title, w_heading, w_text = BM25_WEIGHTS
    # The best rows first, then their documents: joining inside would look up every matching row's
    # document (thousands for common words), not just the ones kept (~1.5 of ~6.5 ms on labour-docs).
    sql = (
        "SELECT t.rowid, t.score, c.doc_id FROM ("
        f"SELECT rowid, -bm25(chunks_fts, {w_title}, {w_heading}, {w_text}) AS score FROM chunks_fts "
        "WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, ?, ?, ?) LIMIT ?"
        ") t JOIN chunks c ON c.chunk_id = t.rowid ORDER BY t.score DESC, t.rowid"
    )
    # Without filters, fetch just enough; with them, fetch more and filter (documents rarely number millions).
    fetch = limit if allowed is None else limit * 10
    rows = reader.query(sql, (fts_query(terms), w_title, w_heading, w_text, fetch))
    out = [(int(r[0]), float(r[1])) for r in rows if allowed is None or r[2] in allowed]
    return out[:limit]


# -- fusion and grouping -------------------------------------------------------------------------------

@dataclass
class _DocCandidate:
    doc_id: str
    score: float
    chunks: list[tuple[int, float]]  # (chunk_id, chunk-level fused score), best first


def _group(ranked: Sequence[tuple[int, float]], chunk_doc: Mapping[int, str]) -> dict[str, list[tuple[int, float]]]:
    groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for chunk_id, score in ranked:
        groups[chunk_doc[chunk_id]].append((chunk_id, score))
    return groups


def _convex(dense: Mapping[Any, float], keyword: Mapping[Any, float], ceiling: float) -> dict[Any, float]:
    """DENSE_WEIGHT x cosine + the rest x bm25 / ceiling; a key one retriever did not return scores 0 there."""
    fused: dict[Any, float] = defaultdict(float)
    for key, cosine in dense.items():
        fused[key] += DENSE_WEIGHT * max(0.0, cosine)
    for key, score in keyword.items():
        fused[key] += (1.0 - DENSE_WEIGHT) * (score / ceiling if ceiling > 0 else 0.0)
    return fused


def _minmax(scores: Mapping[Any, float]) -> dict[Any, float]:
    """Scores rescaled to [0, 1] within one list (best = 1, worst = 0)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {key: (value - low) / span if span > 0 else 1.0 for key, value in scores.items()}


def _passage_scores(dense: Mapping[int, float], keyword: Mapping[int, float]) -> dict[int, float]:
    """Chunk scores that order the passages of a hit: each retriever min-max rescaled over this query's
    candidates, then weighted as in fuse. Within one document every chunk shares the title's keyword
    score, so the rescaled differences tell its passages apart better than the fixed scale does (which
    put a near-empty contents page, carried by the title alone, above the passage that answers)."""
    fused: dict[int, float] = defaultdict(float)
    for scores, weight in ((dense, DENSE_WEIGHT), (keyword, 1.0 - DENSE_WEIGHT)):
        for key, value in _minmax(scores).items():
            fused[key] += weight * value
    return fused


def fuse(rankings: Sequence[Sequence[tuple[int, float]]], chunk_doc: Mapping[int, str],
         mode: str, keyword_ceiling: float = 0.0) -> list[_DocCandidate]:
    """Documents ranked by the evidence of their chunks.

    A document scores its best chunk. Single-retriever modes keep that retriever's own score. Hybrid
    mode (rankings = [dense, keyword]) sums the two scores with weights DENSE_WEIGHT and 1 - DENSE_WEIGHT,
    each on a scale that means the same for every query: the cosine as it is, and bm25 divided by the
    score of a full match for the query's words (`keyword_ceiling`, see keyword_ceiling()).

    Rescaling within each query (min-max) would give the best keyword hit full marks even when it only
    shares a common word with a question put in other words; here it keeps the low score it earned, and
    the meaning decides. Measured (benchmarks/relevance): labour-docs questions 0.79 -> 0.86 nDCG@10,
    reworded ones 0.44 -> 0.68; SciFact 0.742 -> 0.732. A hit's passages are ordered by _passage_scores.
    """
    if len(rankings) == 1:
        groups = _group(rankings[0], chunk_doc)
        docs = [_DocCandidate(d, chunks[0][1], chunks) for d, chunks in groups.items()]
        return sorted(docs, key=lambda c: -c.score)
    dense, keyword = rankings
    doc_best = [{d: chunks[0][1] for d, chunks in _group(ranked, chunk_doc).items()} for ranked in (dense, keyword)]
    doc_scores = _convex(*doc_best, keyword_ceiling)
    chunk_scores = _passage_scores(dict(dense), dict(keyword))
    groups = _group(sorted(chunk_scores.items(), key=lambda kv: -kv[1]), chunk_doc)
    docs = [_DocCandidate(d, s, groups[d]) for d, s in doc_scores.items()]
    return sorted(docs, key=lambda c: (-c.score, c.doc_id))


# -- snippets ----------------------------------------------------------------------------------------

def highlight_spans(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """[start, end) offsets of words in text whose stem is one of the query's stems.

    Only words that begin like a stem are stemmed (a stem keeps its word's first letters), so a
    passage of a hundred words costs a regex scan and a few stemmer calls, not a hundred.
    """
    stems = {s for s in stems if s}  # "s" (of "people's") stems to nothing: not a word to mark
    if not stems:
        return []
    return [(m.start(), m.end()) for m in _candidates(frozenset(stems)).finditer(text) if stem(m.group(0)) in stems]


@lru_cache(maxsize=1024)
def _candidates(stems: frozenset[str]) -> re.Pattern[str]:
    """Words that start with a stem's first letters: two of a short stem ("toys" -> "toi"), three of a longer one."""
    prefixes = sorted({s[:2] if len(s) <= 3 else s[:3] for s in stems})
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE)


def _window(text: str, spans: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The [start, end) window of at most `size` chars holding the most distinct matched words."""
    if len(text) <= size:
        return 0, len(text)
    best, best_start = -1, 0
    for i, (start, _) in enumerate(spans):
        begin = max(0, start - size // 4)
        words = {text[s:e].lower() for s, e in spans[i:] if e <= begin + size}
        if len(words) > best:
            best, best_start = len(words), begin
    if best < 0:
        best_start = 0
    return best_start, min(len(text), best_start + size)


def make_snippet(text: str, stems: set[str], size: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A short excerpt of text around the query's words, with highlight offsets."""
    spans = highlight_spans(text, stems)
    start, end = _window(text, spans, size)
    # Snap to word boundaries so a snippet never starts or ends inside a word.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[start:end].strip()
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    shift = len(prefix) - start - lead
    marks = tuple((s + shift, e + shift) for s, e in spans if s >= start + lead and e <= start + lead + len(body))
    return prefix + body + suffix, marks


# -- the whole search ----------------------------------------------------------------------------------

def facet_counts(reader: IndexReader, doc_ids: Sequence[str] | None) -> dict[str, dict[str, int]]:
    """{facet: {value: number of documents}} over the given documents (None: the whole index)."""
    counts: dict[str, dict[str, int]] = {f: {} for f in FACET_FIELDS}
    fields = ",".join("?" * len(FACET_FIELDS))
    if doc_ids is None:
        parts: list[list[str] | None] = [None]
    else:
        ids = list(doc_ids)
        parts = [ids[start:start + 500] for start in range(0, len(ids), 500)]
    for part in parts:
        where = "" if part is None else f"doc_id IN ({','.join('?' * len(part))}) AND "
        rows = reader.query(
            f"SELECT field, value, count(DISTINCT doc_id) FROM facets WHERE {where}field IN ({fields}) GROUP BY field, value",
            [*(part or []), *FACET_FIELDS],
        )
        for field_name, value, n in rows:
            counts[field_name][value] = counts[field_name].get(value, 0) + n
    return {f: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for f, v in counts.items() if v}


def _passages(reader: IndexReader, top: Sequence[_DocCandidate], stems: set[str]) -> list[tuple[Passage, ...]]:
    """The passages shown for each hit, each cut around the query's words (or from its start when the
    match is by meaning alone: embedding its sentences to find the closest would cost more than the
    whole rest of the search)."""
    chunks = reader.chunks(chunk_id for c in top for chunk_id, _ in c.chunks[:PASSAGE_POOL])
    out = []
    for candidate in top:
        ranked = [(chunk_id, score) for chunk_id, score in candidate.chunks[:PASSAGE_POOL] if chunk_id in chunks]
        # A "Contents" line or a running footer can score high on its title alone and says nothing.
        telling = [(c, s) for c, s in ranked if len(chunks[c].text.split()) >= MIN_PASSAGE_WORDS]
        passages = []
        for chunk_id, score in telling[:PASSAGES_PER_HIT] or ranked[:1]:
            chunk = chunks[chunk_id]
            snippet, marks = make_snippet(chunk.text, stems)
            passages.append(Passage(
                chunk_id=chunk_id, snippet=snippet, highlights=marks, score=round(score, 6),
                page=chunk.page, page_label=chunk.page_label, heading_path=chunk.heading_path,
            ))
        out.append(tuple(passages))
    return out


@dataclass
class _Retrieved:
    docs: list[_DocCandidate]
    cosine: dict[int, float]
    query_vector: np.ndarray | None
    terms: list[str]


def retrieve(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters,
             encode: Callable[[list[str]], np.ndarray] | None) -> _Retrieved:
    """Candidate documents for a query, best first, with the chunks that put them there."""
    if mode not in MODES:
        raise QueryError(f"Unknown mode {mode!r}; use one of: {', '.join(MODES)}.")
    terms = query_terms(query)
    allowed = allowed_documents(reader, filters)
    limit = max(CANDIDATE_CHUNKS, 3 * k)
    query_vector = None
    rankings: list[list[tuple[int, float]]] = []
    cosine: dict[int, float] = {}
    if mode in ("dense", "hybrid"):
        if encode is None:
            raise QueryError(f"mode {mode!r} needs the embedding model")
        query_vector = encode([query])[0]
        dense = dense_chunks(reader, query_vector, allowed, limit)
        cosine = dict(dense)
        rankings.append(dense)
    if mode in ("keyword", "hybrid"):
        rankings.append(keyword_chunks(reader, terms, allowed, limit))
    chunk_doc = reader.chunk_documents({c for ranked in rankings for c, _ in ranked})
    rankings = [[(c, s) for c, s in ranked if c in chunk_doc] for ranked in rankings]
    ceiling = keyword_ceiling(reader, terms) if mode == "hybrid" else 0.0
    return _Retrieved(fuse(rankings, chunk_doc, mode, ceiling), cosine, query_vector, terms)


def similar_documents(reader: IndexReader, doc_id: str, *, k: int, filters: Filters) -> SearchResult:
    """Documents closest to one document: its chunk vectors averaged into one query vector."""
    import numpy as np

    started = time.perf_counter()
    source = reader.document(doc_id)
    ids = reader.chunk_ids_of([doc_id])
    if not ids:
        return SearchResult(query=f"similar:{doc_id}", mode="dense", k=k, hits=(), confident=False, facets={}, took_ms=0.0)
    vectors = reader.vectors_by_id(ids)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    allowed = allowed_documents(reader, filters)
    allowed = (allowed if allowed is not None else {d.doc_id for d in reader.all_documents()}) - {doc_id}
    dense = dense_chunks(reader, centroid, allowed, max(CANDIDATE_CHUNKS, 3 * k))
    chunk_doc = reader.chunk_documents(c for c, _ in dense)
    docs = fuse([[(c, s) for c, s in dense if c in chunk_doc]], chunk_doc, "dense")[:k]
    documents = reader.documents(c.doc_id for c in docs)
    hits = tuple(
        Hit(doc_id=d.doc_id, title=d.title, type=d.type, date=d.date, language=d.language, source=d.source,
            score=round(c.score, 6), score_kind="cosine", passages=passages, metadata=d.metadata)
        for c, passages in zip(docs, _passages(reader, docs, set())) if (d := documents[c.doc_id])
    )
    return SearchResult(
        query=f"similar:{source.doc_id}", mode="dense", k=k, hits=hits, confident=bool(hits),
        facets=facet_counts(reader, [c.doc_id for c in docs]),
        took_ms=round((time.perf_counter() - started) * 1000, 1), filters=_filters_dict(filters),
    )


def rank_documents(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters,
                   encode: Callable[[list[str]], np.ndarray] | None) -> list[str]:
    """Just the ids of the k best documents (no snippets): what an evaluation needs."""
    found = retrieve(reader, query, k=k, mode=mode, filters=filters, encode=encode)
    return [c.doc_id for c in found.docs[:k]]


def run_search(reader: IndexReader, query: str, *, k: int, mode: str, filters: Filters,
               encode: Callable[[list[str]], np.ndarray] | None) -> SearchResult:
    """One query against one snapshot. `encode` embeds text (needed by dense and hybrid modes)."""
    started = time.perf_counter()
    found = retrieve(reader, query, k=k, mode=mode, filters=filters, encode=encode)
    top = found.docs[:k]
    documents = reader.documents(c.doc_id for c in top)

    stems = {stem(t) for t in found.terms}
    hits = []
    for candidate, passages in zip(top, _passages(reader, top, stems)):
        doc: Document = documents[candidate.doc_id]
        hits.append(Hit(
            doc_id=doc.doc_id, title=doc.title, type=doc.type, date=doc.date, language=doc.language,
            source=doc.source, score=round(candidate.score, 6),
            score_kind={"dense": "cosine", "keyword": "bm25", "hybrid": FUSION_SCORE_KIND}[mode],
            passages=passages, metadata=doc.metadata,
        ))
    if found.cosine:
        best = max((found.cosine.get(p.chunk_id, 0.0) for h in hits for p in h.passages), default=0.0)
        confident = best >= CONFIDENCE_THRESHOLD
    else:
        confident = bool(hits)
    return SearchResult(
        query=query, mode=mode, k=k, hits=tuple(hits), confident=confident,
        facets=facet_counts(reader, [c.doc_id for c in found.docs]),
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        filters=_filters_dict(filters),
    )


def _filters_dict(filters: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if filters.types:
        out["type"] = list(filters.types)
    if filters.languages:
        out["language"] = list(filters.languages)
    if filters.since:
        out["since"] = filters.since
    if filters.until:
        out["until"] = filters.until
    for key, values in filters.where.items():
        out[facet_field(key)] = list(values)
    return out
