"""Chunks to documents: a document's candidate chunks, and which of them a hit shows as its passages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kb.records import Chunk, Passage
from kb.search.snippets import make_snippet

PASSAGES_PER_HIT = 2
# A hit shows its best passages of at least MIN_PASSAGE_WORDS words among its PASSAGE_POOL best chunks
# (a shorter one only when it has nothing else).
MIN_PASSAGE_WORDS = 8
PASSAGE_POOL = 6


@dataclass(frozen=True)
class DocCandidate:
    """A document a query found: its score and its chunks as (chunk_id, chunk score), best first."""

    doc_id: str
    score: float
    chunks: tuple[tuple[int, float], ...]


def group(ranked: Iterable[tuple[int, float]], chunk_doc: Mapping[int, str]) -> dict[str, list[tuple[int, float]]]:
    """Ranked (chunk_id, score) pairs gathered by document, each document's in the order given."""
    groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for chunk_id, score in ranked:
        groups[chunk_doc[chunk_id]].append((chunk_id, score))
    return groups


def passage_pool(candidates: Iterable[DocCandidate]) -> list[int]:
    """The chunk ids the passages of these hits are chosen from: each one's PASSAGE_POOL best."""
    return [chunk_id for candidate in candidates for chunk_id, _ in candidate.chunks[:PASSAGE_POOL]]


def choose_passages(ranked: Sequence[tuple[int, float]], chunks: Mapping[int, Chunk]) -> list[tuple[int, float]]:
    """The (chunk_id, score) pairs a hit shows: its best PASSAGES_PER_HIT of MIN_PASSAGE_WORDS words or more
    among its PASSAGE_POOL best chunks, or its best chunk when none is that long."""
    pool = [(chunk_id, score) for chunk_id, score in ranked[:PASSAGE_POOL] if chunk_id in chunks]
    # A "Contents" line or a running footer can score high on its title alone and says nothing.
    # (Split at most MIN_PASSAGE_WORDS times: enough to tell, without cutting a long chunk into all its words.)
    telling = [(c, s) for c, s in pool if len(chunks[c].text.split(None, MIN_PASSAGE_WORDS)) >= MIN_PASSAGE_WORDS]
    return telling[:PASSAGES_PER_HIT] or pool[:1]


def hit_passages(candidate: DocCandidate, chunks: Mapping[int, Chunk], stems: set[str]) -> tuple[Passage, ...]:
    """The passages shown for one hit, each cut around the query's words (or from its start when the
    match is by meaning alone: embedding its sentences to find the closest would cost more than the
    whole rest of the search)."""
    passages = []
    for chunk_id, score in choose_passages(candidate.chunks, chunks):
        chunk = chunks[chunk_id]
        snippet, marks = make_snippet(chunk.text, stems)
        passages.append(Passage(
            chunk_id=chunk_id, snippet=snippet, highlights=marks, score=round(score, 6),
            page=chunk.page, page_label=chunk.page_label, heading_path=chunk.heading_path,
        ))
    return tuple(passages)
