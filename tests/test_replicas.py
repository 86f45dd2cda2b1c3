"""Serving replicas: readers open snapshots as immutable and take no lock; superseded snapshots stay for a grace
period, so a replica still reading one never sees it vanish, and the first write after it deletes them."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from kb import KnowledgeBase, Settings
from kb.index import retention
from kb.index.keyword import ENGINES
from kb.index.store import DB_FILE, SNAPSHOTS, IndexReader, read_manifest
from kb.ingest import pipeline
from kb.ingest.apply import Checkpoints
from tests.conftest import WordHashEmbedder

real_retain = retention.retain


@pytest.fixture(autouse=True)
def every_checkpoint_taken(monkeypatch):
    """These documents arrive milliseconds apart: take every checkpoint asked for, whatever its share of the run."""
    monkeypatch.setattr(pipeline, "Checkpoints", functools.partial(Checkpoints, max_share=1.0))


def _kb(index: Path, grace: float = 600.0, engine: str | None = None, checkpoint_chunks: int = 0) -> KnowledgeBase:
    settings = Settings(index_dir=index, workers=0, snapshot_grace_seconds=grace, keyword_engine=engine,
                        checkpoint_chunks=checkpoint_chunks, checkpoint_seconds=0)
    return KnowledgeBase(settings, embedder=WordHashEmbedder())


def _ingest(kb: KnowledgeBase, docs: Path, round_: int) -> str:
    """Change one file and add another, ingest: the name of the new snapshot."""
    docs.mkdir(exist_ok=True)
    (docs / "welding.txt").write_text(f"Welding, round {round_}\n\nApprentices learn welding and safety.", encoding="utf-8")
    (docs / f"trade{round_}.txt").write_text(f"Trade {round_}\n\nBakers learn baking in trade {round_}.", encoding="utf-8")
    kb.ingest([docs])
    return read_manifest(kb.settings.index_dir).snapshot


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    """{relative path: (sha256, mtime_ns)} of every file under a snapshot folder."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_reader_answers_while_another_process_holds_sqlites_lock_on_the_snapshot(tmp_path):
    """Immutable readers take no lock: a lock held on the file (what a stuck NFS lock looks like) cannot stall them."""
    index = tmp_path / "index"
    _ingest(_kb(index), tmp_path / "docs", 1)
    database = index / SNAPSHOTS / read_manifest(index).snapshot / DB_FILE
    holder = sqlite3.connect(database, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # writes nothing; without immutable=1 every reader now gets "database is locked"
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0).execute("SELECT count(*) FROM documents").fetchone()
        reader = IndexReader(index)
        assert reader.counts() == (2, 2)
        assert reader.document("welding.txt").title.startswith("Welding")
        reader.close()
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_write_changes_a_committed_snapshot(tmp_path, engine):
    """What immutable readers rely on: edits, removals and checkpoints write new folders, never an old one's files."""
    index, docs = tmp_path / "index", tmp_path / "docs"
    kb = _kb(index, engine=engine, checkpoint_chunks=1)
    first = _ingest(kb, docs, 1)
    before = _files(index / SNAPSHOTS / first)
    for round_ in range(2, 5):
        _ingest(kb, docs, round_)
    (docs / "trade2.txt").unlink()
    kb.ingest([docs])
    assert len(read_manifest(index).previous_snapshots) >= 4  # checkpoints and commits, all within the grace
    assert _files(index / SNAPSHOTS / first) == before


def test_a_reader_of_an_old_snapshot_still_answers_after_two_newer_commits_within_the_grace(tmp_path):
    index, docs = tmp_path / "index", tmp_path / "docs"
    kb = _kb(index, grace=600)
    old = _ingest(kb, docs, 1)
    reader = IndexReader(index)  # a replica mid-request when the next snapshots arrive
    _ingest(kb, docs, 2)
    newest = _ingest(kb, docs, 3)
    manifest = read_manifest(index)
    assert manifest.snapshot == newest and old in manifest.previous_snapshots and old in manifest.superseded
    assert not reader.is_current()
    # Everything is read only now, from files two commits old: the vectors open lazily, the keyword index is searched.
    assert reader.counts() == (2, 2)
    hits = reader.vectors.search(WordHashEmbedder().encode(["welding apprentices"])[0], 2)[1]
    assert reader.chunk_documents(hits.tolist())[int(hits[0])] == "welding.txt"
    assert [c for c, _ in reader.keyword.search(["baking"], 5)] and not reader.check_integrity()
    reader.close()


def test_without_a_grace_the_second_newer_commit_deletes_an_old_snapshot(tmp_path):
    """The contrast: grace 0 keeps only SNAPSHOTS_KEPT snapshots, as kb did before replicas."""
    index, docs = tmp_path / "index", tmp_path / "docs"
    kb = _kb(index, grace=0)
    old = _ingest(kb, docs, 1)
    second = _ingest(kb, docs, 2)
    _ingest(kb, docs, 3)
    assert sorted(p.name for p in (index / SNAPSHOTS).iterdir()) == sorted([second, read_manifest(index).snapshot])
    assert not (index / SNAPSHOTS / old).exists()


def test_an_expired_snapshot_stays_until_the_next_write_removes_it(tmp_path, monkeypatch):
    # The writer's clock, moved by the test: ingests on a busy machine take what they take, the grace is exact.
    later = [dt.timedelta(0)]
    monkeypatch.setattr(retention, "retain", lambda history, superseded, now, grace: real_retain(
        history, superseded, now + later[0], grace))
    index, docs = tmp_path / "index", tmp_path / "docs"
    kb = _kb(index, grace=600)
    first = _ingest(kb, docs, 1)
    second = _ingest(kb, docs, 2)
    third = _ingest(kb, docs, 3)
    assert read_manifest(index).previous_snapshots == (second, first)  # newest first, both within the grace
    later[0] = dt.timedelta(seconds=700)
    assert (index / SNAPSHOTS / first).is_dir()  # expired, but no write has happened since: nothing deletes it
    fourth = _ingest(kb, docs, 4)
    manifest = read_manifest(index)
    # `third` was current until just now (its grace starts now); `second` and `first` are past theirs.
    assert manifest.snapshot == fourth and manifest.previous_snapshots == (third,) and set(manifest.superseded) == {third}
    assert sorted(p.name for p in (index / SNAPSHOTS).iterdir()) == sorted([third, fourth])


def test_the_newest_superseded_snapshot_is_kept_whatever_the_grace(tmp_path):
    """SNAPSHOTS_KEPT stays the floor: an in-process reader mid-query at the swap keeps its folder."""
    index, docs = tmp_path / "index", tmp_path / "docs"
    kb = _kb(index, grace=0)
    first = _ingest(kb, docs, 1)
    _ingest(kb, docs, 2)
    assert read_manifest(index).previous_snapshots == (first,) and (index / SNAPSHOTS / first).is_dir()
    reader = IndexReader(index)
    assert np.isfinite(reader.vectors_by_id([1])).all()
    reader.close()
