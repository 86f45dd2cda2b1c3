"""Hybrid fusion: the dense and keyword retrievers' chunk scores combined into one ranking of documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from kb.search.grouping import DocCandidate, group

# Hybrid fusion: weight of the dense retriever's score (keyword gets the rest), both on a 0-1 scale
# that means the same for every query (see fuse).
DENSE_WEIGHT = 0.5
# The keyword side of the hybrid is bm25 / (KEYWORD_CEILING x the query terms' summed IDF). FTS5's bm25
# never exceeds (k1 + 1) = 2.2 x that sum, so the keyword score stays below 2/3 and the cosine weighs more.
# Chosen with DENSE_WEIGHT on a small grid by the even half of SciFact's test queries and the labour-docs
# questions (benchmarks/relevance.py); the odd half of SciFact and the corpus/ questions were held out.
KEYWORD_CEILING = 3.3
FUSION_SCORE_KIND = "hybrid"


def keyword_ceiling(idf_sum: float) -> float:
    """What the hybrid divides a bm25 score by: KEYWORD_CEILING x the query terms' summed IDF (as the keyword
    engine's bm25 computes it). A chunk that matches only the query's commonest word thus scores low, however
    far it is ahead of the other keyword candidates."""
    return KEYWORD_CEILING * idf_sum


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
         mode: str, ceiling: float = 0.0) -> list[DocCandidate]:
    """Documents ranked by the evidence of their chunks.

    A document scores its best chunk. Single-retriever modes keep that retriever's own score. Hybrid
    mode (rankings = [dense, keyword]) sums the two scores with weights DENSE_WEIGHT and 1 - DENSE_WEIGHT,
    each on a scale that means the same for every query: the cosine as it is, and bm25 divided by the
    score of a full match for the query's words (`ceiling`, see keyword_ceiling()).

    Rescaling within each query (min-max) would give the best keyword hit full marks even when it only
    shares a common word with a question put in other words; here it keeps the low score it earned, and
    the meaning decides. Measured (benchmarks/relevance): labour-docs questions 0.79 -> 0.86 nDCG@10,
    reworded ones 0.44 -> 0.68; SciFact 0.742 -> 0.732. A hit's passages are ordered by _passage_scores.
    """
    if len(rankings) == 1:
        groups = group(rankings[0], chunk_doc)
        docs = [DocCandidate(d, chunks[0][1], tuple(chunks)) for d, chunks in groups.items()]
        return sorted(docs, key=lambda c: -c.score)
    dense, keyword = rankings
    dense_best, keyword_best = ({d: chunks[0][1] for d, chunks in group(ranked, chunk_doc).items()}
                                for ranked in (dense, keyword))
    doc_scores = _convex(dense_best, keyword_best, ceiling)
    chunk_scores = _passage_scores(dict(dense), dict(keyword))
    groups = group(sorted(chunk_scores.items(), key=lambda kv: -kv[1]), chunk_doc)
    docs = [DocCandidate(d, s, tuple(groups[d])) for d, s in doc_scores.items()]
    return sorted(docs, key=lambda c: (-c.score, c.doc_id))
