"""Search is pure ranking over the index's typed methods: fusion, grouping, snippets, facets (query.py runs them)."""

from __future__ import annotations

from kb.search.confidence import CONFIDENCE_THRESHOLD
from kb.search.fusion import DENSE_WEIGHT, KEYWORD_CEILING
from kb.search.query import (
    CANDIDATE_CHUNKS,
    allowed_documents,
    facet_counts,
    rank_documents,
    retrieve,
    run_search,
    similar_documents,
)

__all__ = [
    "CANDIDATE_CHUNKS", "CONFIDENCE_THRESHOLD", "DENSE_WEIGHT", "KEYWORD_CEILING", "allowed_documents",
    "facet_counts", "rank_documents", "retrieve", "run_search", "similar_documents",
]
