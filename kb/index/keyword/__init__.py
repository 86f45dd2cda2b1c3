"""Keyword engines behind one protocol, one module per engine, one registry.

    fts5     SQLite's FTS5 with BM25, inside the snapshot's kb.sqlite (kb/index/keyword/fts5.py); English (Porter)
             analysis for every document and question
    tantivy  Tantivy's BM25 over immutable segments, in the snapshot's tantivy/ folder (kb/index/keyword/tantivy.py);
             each document analysed in its own language, a question in its own and English

The manifest names the engine a snapshot was written with. A new engine is a module offering
`create`, `writer` and `open_index` (the `KeywordEngine` protocol) plus one line in ENGINES.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol

from kb.errors import IndexMismatch
from kb.index.keyword import fts5, tantivy

# Runs one SQL statement on the snapshot's database and returns its rows (the reader's pooled connections).
Query = Callable[[str, Sequence[Any]], list[sqlite3.Row]]


class KeywordIndex(Protocol):
    """What a reader asks of a snapshot's keyword index."""

    def search(self, terms: Sequence[str], k: int, allowed: set[str] | None = None,
               languages: Sequence[str] = ("en",),
               alternatives: Sequence[tuple[str, Sequence[str]]] = (),
               names: Sequence[str] = (),
               about: Sequence[tuple[Collection[str], float]] = ()) -> list[tuple[int, float]]:
        """[(chunk_id, bm25)] of the k best chunks holding any of the terms, best first (higher is better), a new list
        of Python ints and floats; only chunks of the `allowed` documents when given. The terms are analysed in each of
        `languages` (kb/languages.py, the question's own first) and their tokens OR-ed; an engine of one analysis
        ignores it. `alternatives`: (words, names) pairs, names (each its words, space-separated) that stand for the
        words, of which a chunk scores the one it scores best on, as one term weighing no more than the words: a
        region's countries ("kazakhstan", …, "uzbekistan" for "central asia"), so that a list of every country's name
        does not outscore the report on one of them, nor a country's rare name the question's other words. `names`
        (a country's, as the question and the table write them) and the alternatives' names are analysed in every
        language the engine analyses: a name runs through documents of every language, and a Spanish document's
        analysis makes "colombi" of "Colombia", an English question's "colombia". `about`: (documents, score) pairs,
        each chunk of the documents scoring that much more (the documents whose metadata give a country the question
        names, as if each chunk held its name once: an Italian guide tagged Italia that never writes it); an engine
        without a document filter it can score ignores them."""
        ...

    def idf_sum(self, terms: Sequence[str], languages: Sequence[str] = ("en",)) -> float:
        """The terms' summed IDF as this engine's BM25 computes it, over the same tokens as search: the scale of a
        full match for them."""
        ...

    def holds(self, term: str, doc_ids: Collection[str], languages: Sequence[str] = ("en",)) -> bool:
        """Whether a chunk of one of these documents holds the term (analysed as search does): whether a document
        mentions a word anywhere, not only in its best passages."""
        ...

    def doc_freq(self, word: str, languages: Sequence[str] = ("en",)) -> int:
        """How many chunks hold the word (analysed as search does; the most of its tokens' counts)."""
        ...

    def begins_term(self, word: str, languages: Sequence[str] = ("en",)) -> bool | None:
        """Whether a token of the index begins with the word as typed, accents folded (a word still being typed; not
        its stem: "skils" stems as "skil", which begins "skill"); None when the engine cannot tell (then
        kb/search/spelling.py corrects nothing)."""
        ...

    def holding_all(self, words: Sequence[str], k: int, languages: Sequence[str] = ("en",)) -> list[int] | None:
        """The ids of the k best chunks (bm25) that hold every one of the words (each analysed as search does); None
        when no word has a token the index could hold (stop words only): nothing to narrow by."""
        ...

    def chunk_ids(self) -> set[int]:
        """Every chunk id the keyword index holds (for integrity checks)."""
        ...


class KeywordWriter(Protocol):
    """What the index writer tells a snapshot's keyword index."""

    def add(self, rows: Sequence[tuple[int, str, str, str]]) -> None:
        """Index chunks: (chunk_id, document title, heading path as text, chunk text)."""
        ...

    def remove(self, chunk_ids: Sequence[int]) -> None: ...

    def commit(self) -> None:
        """Make everything added and removed durable in the snapshot folder, before the manifest names it."""
        ...

    def close(self) -> None:
        """Drop what was not committed and let go of the snapshot's files (its threads stopped), so that a
        failed write's half-built snapshot can be deleted whole."""
        ...


class KeywordEngine(Protocol):
    """A keyword engine: how a snapshot's keyword index is made, written and read."""

    NAME: str

    def create(self, db: sqlite3.Connection, folder: Path) -> None:
        """Set up an empty keyword index in a new snapshot."""
        ...

    def writer(self, db: sqlite3.Connection, folder: Path, previous: Path | None) -> KeywordWriter:
        """A writer over the snapshot being built in `folder`, starting from the previous snapshot's keyword
        index (in `previous`, None for a new index; an engine inside kb.sqlite already has its copy)."""
        ...

    def open_index(self, folder: Path, query: Query, chunk_count: Callable[[], int]) -> KeywordIndex: ...

    def drop(self, db: sqlite3.Connection, folder: Path) -> None:
        """Remove this engine's keyword index from a snapshot being built (`kb reindex` rebuilds it, maybe in
        another engine); a snapshot without one is left as it is."""
        ...


ENGINES: dict[str, KeywordEngine] = {fts5.NAME: fts5, tantivy.NAME: tantivy}  # modules as engines
# The engine of a new index. tantivy: at 1M chunks p50 3 ms / p99 12 ms against FTS5's 342 / 1445 ms, the same
# relevance within 0.002 nDCG@10 (benchmarks/results/keyword.md). An index keeps the engine its manifest names.
DEFAULT_ENGINE = tantivy.NAME


def engine(name: str) -> KeywordEngine:
    """The module of an engine a manifest names."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown keyword engine {name!r}; this kb knows {', '.join(ENGINES)}") from None


def chosen(current: str | None, requested: str | None, index_dir: Path) -> str:
    """The engine a write uses: the index's own (`current`, None for a new index), else the one requested, else
    DEFAULT_ENGINE. Asking an existing index for another engine is an error: its keyword side is not rebuilt."""
    if requested is not None:
        engine(requested)  # an unknown name fails here, with the names this kb knows
    if current is None:
        return requested or DEFAULT_ENGINE
    if requested is not None and requested != current:
        raise IndexMismatch(
            f"The index at {index_dir} uses keyword engine {current!r}, not {requested!r} (KB_KEYWORD_ENGINE). "
            f"Unset KB_KEYWORD_ENGINE to keep {current!r}, or ingest into a new index with --index NEW_DIR.")
    return current
