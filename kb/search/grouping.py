"""Chunks to documents: a document's candidate chunks, and which of them a hit shows as its passages."""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from kb.records import Chunk, Passage
from kb.search.backmatter import is_back_matter
from kb.search.frontmatter import is_front_matter
from kb.search.snippets import make_snippet, stems_held

_WORD = re.compile(r"\w+")
# In an ASCII text the \w+ words are what str.split finds once every other character is a space; the regex looks up
# each character's Unicode type (same_passage's words, labour-docs' 177 questions: 1.81 -> 0.99 M instructions a search).
_NOT_WORD = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")})

PASSAGES_PER_HIT = 2
# A hit shows its best passages of at least MIN_PASSAGE_WORDS words among its PASSAGE_POOL best chunks
# (a shorter one only when it has nothing else).
MIN_PASSAGE_WORDS = 8
PASSAGE_POOL = 6
# When a hit's PASSAGE_POOL best chunks are all front or back matter or scraps, up to FURTHER_POOLS times as many are
# looked at.
FURTHER_POOLS = 3
# Two passages show the same text when they share a run of SHARED_RUN words (a sentence seen twice: what the
# overlap of two neighbouring chunk windows shows), or when the shorter one's words are all in the other.
SHARED_RUN = 8
# Every chunk is embedded and keyword-indexed with its document's title, so a short chunk can score on the title alone
# (a treaty's signature block, "What RPL is not"). Among a hit's candidate passages, each counts its score over the
# best one's plus HELD_WEIGHT x the share of the question's IDF weight its own text holds: a passage that holds the
# question's words goes before one up to a quarter lower that holds none of them; and after one that holds
# HOLDING_SHARE of the weight or more, a passage that holds none is not shown beside it.
HELD_WEIGHT = 0.25
HOLDING_SHARE = 0.5


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


def further_pool(candidates: Iterable[DocCandidate], chunks: Mapping[int, Chunk],
                 wanted: frozenset[str] = frozenset()) -> list[int]:
    """More chunk ids for the hits whose pool (in `chunks`) holds nothing worth showing, only front or back
    matter or scraps, or no passage that holds one of the question's stems (`wanted`): their next
    PASSAGE_POOL * (FURTHER_POOLS - 1) candidates, so a title page or a reference list is shown only when the query
    found nothing else in its document, and a passage with the question's words is looked for a little further."""
    out: list[int] = []
    for candidate in candidates:
        pool = (chunks[c] for c, _ in candidate.chunks[:PASSAGE_POOL] if c in chunks)
        shown = (chunk for chunk in pool if _telling(chunk) and not is_aside(chunk, chunks))  # judged until one will do
        if not any(not wanted or stems_held(chunk.text, wanted) for chunk in shown):
            out += [chunk_id for chunk_id, _ in candidate.chunks[PASSAGE_POOL:PASSAGE_POOL * FURTHER_POOLS]]
    return out


def _offered(candidate: DocCandidate, chunks: Mapping[int, Chunk], wanted: frozenset[str]) -> Iterator[tuple[int, float]]:
    """What passage_order offers, then, when none of it held one of the question's stems, the telling chunks of the
    further pool (read by the caller: further_pool) that are not front or back matter; best first, as they are
    judged (held_first asks only for as many as could still come first)."""
    seen, held = set(), False
    for chunk_id, score in passage_order(candidate.chunks, chunks):
        seen.add(chunk_id)
        held = held or bool(stems_held(chunks[chunk_id].text, wanted))  # asked until one holds: held_first asks it too
        yield chunk_id, score
    if not held:
        for chunk_id, score in candidate.chunks[PASSAGE_POOL:PASSAGE_POOL * FURTHER_POOLS]:
            chunk = chunks.get(chunk_id)
            if chunk is not None and chunk_id not in seen and _telling(chunk) and not is_aside(chunk, chunks):
                yield chunk_id, score


def _telling(chunk: Chunk) -> bool:
    # A "Contents" line or a running footer can score high on its title alone and says nothing.
    # (Split at most MIN_PASSAGE_WORDS times: enough to tell, without cutting a long chunk into all its words.)
    return len(chunk.text.split(None, MIN_PASSAGE_WORDS)) >= MIN_PASSAGE_WORDS


def is_aside(chunk: Chunk, chunks: Mapping[int, Chunk] | None = None) -> bool:
    """Whether a chunk names or points at its document rather than saying anything: front matter (title page,
    contents, imprint) or back matter (references, endnotes, sources, an index; `chunks`: those read with it, which
    tell a reference list that runs on from the chunks before)."""
    return is_front_matter(chunk) or is_back_matter(chunk, chunks)


def passage_order(ranked: Sequence[tuple[int, float]], chunks: Mapping[int, Chunk]) -> Iterator[tuple[int, float]]:
    """A hit's candidate (chunk_id, score) pairs in the order they are offered as passages: chunks of
    MIN_PASSAGE_WORDS or more words that are neither front nor back matter, best first, from its PASSAGE_POOL
    best (or, when those hold none, from the further pool); failing those its front and back matter (a question
    about a report's sources gets its reference list when nothing else matched); else its best chunk.
    Only chunks in `chunks` count. Yielded as they are judged: telling front and back matter from the text is
    the dearest step of choosing passages, and a hit that has its passages leaves the rest of its pool unjudged."""
    pool = [(c, s) for c, s in ranked[:PASSAGE_POOL] if c in chunks]
    asides: list[tuple[int, float]] = []  # each chunk is judged once
    shown = False
    for c, s in pool:
        if not _telling(chunks[c]):
            continue
        if is_aside(chunks[c], chunks):
            asides.append((c, s))
        else:
            shown = True
            yield c, s
    if shown:
        return
    for c, s in ranked[PASSAGE_POOL:PASSAGE_POOL * FURTHER_POOLS]:
        if c in chunks and _telling(chunks[c]) and not is_aside(chunks[c], chunks):
            shown = True
            yield c, s
    if not shown:
        yield from asides or pool[:1]


def choose_passages(ranked: Sequence[tuple[int, float]], chunks: Mapping[int, Chunk]) -> list[tuple[int, float]]:
    """The (chunk_id, score) pairs a hit would show before duplicates are dropped: its PASSAGES_PER_HIT first."""
    return list(islice(passage_order(ranked, chunks), PASSAGES_PER_HIT))


def hit_passages(candidate: DocCandidate, chunks: Mapping[int, Chunk], stems: set[str],
                 language: str | None = None, phrases: Sequence[Sequence[str]] = (),
                 weights: Mapping[str, float] | None = None, terms: Sequence[str] = (),
                 asked_in: str | None = None) -> tuple[Passage, ...]:
    """The passages shown for one hit, each cut around the query's words (or from its start when the
    match is by meaning alone: embedding its sentences to find the closest would cost more than the
    whole rest of the search). A passage that shows what an earlier one shows (the same text, or the
    overlap of two neighbouring chunk windows) is left out for the next one. `weights`: the question's stems and
    their IDF weights, to put passages that hold them first (held_first); not with quoted `phrases`, whose
    passages come first already (kb/search/phrases.py). `terms`: the question's words, which highlights mark
    (`asked_in`: the question's language)."""
    passages: list[Passage] = []
    order = passage_order(candidate.chunks, chunks)
    if weights and not phrases:
        order = held_first(_offered(candidate, chunks, frozenset(weights)), chunks, weights)
    for chunk_id, score in order:
        if len(passages) == PASSAGES_PER_HIT:
            break
        chunk = chunks[chunk_id]
        snippet, marks = make_snippet(chunk.text, stems, language=language, phrases=phrases, terms=terms,  # the document's language
                                      asked_in=asked_in)
        if any(same_passage(snippet, shown.snippet) for shown in passages):
            continue
        passages.append(Passage(
            chunk_id=chunk_id, snippet=snippet, highlights=marks, score=round(score, 6),
            page=chunk.page, page_label=chunk.page_label, heading_path=chunk.heading_path,
        ))
    return tuple(passages)


def held_first(offered: Iterable[tuple[int, float]], chunks: Mapping[int, Chunk],
               weights: Mapping[str, float]) -> Iterator[tuple[int, float]]:
    """The (chunk_id, score) pairs a hit offers as passages (best score first), reordered by score over the best score
    plus HELD_WEIGHT x the share of `weights` (stem -> IDF) the chunk's own text holds (ties in the order offered);
    after one that holds HOLDING_SHARE of the weight or more, none that holds no stem at all (a treaty's signature block
    in another language says nothing of the question). An offer is taken, judged and measured only while its score
    could still put it first (its score + HELD_WEIGHT reaches the best measured): most hits need two or three."""
    wanted, total = frozenset(weights), sum(weights.values()) or 1.0
    pending = iter(offered)
    upcoming = next(pending, None)
    scale = 1.0 / upcoming[1] if upcoming and upcoming[1] > 0 else 1.0
    measured: list[tuple[float, int, float, tuple[int, float]]] = []  # a heap of (-rank, position offered, share, offer)
    position, most = 0, False
    while upcoming is not None or measured:
        while upcoming is not None and (not measured or upcoming[1] * scale + HELD_WEIGHT >= -measured[0][0]):
            share = sum(weights[s] for s in stems_held(chunks[upcoming[0]].text, wanted)) / total
            heapq.heappush(measured, (-(upcoming[1] * scale + HELD_WEIGHT * share), position, share, upcoming))
            position += 1
            upcoming = next(pending, None)
        _, _, share, offer = heapq.heappop(measured)
        if share or not most:
            most = most or share >= HOLDING_SHARE
            yield offer


def same_passage(a: str, b: str) -> bool:
    """Whether two snippets show the same text to a reader: a run of SHARED_RUN words in both, or the
    shorter one's words, in order, inside the other's."""
    wa, wb = _words(a), _words(b)
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(short) < SHARED_RUN:
        return f" {' '.join(short)} " in f" {' '.join(long_)} "
    # Most pairs share no run: told at once by the longest stretch of the shorter one's words that the longer one
    # holds at all, before every run of both is made.
    held, stretch = set(long_), 0
    for word in short:
        stretch = stretch + 1 if word in held else 0
        if stretch == SHARED_RUN:
            return not _runs(short).isdisjoint(_runs(long_))
    return False


def _words(snippet: str) -> list[str]:
    # Without the ellipses that mark a cut ("…", not a word character), three snippets in four are ASCII.
    low = snippet.strip("…").lower()
    return low.translate(_NOT_WORD).split() if low.isascii() else _WORD.findall(low)


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    # Every run of SHARED_RUN words, made by zip in C (a slice and a tuple a word made it the dearer half of the test).
    return set(zip(*(words[i:] for i in range(SHARED_RUN))))
