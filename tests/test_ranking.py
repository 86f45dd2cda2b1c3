"""Ranking without an index or a model: fusion, grouping, passage choice, snippets, facets and filters
on hand-made scores and chunks."""

from __future__ import annotations

import dataclasses

import pytest

from kb.records import Chunk, Filters, Passage
from kb.search import facets, filters, fusion, grouping, snippets
from kb.search.grouping import MIN_PASSAGE_WORDS, PASSAGE_POOL, PASSAGES_PER_HIT, DocCandidate

LONG = " ".join(["word"] * MIN_PASSAGE_WORDS)  # just long enough to be shown
SHORT = " ".join(["word"] * (MIN_PASSAGE_WORDS - 1))  # a "Contents" line


def _chunk(chunk_id: int, text: str = LONG, doc_id: str = "doc", **extra) -> Chunk:
    return Chunk(doc_id=doc_id, ordinal=chunk_id, text=text, n_tokens=len(text.split()), chunk_id=chunk_id, **extra)


# -- fusion ------------------------------------------------------------------------------------------

def test_passage_scores_rescale_each_retriever_best_one_worst_zero_then_weigh_them():
    dense, keyword = fusion.DENSE_WEIGHT, 1.0 - fusion.DENSE_WEIGHT
    assert fusion._passage_scores({2: 4.0, 3: 3.0, 1: 2.0}, {}) == {2: dense, 3: dense * 0.5, 1: 0.0}
    assert fusion._passage_scores({}, {1: 0.3, 2: 0.3}) == {1: keyword, 2: keyword}  # no spread: all count as best
    both = fusion._passage_scores({1: 0.9, 2: 0.5}, {2: 7.0, 3: 1.0})
    assert both == pytest.approx({1: dense, 2: keyword, 3: 0.0})
    assert fusion._passage_scores({}, {}) == {}


def test_keyword_ceiling_is_a_fixed_multiple_of_the_summed_idf():
    assert fusion.keyword_ceiling(2.0) == pytest.approx(fusion.KEYWORD_CEILING * 2.0)
    # bm25 never exceeds 2.2 x the summed IDF, so the keyword score of even a full match is at most 1.1.
    best_bm25 = 2.2 * 2.0
    assert best_bm25 / fusion.keyword_ceiling(2.0) == pytest.approx(2.2 / fusion.KEYWORD_CEILING)


def test_one_retriever_keeps_its_own_scores_and_a_document_scores_its_best_chunk():
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.7)]
    chunk_doc = {1: "a", 2: "b", 3: "a", 4: "c"}
    docs = fusion.fuse([ranked], chunk_doc, "dense")
    assert [(d.doc_id, d.score) for d in docs] == [("a", 0.9), ("b", 0.8), ("c", 0.7)]
    assert docs[0].chunks == ((1, 0.9), (3, 0.7))  # its chunks, best first


def test_single_retriever_ties_keep_the_retrievers_order():
    docs = fusion.fuse([[(5, 0.5), (1, 0.5)]], {5: "z", 1: "a"}, "keyword")
    assert [d.doc_id for d in docs] == ["z", "a"]


def test_hybrid_sums_the_cosine_and_the_bm25_over_the_ceiling():
    dense = [(1, 0.6), (2, -0.2)]
    keyword = [(2, 4.0), (3, 2.0)]
    docs = {d.doc_id: d.score for d in fusion.fuse([dense, keyword], {1: "a", 2: "b", 3: "c"}, "hybrid", 8.0)}
    w, floor = fusion.DENSE_WEIGHT, fusion.KEYWORD_FLOOR
    assert docs["a"] == pytest.approx(w * 0.6)  # no keyword candidate: 0 there
    assert docs["b"] == pytest.approx((1 - w) * (0.5 - floor))  # a negative cosine counts as 0, not against
    assert docs["c"] == pytest.approx((1 - w) * (0.25 - floor))


def test_hybrid_without_a_ceiling_counts_no_keyword_score():
    docs = fusion.fuse([[(1, 0.4)], [(2, 9.0)]], {1: "a", 2: "b"}, "hybrid", 0.0)
    assert [(d.doc_id, d.score) for d in docs] == [("a", pytest.approx(fusion.DENSE_WEIGHT * 0.4)), ("b", 0.0)]


def test_hybrid_ties_are_broken_by_document_id():
    docs = fusion.fuse([[(1, 0.5), (2, 0.5)], []], {1: "b", 2: "a"}, "hybrid", 1.0)
    assert [d.doc_id for d in docs] == ["a", "b"]


def test_hybrid_orders_a_documents_passages_by_scores_rescaled_within_the_query():
    # Chunk 1 is a contents page: close to nothing, carried by the title's keyword score that every chunk
    # of the document shares. Rescaled, the small keyword gap matters less than the large cosine gap.
    dense = [(2, 0.7), (3, 0.5), (1, 0.3)]
    keyword = [(1, 9.0), (2, 8.8), (3, 2.0)]
    chunk_doc = {1: "manual", 2: "manual", 3: "other"}
    manual = fusion.fuse([dense, keyword], chunk_doc, "hybrid", 30.0)[0]
    assert manual.doc_id == "manual"
    w = fusion.DENSE_WEIGHT
    assert [c for c, _ in manual.chunks] == [2, 1]
    assert manual.chunks[0][1] == pytest.approx(w * 1.0 + (1 - w) * 6.8 / 7.0)
    assert manual.chunks[1][1] == pytest.approx(w * 0.0 + (1 - w) * 1.0)
    # The document itself scores its best chunk on the fixed scale: chunk 2's cosine and bm25 / ceiling (above
    # the floor) beat chunk 1's keyword score alone.
    assert manual.score == pytest.approx(w * 0.7 + (1 - w) * (8.8 / 30.0 - fusion.KEYWORD_FLOOR))


# -- grouping and passage choice -----------------------------------------------------------------------

def test_grouping_keeps_each_documents_chunks_in_ranked_order():
    groups = grouping.group([(3, 0.9), (1, 0.8), (2, 0.7), (4, 0.1)], {1: "a", 2: "b", 3: "a", 4: "a"})
    assert groups == {"a": [(3, 0.9), (1, 0.8), (4, 0.1)], "b": [(2, 0.7)]}


def test_a_candidate_is_a_frozen_record():
    candidate = DocCandidate("a", 0.5, ((1, 0.5),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        candidate.score = 1.0  # type: ignore[misc]


def test_passages_skip_short_chunks_and_stop_at_the_per_hit_count():
    chunks = {1: _chunk(1, SHORT), 2: _chunk(2), 3: _chunk(3), 4: _chunk(4)}
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    assert PASSAGES_PER_HIT == 2
    assert grouping.choose_passages(ranked, chunks) == [(2, 0.8), (3, 0.7)]


def test_a_hit_with_only_short_chunks_shows_its_best_one():
    chunks = {1: _chunk(1, "Contents"), 2: _chunk(2, SHORT)}
    assert grouping.choose_passages([(2, 0.9), (1, 0.8)], chunks) == [(2, 0.9)]


def test_passages_come_from_the_pool_of_best_chunks_and_beyond_it_only_when_it_has_nothing_to_show():
    ranked = [(i, 1.0 - i / 10) for i in range(PASSAGE_POOL + 2)]
    chunks = {i: _chunk(i, SHORT if i < PASSAGE_POOL else LONG) for i, _ in ranked}
    pool = {i: c for i, c in chunks.items() if i < PASSAGE_POOL}
    # The long chunks rank below the pool: they are read (the further pool) because the pool holds only short ones.
    assert grouping.further_pool([DocCandidate("a", 1.0, tuple(ranked))], pool) == [PASSAGE_POOL, PASSAGE_POOL + 1]
    assert grouping.choose_passages(ranked, chunks) == ranked[PASSAGE_POOL:]
    assert grouping.choose_passages(ranked, pool) == [ranked[0]]  # nothing further found: the best short one
    assert grouping.passage_pool([DocCandidate("a", 1.0, tuple(ranked))]) == [i for i, _ in ranked[:PASSAGE_POOL]]


def test_a_chunk_the_index_did_not_return_is_not_shown():
    assert grouping.choose_passages([(7, 0.9), (2, 0.8)], {2: _chunk(2)}) == [(2, 0.8)]


def test_hit_passages_carry_the_snippet_its_highlights_and_where_it_is():
    text = "Apprentices learn a trade at work and at school, paid while they train."
    chunk = _chunk(4, text, page=3, page_label="iii", heading_path=("Guide", "Pay"))
    candidate = DocCandidate("guide", 0.9, ((4, 0.123456789),))
    (passage,) = grouping.hit_passages(candidate, {4: chunk}, {snippets.stem("trade")})
    assert passage == Passage(chunk_id=4, snippet=text, highlights=((20, 25),), score=0.123457,
                              page=3, page_label="iii", heading_path=("Guide", "Pay"))
    assert passage.snippet[20:25] == "trade"


# -- snippets --------------------------------------------------------------------------------------

def test_query_terms_drop_stop_words_unless_nothing_else_is_left():
    terms = snippets.query_terms("What are the rights of Domestic workers, workers?")
    assert terms == ["rights", "domestic", "workers"]  # lowercased, each once
    assert snippets.query_terms("to be or not to be") == ["to", "be", "or", "not"]


def test_a_snippet_is_cut_around_the_query_words_at_word_boundaries():
    filler = " ".join(f"filler{i}" for i in range(80))
    text = f"{filler} Domestic workers are entitled to a weekly rest day. {filler}"
    snippet, marks = snippets.make_snippet(text, {snippets.stem("domestic"), snippets.stem("rest")})
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= snippets.SNIPPET_CHARS + 2
    assert [snippet[s:e] for s, e in marks] == ["Domestic", "rest"]
    body = snippet.strip("…")
    assert body.split()[0] in text.split() and body.split()[-1] in text.split()  # no word cut in two


def test_a_short_text_is_its_own_snippet():
    snippet, marks = snippets.make_snippet("Seafarers' annual leave.", {snippets.stem("leave")})
    assert snippet == "Seafarers' annual leave."
    assert [snippet[s:e] for s, e in marks] == ["leave"]


# -- facets, filters, confidence -------------------------------------------------------------------------

def test_facets_are_shown_in_field_order_commonest_value_first():
    counts = {"year": {"2021": 1, "2023": 4}, "country": {"KE": 2, "GH": 2, "BR": 5}, "type": {}, "author": {"x": 3}}
    shown = facets.ordered(counts)
    assert list(shown) == ["country", "year"]  # FACET_FIELDS order; empty and uncounted fields left out
    assert list(shown["country"].items()) == [("BR", 5), ("GH", 2), ("KE", 2)]  # ties by value
    assert list(shown["year"]) == ["2023", "2021"]


def test_filters_speak_the_indexs_terms():
    given = Filters(languages=("EN",), where={"countries": ("Ghana", "KEN", "Atlantis"), "Topics": ("skills",)})
    normal = filters.normalise(given)
    assert normal.languages == ("en",)
    assert dict(normal.where) == {"country": ("GH", "KE", "Atlantis"), "topic": ("skills",)}
    assert not filters.normalise(Filters())
    # A result reports the filters as they were asked for, under the facet names.
    assert filters.describe(given) == {"language": ["EN"], "country": ["Ghana", "KEN", "Atlantis"], "topic": ["skills"]}


