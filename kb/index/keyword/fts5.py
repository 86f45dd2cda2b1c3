"""The fts5 keyword engine: SQLite FTS5 with BM25 over title, heading path and chunk text.

The table lives in the snapshot's kb.sqlite (rowid = chunk_id), so it is copied, written and
committed with the documents and chunks, in the same transaction.

A limitation: FTS5's porter tokenizer analyses every document and every question as English (Porter stems, no stop
words), whatever their language; a search's `languages` are ignored. The tantivy engine (the default) analyses each
document in its own language (kb/index/keyword/analysis.py).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.index.keyword import Query

NAME = "fts5"
# Porter stemming over unicode61 tokens.
SCHEMA = """
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
# BM25 field weights for (title, heading path, chunk text).
BM25_WEIGHTS = (2.0, 1.0, 1.0)
# Remembered term counts per reader; beyond this many the memory is cleared.
MATCH_COUNTS_KEPT = 50_000


def match_expression(terms: Sequence[str], operator: str = "OR") -> str:
    """An FTS5 MATCH expression: any of the terms, or all of them with operator "AND" (each quoted, so no operator
    injection)."""
    return f" {operator} ".join('"' + t.replace('"', '""') + '"' for t in terms)


def create(db: sqlite3.Connection, folder: Path) -> None:
    db.executescript(SCHEMA)


def drop(db: sqlite3.Connection, folder: Path) -> None:
    db.execute("DROP TABLE IF EXISTS chunks_fts")


class Fts5Writer:
    """Adds and removes the keyword rows of chunks in the snapshot being built."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def add(self, rows: Sequence[tuple[int, str, str, str]]) -> None:
        self.db.executemany("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?,?,?,?)", rows)

    def remove(self, chunk_ids: Sequence[int]) -> None:
        self.db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(int(i),) for i in chunk_ids])

    def commit(self) -> None:
        """Nothing of its own: the rows are committed with the rest of kb.sqlite."""

    def close(self) -> None:
        """Nothing of its own: an uncommitted kb.sqlite is deleted with its snapshot."""


def writer(db: sqlite3.Connection, folder: Path, previous: Path | None) -> Fts5Writer:
    return Fts5Writer(db)


class Fts5Index:
    """BM25 search of one snapshot."""

    def __init__(self, query: Query, chunk_count: Callable[[], int]) -> None:
        self._query = query
        self._chunk_count = chunk_count
        self._match_counts: dict[str, int] = {}

    def search(self, terms: Sequence[str], k: int, allowed: set[str] | None = None,
               languages: Sequence[str] = ("en",),
               alternatives: Sequence[tuple[str, Sequence[str]]] = (),
               names: Sequence[str] = (),
               about: Sequence[tuple[Collection[str], float]] = ()) -> list[tuple[int, float]]:
        """[(chunk_id, bm25)] best first; FTS5's bm25() is lower-is-better, so it is negated. English analysis only;
        the names' and alternatives' words are OR-ed with the terms (FTS5 has no best-of-a-group); `about` ignored."""
        named = [w for w in dict.fromkeys(w for name in names for w in name.split()) if w not in terms]
        terms = [*terms, *named, *(w for _, group in alternatives for name in group for w in name.split())]
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
        fetch = k if allowed is None else k * 10
        rows = self._query(sql, (match_expression(terms), w_title, w_heading, w_text, fetch))
        out = [(int(r[0]), float(r[1])) for r in rows if allowed is None or r[2] in allowed]
        return out[:k]

    def rows_matching(self, term: str) -> int:
        """How many chunks hold the term (remembered: a snapshot never changes)."""
        match = match_expression([term])
        count = self._match_counts.get(match)
        if count is None:
            count = int(self._query("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,))[0][0])
            if len(self._match_counts) >= MATCH_COUNTS_KEPT:
                self._match_counts.clear()
            self._match_counts[match] = count
        return count

    def doc_freq(self, word: str, languages: Sequence[str] = ("en",)) -> int:
        return self.rows_matching(word)

    def begins_term(self, word: str, languages: Sequence[str] = ("en",)) -> bool | None:
        return None  # FTS5 lists no terms here: no spelling corrections on an fts5 index

    def holding_all(self, words: Sequence[str], k: int, languages: Sequence[str] = ("en",)) -> list[int] | None:
        if not words:
            return None
        match = match_expression(words, "AND")
        w_title, w_heading, w_text = BM25_WEIGHTS
        rows = self._query("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, ?, ?, ?) LIMIT ?",
                           (match, w_title, w_heading, w_text, k))
        return [int(r[0]) for r in rows]

    def idf_sum(self, terms: Sequence[str], languages: Sequence[str] = ("en",)) -> float:
        """Sum over the terms of IDF as FTS5's bm25 computes it, log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
        chunks = self._chunk_count()
        total = 0.0
        for term in terms:
            found = self.rows_matching(term)
            total += max(1e-6, math.log((chunks - found + 0.5) / (found + 0.5)))
        return total

    def holds(self, term: str, doc_ids: Collection[str], languages: Sequence[str] = ("en",)) -> bool:
        """Whether a chunk of one of these documents holds the term. English analysis only."""
        if not doc_ids:
            return False
        marks = ",".join("?" * len(doc_ids))
        sql = ("SELECT 1 FROM chunks_fts f JOIN chunks c ON c.chunk_id = f.rowid "
               f"WHERE chunks_fts MATCH ? AND c.doc_id IN ({marks}) LIMIT 1")
        return bool(self._query(sql, (match_expression([term]), *doc_ids)))

    def chunk_ids(self) -> set[int]:
        """Every chunk id the keyword index holds (for integrity checks)."""
        return {int(r[0]) for r in self._query("SELECT rowid FROM chunks_fts", ())}


def open_index(folder: Path, query: Query, chunk_count: Callable[[], int]) -> Fts5Index:
    return Fts5Index(query, chunk_count)


