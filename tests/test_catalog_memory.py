"""The catalog's in-memory copies (kb/index/catalog.py) answer exactly as its SQL does (no index, no model)."""

from __future__ import annotations

import random
import sqlite3

from kb.index import catalog

FIELDS = ("type", "topic", "country", "region", "language", "year")
# Spellings whose NOCASE order differs from their binary order, accents, and values SQLite folds and Python would not.
VALUES = ("apple", "Banana", "cherry", "Zeta", "_under", "Ärzte", "éclair", "zz", "ILO", "ilo-x", "Côte d'Ivoire", "2021")


def _facets(rows: list[tuple[str, str, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(catalog.SCHEMA)
    db.executemany("INSERT OR IGNORE INTO facets (doc_id, field, value) VALUES (?,?,?)", rows)
    return db


def _random_rows(seed: int, documents: int = 60) -> list[tuple[str, str, str]]:
    rnd = random.Random(seed)
    return [(f"d{d}", rnd.choice(FIELDS), rnd.choice(VALUES)) for d in range(documents) for _ in range(rnd.randint(0, 6))]


def _sql(db: sqlite3.Connection, doc_ids, fields) -> dict[str, dict[str, int]]:
    return catalog.facet_counts(lambda sql, params: db.execute(sql, params).fetchall(), doc_ids, fields)


def test_in_memory_facet_counts_are_the_sql_counts_in_the_sql_order():
    for seed in range(20):
        rows = _random_rows(seed)
        db = _facets(rows)
        table = catalog.FacetTable(db.execute("SELECT doc_id, field, value FROM facets").fetchall())
        assert table.exact
        rnd = random.Random(seed)
        for _ in range(20):
            doc_ids = rnd.sample([f"d{d}" for d in range(70)], rnd.randint(0, 70))  # some unknown ids
            fields = rnd.sample(FIELDS, rnd.randint(1, len(FIELDS)))
            for asked in (doc_ids, None):
                expected, got = _sql(db, asked, fields), table.counts(asked, fields)
                assert got == expected
                assert [(f, list(v.items())) for f, v in got.items()] == [(f, list(v.items())) for f, v in expected.items()]


def test_two_spellings_of_one_value_are_left_to_sql():
    # SQLite counts "Kenya" and "kenya" as one value (NOCASE) shown in one spelling it picks: only SQL knows which.
    table = catalog.FacetTable([("a", "country", "Kenya"), ("b", "country", "kenya"), ("c", "country", "Ghana")])
    assert not table.exact
    assert catalog.FacetTable([("a", "country", "Kenya"), ("b", "country", "Kenya"), ("b", "topic", "kenya")]).exact
