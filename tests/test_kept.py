"""What a reader keeps in memory (kb/index/kept.py) answers exactly as the catalog's SQL does (no index, no model)."""

from __future__ import annotations

import random
import sqlite3

from kb.index import catalog, kept

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
        table = kept.FacetTable(db.execute("SELECT doc_id, field, value FROM facets").fetchall())
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
    table = kept.FacetTable([("a", "country", "Kenya"), ("b", "country", "kenya"), ("c", "country", "Ghana")])
    assert not table.exact
    assert kept.FacetTable([("a", "country", "Kenya"), ("b", "country", "Kenya"), ("b", "topic", "kenya")]).exact


def test_kept_records_are_those_read_and_only_the_missing_ones_are_read():
    records = {k: f"record {k}" for k in range(50)}
    asked_for: list[list[int]] = []

    def fetch(keys):
        asked_for.append(keys)
        return {k: records[k] for k in keys if k in records}

    rnd = random.Random(0)
    memory = kept.Kept(size=20)
    for _ in range(300):
        keys = [rnd.randrange(60) for _ in range(rnd.randint(0, 12))]  # ids 50-59 do not exist
        before = dict(memory.kept)
        assert memory.get(keys, fetch) == {k: records[k] for k in dict.fromkeys(keys) if k in records}
        if asked_for:
            assert not set(asked_for.pop()) & set(before)  # what it kept is not read again
        assert len(memory.kept) <= 20
