"""Whether a search found a confident match: the best passage's cosine similarity to the query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kb.records import Hit

# A best passage below this cosine similarity to the query is "no confident match". Calibrated on the
# corpus/ question set: the no-answer questions' best passages reached at most 0.39, the answerable
# ones' at least 0.42 (all-MiniLM-L6-v2); checked on the labour-docs questions in benchmarks/relevance.
CONFIDENCE_THRESHOLD = 0.40


def is_confident(hits: Sequence[Hit], cosine: Mapping[int, float]) -> bool:
    """True when a shown passage is at least CONFIDENCE_THRESHOLD close to the query (`cosine`: chunk id ->
    cosine of the dense candidates); without dense candidates (keyword mode), whenever there is a hit."""
    if not cosine:
        return bool(hits)
    best = max((cosine.get(p.chunk_id, 0.0) for h in hits for p in h.passages), default=0.0)
    return best >= CONFIDENCE_THRESHOLD
