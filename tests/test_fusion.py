"""Hybrid fusion: scores on a scale that means the same for every query, so weak keyword evidence stays weak."""

from __future__ import annotations

import math

import pytest

from kb import KnowledgeBase, Settings
from kb.search import fusion as F
from kb.search.query import keyword_chunks


def _order(dense, keyword, ceiling):
    chunk_doc = {c: f"doc{c}" for c, _ in [*dense, *keyword]}
    return [d.doc_id for d in F.fuse([dense, keyword], chunk_doc, "hybrid", ceiling)]


def test_a_weak_keyword_match_does_not_outrank_a_clearly_closer_meaning():
    dense = [(1, 0.80), (2, 0.60), (3, 0.20)]
    # Chunk 2 is the only keyword hit, scoring a tenth of the divisor: min-max would have given it full marks
    # (0.5 x 0.67 + 0.5 x 1 = 0.83 against chunk 1's 0.5) and put it first.
    assert _order(dense, [(2, 1.0)], ceiling=10.0)[0] == "doc1"
    # A strong keyword hit wins.
    assert _order(dense, [(2, 6.0)], ceiling=10.0)[0] == "doc2"


def test_fused_scores_are_the_weighted_sum_with_the_keyword_floor():
    dense, keyword = [(1, 0.5)], [(1, 6.0), (2, 5.0), (3, 0.9)]
    docs = {d.doc_id: d.score for d in F.fuse([dense, keyword], {1: "a", 2: "b", 3: "c"}, "hybrid", 10.0)}
    assert docs["a"] == pytest.approx(F.DENSE_WEIGHT * 0.5 + (1 - F.DENSE_WEIGHT) * (0.6 - F.KEYWORD_FLOOR))
    assert docs["b"] == pytest.approx((1 - F.DENSE_WEIGHT) * (0.5 - F.KEYWORD_FLOOR))  # no dense candidate: 0 there
    assert docs["c"] == 0.0  # under the floor: the keyword side counts nothing


def test_a_document_scores_the_chunk_that_holds_meaning_and_words_together():
    # Document "long" has the closest chunk (1) and, elsewhere, the best keyword chunk (2); "short" has one chunk
    # with both. Summing the best of each across chunks put "long" first; per chunk, "short" wins.
    dense = [(1, 0.70), (3, 0.60)]
    keyword = [(2, 8.0), (3, 7.0)]
    order = [d.doc_id for d in F.fuse([dense, keyword], {1: "long", 2: "long", 3: "short"}, "hybrid", 10.0)]
    assert order == ["short", "long"]


def test_keyword_ceiling_is_the_summed_idf_fts5_uses(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(6):
        extra = " Beekeepers harvest honey." if n == 0 else ""
        (docs / f"note{n}.txt").write_text(f"Note {n}\n\nTraining for workers in sector {n}.{extra}", encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([docs])
    reader = kb.reader()
    chunks = reader.chunk_count
    assert chunks == 6

    def idf(found):
        return max(1e-6, math.log((chunks - found + 0.5) / (found + 0.5)))

    def ceiling(terms):
        return F.keyword_ceiling(reader.keyword.idf_sum(terms))

    assert ceiling(["honey"]) == pytest.approx(F.KEYWORD_CEILING * idf(1))
    assert ceiling(["honey", "training"]) == pytest.approx(F.KEYWORD_CEILING * (idf(1) + idf(6)))
    assert ceiling(["training"]) < ceiling(["honey"])  # a word in every chunk says little
    assert ceiling(["absent"]) == pytest.approx(F.KEYWORD_CEILING * idf(0))
    assert kb.search("honey", mode="hybrid").hits[0].doc_id == "note0.txt"  # the one note with the word
    # bm25 never exceeds 2.2 x the summed IDF, so the keyword side of the hybrid stays below 2.2 / KEYWORD_CEILING.
    for terms in (["honey"], ["honey", "beekeepers", "harvest"], ["training", "workers"]):
        best = max(score for _, score in keyword_chunks(reader, terms, None))
        assert 0 < best <= 2.2 / F.KEYWORD_CEILING * ceiling(terms)
