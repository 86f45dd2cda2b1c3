"""`kb reindex`: the keyword index rebuilt from the stored chunks, in the same or another engine, in a new snapshot."""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.index import keyword
from kb.index.reindex import reindex
from kb.index.store import open_reader, read_manifest
from tests.test_keyword_engines import CORPUS, _found, _write

PAIRS = list(itertools.product(sorted(keyword.ENGINES), repeat=2))
QUERIES = ["fisheries", "beekeeping apprenticeship", "solar panels", "honey", "coffee"]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_reindex_keeps_every_answer_and_the_rest_of_the_snapshot(tmp_path, before, after):
    folder = tmp_path / "index"
    _write(folder, before, CORPUS)
    _write(folder, None, {"late": ("Late addition", ["Fisheries cooperatives train young fishers."])}, remove=["cafe"])
    old = read_manifest(folder)
    with open_reader(folder) as reader:
        answers = {q: _found(reader, q) for q in QUERIES}
        vectors = reader.vectors_by_id(sorted(reader.chunk_documents(range(100))))
    manifest = reindex(folder, after)
    assert manifest.keyword == after and manifest.snapshot != old.snapshot
    assert manifest.counts == old.counts and manifest.index == old.index and manifest.model == old.model
    with open_reader(folder) as reader:
        assert {q: _found(reader, q) for q in QUERIES} == answers
        assert (reader.vectors_by_id(sorted(reader.chunk_documents(range(100)))) == vectors).all()
        assert reader.check_integrity() == []
        assert "cafe" not in reader.chunk_documents(range(100)).values()
    db = sqlite3.connect(folder / "snapshots" / manifest.snapshot / "kb.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert ("chunks_fts" in tables) == (after == "fts5")  # the engine left behind takes no room


def test_reindex_repairs_a_damaged_keyword_index(tmp_path):
    folder = tmp_path / "index"
    _write(folder, "tantivy", CORPUS)
    snapshot = folder / "snapshots" / read_manifest(folder).snapshot
    for file in (snapshot / "tantivy").glob("*.idx"):
        file.write_bytes(b"not a segment")
    result = CliRunner().invoke(main, ["reindex", "--index", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Keyword index rebuilt (tantivy): 5 chunks of 4 documents." in result.output
    with open_reader(folder) as reader:
        assert _found(reader, "honey") == ["bees"]


def test_reindex_without_an_index_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["reindex", "--index", str(tmp_path / "none")])
    assert result.exit_code != 0 and "kb ingest" in result.output
