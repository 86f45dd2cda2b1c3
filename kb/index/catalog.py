"""The SQL of a snapshot's tables: documents, chunks and facets (the keyword engine keeps its own).

Every statement kb runs against them is here; the reader and the writer call these functions with
their connection and get records back.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from kb.records import Chunk, Document, Filters

SCHEMA = """
CREATE TABLE documents (
    doc_id       TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    type         TEXT NOT NULL,
    date         TEXT,
    language     TEXT,
    source       TEXT NOT NULL,
    root         TEXT NOT NULL,
    format       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    description  TEXT,
    n_pages      INTEGER,
    metadata     TEXT NOT NULL DEFAULT '{}',
    ingested_at  TEXT NOT NULL
);
CREATE TABLE chunks (
    chunk_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    text         TEXT NOT NULL,
    n_tokens     INTEGER NOT NULL,
    page         INTEGER,
    page_label   TEXT,
    heading_path TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX chunks_by_doc ON chunks(doc_id, ordinal);
CREATE TABLE facets (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    field  TEXT NOT NULL,
    value  TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (doc_id, field, value)
);
CREATE INDEX facets_by_value ON facets(field, value);
"""

# Multi-valued metadata keys are filtered and counted under a singular facet name.
FACET_ALIASES = {"topics": "topic", "countries": "country", "regions": "region", "keywords": "keyword", "tags": "tag",
                 "authors": "author"}
# SQLite limits the number of parameters in one statement.
IN_LIST_MAX = 500

Rows = Callable[[str, Sequence[Any]], list[sqlite3.Row]]


def facet_field(key: str) -> str:
    """The facet name for a metadata key: 'countries' -> 'country'."""
    key = key.strip().lower()
    return FACET_ALIASES.get(key, key)


def facet_rows(doc: Document) -> list[tuple[str, str, str]]:
    """(doc_id, field, value) rows of a document's facets: type, language, year and its metadata."""
    rows = [(doc.doc_id, "type", doc.type)]
    if doc.language:
        rows.append((doc.doc_id, "language", doc.language))
    if doc.date:
        rows.append((doc.doc_id, "year", doc.date[:4]))
    for key, values in doc.metadata.items():
        if key.endswith("_auto"):
            continue  # provenance of a facet, not a facet of its own
        rows.extend((doc.doc_id, facet_field(key), v) for v in values if len(v) <= 200)
    return list(dict.fromkeys(rows))


def document_from_row(row: sqlite3.Row) -> Document:
    return Document(
        doc_id=row["doc_id"], title=row["title"], type=row["type"], date=row["date"], language=row["language"],
        source=row["source"], format=row["format"], content_hash=row["content_hash"], description=row["description"],
        n_pages=row["n_pages"], metadata={k: tuple(v) for k, v in json.loads(row["metadata"]).items()},
    )


# The columns chunk_from_row reads, in this order: by position, where a sqlite3.Row finds a name by comparing it with
# each column's (callgrind, labour-docs' 177 questions, ~32 chunks read a search: 26.51 -> 26.26 M instructions).
CHUNK_COLUMNS = "doc_id, ordinal, text, n_tokens, page, page_label, heading_path, chunk_id"


def chunk_from_row(row: sqlite3.Row) -> Chunk:
    """The Chunk of a row of CHUNK_COLUMNS."""
    return Chunk(row[0], row[1], row[2], row[3], page=row[4], page_label=row[5], heading_path=_heading_path(row[6]),
                 chunk_id=row[7])


@lru_cache(maxsize=4096)
def _heading_path(stored: str) -> tuple[str, ...]:
    # A document's chunks share a few heading paths: each is parsed once (a search reads ~60 chunks).
    return tuple(json.loads(stored))


def rows_in(rows: Rows, sql: str, values: Iterable[Any]) -> Iterator[sqlite3.Row]:
    """Rows of `sql` whose one `IN ({marks})` is filled with the distinct values, IN_LIST_MAX at a time."""
    ids = list(dict.fromkeys(values))
    for start in range(0, len(ids), IN_LIST_MAX):
        part = ids[start:start + IN_LIST_MAX]
        yield from rows(sql.format(marks=",".join("?" * len(part))), part)


def read_documents(rows: Rows, doc_ids: Iterable[str]) -> dict[str, Document]:
    """{doc_id: Document} for those of the ids that exist."""
    return {r["doc_id"]: document_from_row(r) for r in rows_in(rows, "SELECT * FROM documents WHERE doc_id IN ({marks})", doc_ids)}


def read_chunks(rows: Rows, chunk_ids: Iterable[int]) -> dict[int, Chunk]:
    """{chunk_id: Chunk} for those of the ids that exist."""
    sql = f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({{marks}})"
    return {r[7]: chunk_from_row(r) for r in rows_in(rows, sql, chunk_ids)}


class ChunkOwners:
    """Which document each chunk of a snapshot belongs to, as arrays (12 bytes a chunk, where a dict takes ~100)."""

    def __init__(self, rows: Sequence[sqlite3.Row]) -> None:
        """From (chunk_id, doc_id) rows in chunk id order."""
        import numpy as np

        self.doc_ids = list(dict.fromkeys(r[1] for r in rows))
        ordinal = {doc_id: i for i, doc_id in enumerate(self.doc_ids)}
        self.chunk_ids = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))
        self.owners = np.fromiter((ordinal[r[1]] for r in rows), dtype="int32", count=len(rows))

    def of(self, chunk_ids: Iterable[int]) -> dict[int, str]:
        """{chunk_id: doc_id} for those of the ids that exist, by chunk id (as the SQL lookup returns them)."""
        import numpy as np

        ids = np.fromiter(chunk_ids if isinstance(chunk_ids, set | list) else (int(c) for c in chunk_ids), dtype="int64")
        ids.sort()  # and duplicates dropped: np.unique's hashing takes 60 us over a search's 400 ids, this 10
        ids = ids[np.append(True, ids[1:] != ids[:-1])] if len(ids) > 1 else ids
        at = np.minimum(np.searchsorted(self.chunk_ids, ids), max(len(self.chunk_ids) - 1, 0))
        found = self.chunk_ids[at] == ids if len(self.chunk_ids) else np.zeros(len(ids), dtype=bool)
        return dict(zip(ids[found].tolist(), map(self.doc_ids.__getitem__, self.owners[at[found]].tolist())))


def keyword_rows(db: sqlite3.Connection, batch: int = 2000) -> Iterator[list[tuple[int, str, str, str]]]:
    """Every chunk as a keyword writer takes it, (chunk_id, title, heading path, text), `batch` at a time."""
    rows = db.execute("SELECT c.chunk_id, d.title, c.heading_path, c.text FROM chunks c JOIN documents d USING (doc_id) "
                      "ORDER BY c.chunk_id")
    while part := rows.fetchmany(batch):
        yield [(int(r[0]), r[1], " ".join(json.loads(r[2])), r[3]) for r in part]


def filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause (over documents d) and parameters of normalised filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.types:
        clauses.append(f"d.type IN ({','.join('?' * len(filters.types))})")
        params.extend(filters.types)
    if filters.languages:
        clauses.append(f"d.language IN ({','.join('?' * len(filters.languages))})")
        params.extend(filters.languages)  # lowercased by kb/search/filters.py, as every value here is normalised
    if filters.since:
        clauses.append("d.date IS NOT NULL AND d.date >= ?")
        params.append(filters.since)
    if filters.until:
        # "until 2023" includes all of 2023: compare on the date's own precision.
        clauses.append("d.date IS NOT NULL AND substr(d.date, 1, length(?)) <= ?")
        params.extend([filters.until, filters.until])
    for key, values in filters.where.items():
        marks = ",".join("?" * len(values))
        clauses.append(f"EXISTS (SELECT 1 FROM facets f WHERE f.doc_id = d.doc_id AND f.field = ? AND f.value IN ({marks}))")
        params.append(facet_field(key))
        params.extend(values)
    return " AND ".join(clauses) or "1", params


def facet_counts(rows: Rows, doc_ids: Sequence[str] | None, fields: Sequence[str]) -> dict[str, dict[str, int]]:
    """{field: {value: documents}} over the given documents (None: all), unsorted; fields without values left out."""
    counts: dict[str, dict[str, int]] = {f: {} for f in fields}
    marks = ",".join("?" * len(fields))
    parts: list[list[str] | None] = [None]
    if doc_ids is not None:
        ids = list(doc_ids)
        parts = [ids[start:start + IN_LIST_MAX] for start in range(0, len(ids), IN_LIST_MAX)]
    for part in parts:
        where = "" if part is None else f"doc_id IN ({','.join('?' * len(part))}) AND "
        # count(*) counts documents: the primary key holds a (field, value) once per document (NOCASE, as the
        # grouping), and it spares SQLite a distinct set per group (0.86 -> 0.54 ms over 150 labour-docs documents).
        found = rows(f"SELECT field, value, count(*) FROM facets WHERE {where}field IN ({marks}) "
                     "GROUP BY field, value", [*(part or []), *fields])
        for field_name, value, n in found:
            counts[field_name][value] = counts[field_name].get(value, 0) + n
    return {f: v for f, v in counts.items() if v}


# -- writes -------------------------------------------------------------------------------------------

def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def insert_document(db: sqlite3.Connection, doc: Document, root: str, chunks: Sequence[Chunk]) -> list[int]:
    """Insert a document, its facets and its chunks; the new chunk ids, in chunk order."""
    db.execute(
        "INSERT INTO documents (doc_id, title, type, date, language, source, root, format, content_hash, "
        "description, n_pages, metadata, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (doc.doc_id, doc.title, doc.type, doc.date, doc.language, doc.source, root, doc.format, doc.content_hash,
         doc.description, doc.n_pages, json.dumps({k: list(v) for k, v in doc.metadata.items()}, ensure_ascii=False),
         _now()),
    )
    db.executemany("INSERT OR IGNORE INTO facets (doc_id, field, value) VALUES (?,?,?)", facet_rows(doc))
    ids: list[int] = []
    for chunk in chunks:
        cur = db.execute(
            "INSERT INTO chunks (doc_id, ordinal, text, n_tokens, page, page_label, heading_path) VALUES (?,?,?,?,?,?,?)",
            (doc.doc_id, chunk.ordinal, chunk.text, chunk.n_tokens, chunk.page, chunk.page_label,
             json.dumps(list(chunk.heading_path), ensure_ascii=False)),
        )
        ids.append(int(cur.lastrowid))  # type: ignore[arg-type]  # an INSERT always sets it
    return ids


def delete_document(db: sqlite3.Connection, doc_id: str) -> list[int]:
    """Delete a document with its chunks and facets; the chunk ids it had."""
    ids = [int(r[0]) for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))]
    db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))  # cascades to chunks, facets
    return ids


def set_topics(db: sqlite3.Connection, doc_id: str, topics: Sequence[str], auto: Sequence[str]) -> None:
    """Replace a document's topics (all, and those assigned automatically) in its metadata and facets."""
    row = db.execute("SELECT metadata FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    metadata = json.loads(row[0])
    metadata["topics"], metadata["topics_auto"] = list(topics), list(auto)
    db.execute("UPDATE documents SET metadata = ? WHERE doc_id = ?", (json.dumps(metadata, ensure_ascii=False), doc_id))
    db.execute("DELETE FROM facets WHERE doc_id = ? AND field = 'topic'", (doc_id,))
    db.executemany("INSERT OR IGNORE INTO facets (doc_id, field, value) VALUES (?, 'topic', ?)", [(doc_id, t) for t in topics])
