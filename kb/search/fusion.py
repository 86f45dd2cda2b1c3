"""Hybrid fusion: the dense and keyword retrievers' chunk scores combined into one ranking of documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter

from kb.search.grouping import DocCandidate, group

# Hybrid fusion: weight of the dense retriever's score (keyword gets the rest), both on a scale that means
# the same for every query (see fuse).
DENSE_WEIGHT = 0.5
# The keyword side of the hybrid is bm25 / (KEYWORD_CEILING x the query terms' summed IDF), counted only above
# KEYWORD_FLOOR. The keyword engine's bm25 never exceeds (k1 + 1) = 2.2 x that sum, so it stays below 1.1.
# A chunk that shares one common word with a question put in other words scores under the floor: nothing.
# Chosen on a small grid by the tuning half of SciFact's test queries, the labour-docs and the corpus/
# questions (sha256 of the query id, even first byte); the odd half was held out (benchmarks/fusion_lab.py).
KEYWORD_CEILING = 2.0
KEYWORD_FLOOR = 0.1
FUSION_SCORE_KIND = "hybrid"


def keyword_ceiling(idf_sum: float) -> float:
    """What the hybrid divides a bm25 score by: KEYWORD_CEILING x the query terms' summed IDF (as the keyword
    engine's bm25 computes it). A chunk that matches only the query's commonest word thus scores low, however
    far it is ahead of the other keyword candidates."""
    return KEYWORD_CEILING * idf_sum


def _chunk_hybrid(dense: Mapping[int, float], keyword: Mapping[int, float], ceiling: float) -> dict[int, float]:
    """Each candidate chunk's DENSE_WEIGHT x cosine + the rest x (bm25 / ceiling - KEYWORD_FLOOR, at least 0);
    a chunk one retriever did not return scores 0 there (a negative cosine counts as 0, not against)."""
    fused = {chunk_id: DENSE_WEIGHT * cosine if cosine > 0 else 0.0 for chunk_id, cosine in dense.items()}
    weight = (1.0 - DENSE_WEIGHT) / ceiling if ceiling > 0 else 0.0
    floor = KEYWORD_FLOOR * ceiling  # bm25 - floor = ceiling x (bm25 / ceiling - KEYWORD_FLOOR)
    for chunk_id, score in keyword.items():
        above = score - floor
        fused[chunk_id] = fused.get(chunk_id, 0.0) + (weight * above if above > 0 else 0.0)
    return fused


def _passage_scores(dense: Mapping[int, float], keyword: Mapping[int, float]) -> dict[int, float]:
    """Chunk scores that order the passages of a hit: each retriever min-max rescaled over this query's
    candidates, then weighted as in fuse. Within one document every chunk shares the title's keyword
    score, so the rescaled differences tell its passages apart better than the fixed scale does (which
    put a near-empty contents page, carried by the title alone, above the passage that answers)."""
    fused: dict[int, float] = {}
    get = fused.get
    for scores, weight in ((dense, DENSE_WEIGHT), (keyword, 1.0 - DENSE_WEIGHT)):
        if not scores:
            continue
        low, high = min(scores.values()), max(scores.values())
        span = high - low
        if span > 0:  # as _minmax rescales, inline: the dearest loop of fusion
            for key, value in scores.items():
                fused[key] = get(key, 0.0) + weight * ((value - low) / span)
        else:
            for key in scores:
                fused[key] = get(key, 0.0) + weight * 1.0
    return fused


def fuse(rankings: Sequence[Sequence[tuple[int, float]]], chunk_doc: Mapping[int, str],
         mode: str, ceiling: float = 0.0) -> list[DocCandidate]:
    """Documents ranked by the evidence of their chunks.

    A document scores its best chunk. Single-retriever modes keep that retriever's own score. Hybrid
    mode (rankings = [dense, keyword]) scores each chunk by both retrievers, weights DENSE_WEIGHT and
    1 - DENSE_WEIGHT, each on a scale that means the same for every query: the cosine as it is, and bm25
    divided by a multiple of a full match's score for the query's words (`ceiling`, see keyword_ceiling()),
    less KEYWORD_FLOOR. The best chunk is the one that holds the meaning and the words together; summing the
    best cosine of one chunk and the best bm25 of another rewarded a long document for a word anywhere.

    Rescaling within each query (min-max) would give the best keyword hit full marks even when it only
    shares a common word with a question put in other words; here it keeps the low score it earned (under
    the floor: none), and the meaning decides. Measured (benchmarks/results/relevance.md, held-out half):
    SciFact 0.756 -> 0.766 nDCG@10, labour-docs 0.887 -> 0.891, corpus/ 0.984 -> 0.984 against the
    document-level sum before. A hit's passages are ordered by _passage_scores.
    """
    if len(rankings) == 1:
        groups = group(rankings[0], chunk_doc)
        docs = [DocCandidate(d, chunks[0][1], tuple(chunks)) for d, chunks in groups.items()]
        return sorted(docs, key=lambda c: -c.score)
    dense, keyword = dict(rankings[0]), dict(rankings[1])
    hybrid = _chunk_hybrid(dense, keyword, ceiling)
    # Each document's chunks best first and its best hybrid score, in one pass over all the chunks sorted once (sorting
    # each document's own list, ~75 sorts a search, gives the same lists; a second pass over the chunks for the scores
    # looked each one's document up again); sorted(reverse=True) keeps equal scores in the order given.
    chunks: dict[str, list[tuple[int, float]]] = {}
    best: dict[str, float] = {}
    for pair in sorted(_passage_scores(dense, keyword).items(), key=itemgetter(1), reverse=True):
        doc_id, score = chunk_doc[pair[0]], hybrid[pair[0]]
        if doc_id in chunks:
            chunks[doc_id].append(pair)
            if score > best[doc_id]:
                best[doc_id] = score
        else:
            chunks[doc_id], best[doc_id] = [pair], score
    # The documents by score, ties by doc id: sorted by id, then stably by score (no key tuples).
    ranked = sorted(sorted(best.items()), key=itemgetter(1), reverse=True)
    return [DocCandidate(d, s, tuple(chunks[d])) for d, s in ranked]
