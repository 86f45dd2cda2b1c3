"""Ingests that resume: checkpoints hold whole documents, and a run after a kill embeds only the rest."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kb import KnowledgeBase, Settings
from kb.index.store import DB_FILE, SNAPSHOTS, IndexWriter, open_reader, read_manifest
from kb.ingest import pipeline
from kb.ingest.apply import Checkpoints
from kb.records import Chunk, Document
from tests.conftest import WordHashEmbedder

TOPICS = ("welding", "fisheries", "beekeeping", "solar panels", "bookkeeping", "tailoring", "masonry", "nursing")


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing on the way up may take it for a bad file."""


def _guide(topic: str, extra: str = "") -> str:
    """A Markdown guide of three sections (several chunks each at the test chunk size)."""
    sections = {
        "Planning": f"Employers plan {topic} training with the unions and agree on wages and hours. " * 10,
        "Practice": extra + f"Apprentices practise {topic} at the workplace with a mentor every week. " * 10,
        "Assessment": f"A final assessment tests {topic} skills in practice and in a written exam. " * 10,
    }
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections.items())
    return f"---\ntitle: A guide to {topic}\n---\n# {topic}\n\n{body}\n"


def _folder(root: Path, topics: tuple[str, ...] = TOPICS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for topic in topics:
        (root / f"{topic.replace(' ', '-')}.md").write_text(_guide(topic), encoding="utf-8")
    return root


def _kb(index: Path, chunks: int = 1) -> KnowledgeBase:
    """Reads files in this process (the order is the order found); a checkpoint before every document but
    the first with chunks=1, none with chunks=0."""
    settings = Settings(index_dir=index, workers=0, chunk_tokens=60, chunk_overlap=10, checkpoint_chunks=chunks,
                        checkpoint_seconds=0)
    return KnowledgeBase(settings, embedder=WordHashEmbedder())


@pytest.fixture(autouse=True)
def every_checkpoint_taken(monkeypatch):
    """These documents arrive milliseconds apart: take every checkpoint asked for, whatever its share of the run."""
    monkeypatch.setattr(pipeline, "Checkpoints", functools.partial(Checkpoints, max_share=1.0))


@contextlib.contextmanager
def _killed_after(documents: int) -> Iterator[None]:
    """The run writes `documents` documents and dies as it writes the next (after the checkpoint before it)."""
    calls = {"n": 0}
    original = IndexWriter.add_document

    def add_document(self, *args, **kwargs):
        if calls["n"] == documents:
            raise Killed
        calls["n"] += 1
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(IndexWriter, "add_document", add_document)
        yield


def _contents(index: Path) -> dict[str, tuple[Document, list[tuple]]]:
    """{doc_id: (document, [(ordinal, text, page, heading path, vector)])}: what a search can see, ids aside."""
    key = operator.attrgetter("ordinal", "text", "page", "heading_path")
    with open_reader(index) as reader:
        out = {}
        for doc in reader.all_documents():
            chunks = reader.chunks_of(doc.doc_id)
            vectors = reader.vectors_by_id([c.chunk_id for c in chunks])
            out[doc.doc_id] = (doc, [(*key(c), v.tobytes()) for c, v in zip(chunks, vectors)])
        assert not reader.check_integrity()
        return out


def test_a_killed_ingest_resumes_from_its_checkpoints_and_embeds_only_the_rest(tmp_path):
    docs = _folder(tmp_path / "docs")
    index = tmp_path / "index"
    with _killed_after(4):
        _kb(index).ingest([docs])
    # The checkpoint before the 5th document holds the first four, whole: their chunks, vectors, keyword rows.
    checkpoint = _contents(index)
    assert len(checkpoint) == 4 and read_manifest(index).counts["documents"] == 4
    assert sorted(checkpoint) == ["beekeeping.md", "bookkeeping.md", "fisheries.md", "masonry.md"]  # in the order found
    hits = KnowledgeBase(Settings(index_dir=index), embedder=WordHashEmbedder()).search("fisheries", mode="keyword").hits
    assert hits[0].doc_id == "fisheries.md"

    resumed = _kb(index).ingest([docs])
    clean = _kb(tmp_path / "clean", chunks=0).ingest([docs])
    held = sum(len(chunks) for _, chunks in checkpoint.values())
    assert resumed.counts()["unchanged"] == 4 and len(resumed.added) == len(TOPICS) - 4
    assert resumed.chunks_embedded == clean.chunks_embedded - held > 0
    assert _contents(index) == _contents(tmp_path / "clean")


def test_edits_renames_and_removals_come_out_right_after_a_kill_between_checkpoints(tmp_path):
    docs = _folder(tmp_path / "docs")
    index = tmp_path / "index"
    _kb(index).ingest([docs])
    (docs / "welding.md").write_text(_guide("welding", "Welders now train on simulators first. "), encoding="utf-8")
    (docs / "fisheries.md").rename(docs / "fishing.md")  # the same content under a new name: vectors reused
    (docs / "masonry.md").unlink()
    for topic in ("plumbing", "carpentry", "baking"):
        (docs / f"{topic}.md").write_text(_guide(topic), encoding="utf-8")
    before = _contents(index)
    # Prepared in the order found: baking, carpentry, fishing (the renamed file), plumbing, then welding (edited),
    # which the run dies writing, after the checkpoint that holds the four before it.
    with _killed_after(4):
        _kb(index).ingest([docs])
    between = _contents(index)
    # Removals wait for the end of a run: the checkpoint holds the new name and still the old one, and the removed file.
    assert {"baking.md", "carpentry.md", "fishing.md", "plumbing.md", "fisheries.md", "masonry.md"} <= between.keys()
    assert between["welding.md"] == before["welding.md"] and between["fishing.md"][1] == before["fisheries.md"][1]

    resumed = _kb(index).ingest([docs])
    assert resumed.added == () and resumed.updated == ("welding.md",) and set(resumed.removed) == {"fisheries.md", "masonry.md"}
    assert 0 < resumed.chunks_embedded < len(before["welding.md"][1])  # only the edited section's chunks
    clean = tmp_path / "clean"
    _kb(clean, chunks=0).ingest([docs])
    assert _contents(index) == _contents(clean)


def test_every_checkpoint_is_a_snapshot_of_whole_documents_and_the_end_commits_the_rest(tmp_path):
    docs = _folder(tmp_path / "docs")
    index = tmp_path / "index"
    report = _kb(index).ingest([docs])
    manifest = read_manifest(index)
    # A checkpoint before each document but the first, then the final commit: every one kept within its grace.
    assert len(manifest.previous_snapshots) == len(TOPICS) - 1 == len(manifest.superseded)
    assert report.chunks_embedded == manifest.chunks
    for position, name in enumerate(reversed(manifest.previous_snapshots), start=1):
        db = sqlite3.connect(f"file:{index / SNAPSHOTS / name / DB_FILE}?mode=ro&immutable=1", uri=True)
        try:
            assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == position
            assert db.execute("SELECT count(DISTINCT doc_id) FROM chunks").fetchone()[0] == position
        finally:
            db.close()


MODEL = WordHashEmbedder(dimension=4).describe()


def _one(writer: IndexWriter, doc_id: str) -> None:
    doc = Document(doc_id=doc_id, title=doc_id, type="report", date=None, language="en", source=doc_id, format="txt",
                   content_hash=doc_id)
    writer.add_document(doc, "root", [Chunk(doc_id=doc_id, ordinal=0, text=f"text of {doc_id}", n_tokens=3)],
                        np.eye(4, dtype="float32")[:1])


def test_a_checkpoint_keeps_naming_the_chunker_and_taxonomy_the_held_documents_were_made_with(tmp_path):
    index = tmp_path / "index"
    with IndexWriter(index, MODEL, {"chunk_tokens": 200}, topics={"version": 1}) as writer:
        _one(writer, "a")
        writer.commit()
    with IndexWriter(index, MODEL, {"chunk_tokens": 100}, topics={"version": 2}) as writer:
        _one(writer, "b")
        writer.checkpoint()
        checkpoint = read_manifest(index)
        assert checkpoint.counts["documents"] == 2
        # "a" is still chunked and tagged the old way: a run stopped here must still redo it.
        assert checkpoint.chunker == {"chunk_tokens": 200} and checkpoint.topics == {"version": 1}
        assert writer.chunker_changed and writer.topics_changed
        _one(writer, "c")
        writer.commit()
    final = read_manifest(index)
    assert final.chunker == {"chunk_tokens": 100} and final.topics == {"version": 2} and final.counts["documents"] == 3


def test_a_writer_that_fails_after_a_checkpoint_leaves_the_checkpoint_current(tmp_path):
    index = tmp_path / "index"
    with pytest.raises(RuntimeError, match="disk full"), IndexWriter(index, MODEL, {"chunk_tokens": 200}) as writer:
        _one(writer, "a")
        committed = writer.checkpoint()
        _one(writer, "b")
        raise RuntimeError("disk full")
    manifest = read_manifest(index)
    assert manifest.snapshot == committed.snapshot and manifest.counts["documents"] == 1
    assert [p.name for p in (index / "snapshots").iterdir()] == [committed.snapshot]  # the half-built one is gone


def test_checkpoints_fall_due_by_chunks_or_by_time_and_zero_turns_each_off():
    assert Checkpoints(chunks=100).due(100, 0.0) and not Checkpoints(chunks=100).due(99, 1e9)
    assert Checkpoints(seconds=60).due(0, 60.0) and not Checkpoints(seconds=60).due(10**9, 59.0)
    assert not Checkpoints().due(10**9, 1e9)
    # The last checkpoint took 2 s: the next waits for 38 s of writing, so checkpoints stay under 5 % of the run.
    assert not Checkpoints(chunks=100).due(100, 37.0, last_took=2.0) and Checkpoints(chunks=100).due(100, 38.0, last_took=2.0)
    assert dataclasses.asdict(Checkpoints(5, 1.5)) == {"chunks": 5, "seconds": 1.5, "max_share": 0.05}
