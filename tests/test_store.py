"""The index on disk: snapshots, incremental updates, keyword rows in step, clear errors."""

from __future__ import annotations

import json

import pytest

from kb import Filters, KnowledgeBase, Settings
from kb.errors import IndexLocked, IndexMismatch, IndexNotFound
from kb.index.store import IndexWriter, read_manifest
from tests.conftest import WordHashEmbedder


def _write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def docs(tmp_path):
    root = tmp_path / "docs"
    _write(root, "press-releases/fish.txt", "Fisheries training\n\nFishers learn to repair nets and engines on small boats.")
    _write(root, "guides/bees.md", "---\ntitle: Beekeeping guide\ncountries: [Kenya]\n---\n# Beekeeping\n\nHives, honey and queen bees.")
    _write(root, "tools/solar.txt", "Solar technicians\n\nInstalling rooftop solar panels needs electricians with new skills.")
    return root


def _kb(tmp_path, embedder):
    return KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=embedder)


def test_ingest_writes_manifest_with_model_and_counts(tmp_path, docs, fake_embedder):
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert report.counts() == {"added": 3, "updated": 0, "unchanged": 0, "removed": 0, "failed": 0}
    manifest = read_manifest(tmp_path / "index").to_dict()
    assert manifest["model"]["sha256"] == fake_embedder.model_hash
    assert manifest["model"]["dimension"] == 32
    assert manifest["counts"] == {"documents": 3, "chunks": report.chunks_embedded}
    assert manifest["chunker"]["chunk_tokens"] == 200
    info = _kb(tmp_path, fake_embedder).info()
    assert info.documents == 3 and info.chunks == report.chunks_embedded


def test_unchanged_folder_embeds_nothing_and_writes_no_snapshot(tmp_path, docs, fake_embedder):
    kb = _kb(tmp_path, fake_embedder)
    kb.ingest([docs])
    snapshot = read_manifest(tmp_path / "index").to_dict()["snapshot"]
    fake_embedder.encoded = 0
    report = kb.ingest([docs])
    assert report.counts()["unchanged"] == 3 and report.chunks_embedded == 0
    assert fake_embedder.encoded == 0
    assert read_manifest(tmp_path / "index").to_dict()["snapshot"] == snapshot


def test_changed_file_replaces_its_chunks_and_keyword_rows(tmp_path, docs, fake_embedder):
    kb = _kb(tmp_path, fake_embedder)
    kb.ingest([docs])
    _write(docs, "press-releases/fish.txt", "Aquaculture training\n\nFish farmers learn pond management and feeding.")
    report = kb.ingest([docs])
    assert report.updated == ("press-releases/fish.txt",) and report.counts()["unchanged"] == 2
    assert not kb.search("repair nets engines", mode="keyword").hits
    hits = kb.search("pond management", mode="keyword").hits
    assert hits[0].doc_id == "press-releases/fish.txt"
    assert kb.document("press-releases/fish.txt").title == "Aquaculture training"
    reader = kb.reader()
    assert reader.vectors.ntotal == reader.counts()[1]


def test_removed_file_leaves_the_index(tmp_path, docs, fake_embedder):
    kb = _kb(tmp_path, fake_embedder)
    kb.ingest([docs])
    (docs / "tools" / "solar.txt").unlink()
    report = kb.ingest([docs])
    assert report.removed == ("tools/solar.txt",)
    assert kb.info().documents == 2
    assert all(h.doc_id != "tools/solar.txt" for h in kb.search("solar panels electricians", mode="dense").hits)
    reader = kb.reader()
    assert reader.vectors.ntotal == reader.counts()[1]


def test_bad_file_is_reported_and_the_rest_ingested(tmp_path, docs, fake_embedder):
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (docs / "empty.txt").write_bytes(b"")
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert report.counts()["added"] == 3
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in report.failed}
    assert set(reasons) == {"broken.pdf", "empty.txt"}
    assert "0 bytes" in reasons["empty.txt"]


def test_other_model_is_a_clear_error(tmp_path, docs, fake_embedder):
    _kb(tmp_path, fake_embedder).ingest([docs])
    other = WordHashEmbedder(dimension=32, name="another-model")
    with pytest.raises(IndexMismatch, match="another-model"):
        _kb(tmp_path, other).ingest([docs])


def test_no_index_error_says_how_to_make_one(tmp_path, fake_embedder):
    with pytest.raises(IndexNotFound, match="Run: kb ingest corpus/"):
        _kb(tmp_path, fake_embedder).search("anything")


def test_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path, docs, fake_embedder):
    with IndexWriter(tmp_path / "index", fake_embedder.describe(), {"x": 1}), pytest.raises(IndexLocked, match="being written"):
        _kb(tmp_path, fake_embedder).ingest([docs])


def test_failed_write_leaves_the_previous_snapshot_current(tmp_path, docs, fake_embedder, monkeypatch):
    kb = _kb(tmp_path, fake_embedder)
    kb.ingest([docs])
    before = read_manifest(tmp_path / "index")
    _write(docs, "new.txt", "New doc\n\nSomething entirely new about welding.")

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(IndexWriter, "commit", boom)
    with pytest.raises(RuntimeError):
        kb.ingest([docs])
    assert read_manifest(tmp_path / "index") == before
    snapshots = {p.name for p in (tmp_path / "index" / "snapshots").iterdir()}
    assert snapshots == {before.snapshot}, "the half-built snapshot is deleted"
    assert kb.info().documents == 3


def test_filters_and_facets_count_documents(tmp_path, docs, fake_embedder):
    kb = _kb(tmp_path, fake_embedder)
    kb.ingest([docs])
    result = kb.search("training skills honey nets solar", mode="dense", filters=Filters(where={"country": ("kenya",)}))
    assert [h.doc_id for h in result.hits] == ["guides/bees.md"]
    result = kb.search("training", mode="dense", filters=Filters(types=("press_release",)))
    assert {h.type for h in result.hits} == {"press_release"}
    everything = kb.search("training skills", mode="dense", k=10)
    assert sum(everything.facets["type"].values()) == 3
    assert json.dumps(everything.facets)  # JSON-ready


def test_repeated_search_is_answered_from_the_cache_until_a_new_snapshot(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Apprenticeships\n\nQuality apprenticeships for young people.", encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([docs])
    first = kb.search("apprenticeships")
    assert kb.search("apprenticeships") is first
    assert kb.search("apprenticeships", k=3) is not first  # another question, another answer
    (docs / "b.md").write_text("# Apprenticeships in Ghana\n\nApprenticeships and apprenticeships again.", encoding="utf-8")
    kb.ingest([docs])
    fresh = kb.search("apprenticeships")
    assert fresh is not first and {h.doc_id for h in fresh.hits} == {"a.md", "b.md"}
    uncached = KnowledgeBase(Settings(index_dir=tmp_path / "index", result_cache=0), embedder=fake_embedder)
    assert uncached.search("apprenticeships") is not uncached.search("apprenticeships")


def test_commit_puts_the_new_snapshot_on_disk_before_the_manifest_names_it(tmp_path, docs, fake_embedder, monkeypatch):
    from kb.index import layout

    events: list[tuple[str, str]] = []
    fsync_dir, atomic_write = layout.fsync_dir, layout.atomic_write

    def recording_fsync_dir(path):
        events.append(("fsync", str(path)))
        fsync_dir(path)

    def recording_atomic_write(path, text):
        events.append(("replace", str(path)))
        atomic_write(path, text)

    monkeypatch.setattr(layout, "fsync_dir", recording_fsync_dir)
    monkeypatch.setattr(layout, "atomic_write", recording_atomic_write)
    _kb(tmp_path, fake_embedder).ingest([docs])
    index = tmp_path / "index"
    snapshot = index / "snapshots" / read_manifest(index).to_dict()["snapshot"]
    swap = events.index(("replace", str(index / "manifest.json")))
    synced_before = {path for kind, path in events[:swap] if kind == "fsync"}
    assert {str(snapshot), str(snapshot.parent), str(index)} <= synced_before, events


def test_a_forked_child_does_not_keep_the_write_lock(tmp_path, fake_embedder):
    import os
    import signal

    index = tmp_path / "index"
    writer = IndexWriter(index, fake_embedder.describe(), {"chunk_tokens": 200})
    writer.__enter__()
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # a file reader of the ingest: it must not hold the lock after its parent is gone
        os.write(ready_w, b"x")  # fork handlers have run by the time the child's own code runs
        signal.pause()
        os._exit(0)
    os.read(ready_r, 1)
    try:
        with pytest.raises(IndexLocked):
            IndexWriter(index, fake_embedder.describe(), {"chunk_tokens": 200}).__enter__()
        writer._lock.fh.close()  # the writer dies without unlocking, as under SIGKILL; its child lives on
        writer._lock.fh = None
        with IndexWriter(index, fake_embedder.describe(), {"chunk_tokens": 200}):
            pass
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_damaged_vectors_file_is_a_clear_error_not_a_traceback(tmp_path, docs, fake_embedder):
    _kb(tmp_path, fake_embedder).ingest([docs])
    index = tmp_path / "index"
    (index / "snapshots" / read_manifest(index).to_dict()["snapshot"] / "vectors.npy").write_bytes(b"not an array")
    with pytest.raises(IndexNotFound, match="missing or damaged"):
        KnowledgeBase(Settings(index_dir=index), embedder=fake_embedder).search("apprenticeships", mode="dense")


def _long_guide(section_two: str = "Mentors meet apprentices every week to review progress and plan tasks.",
                title: str = "Apprenticeship guide") -> str:
    sections = {
        "Planning": "Employers and unions agree on the occupations, the wages and the length of training. " * 12,
        "Mentoring": section_two + " " + "Workplace mentors are trained and given time for the role. " * 12,
        "Assessment": "Final assessments test practical skills at the workplace and knowledge in a written exam. " * 12,
    }
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections.items())
    return f"---\ntitle: {title}\n---\n# {title}\n\n{body}\n"


def _vectors_by_chunk(kb):
    reader = kb.reader()
    chunks = list(reader.all_chunks())
    vectors = reader.vectors_by_id([c.chunk_id for c in chunks])
    return {(c.doc_id, c.heading_path, c.text): v for c, v in zip(chunks, vectors)}


def test_an_edited_file_re_embeds_only_its_changed_chunks(tmp_path, fake_embedder):
    import numpy as np

    root = tmp_path / "docs"
    _write(root, "guide.md", _long_guide())
    kb = _kb(tmp_path, fake_embedder)
    first = kb.ingest([root])
    assert first.chunks_embedded >= 6
    _write(root, "guide.md", _long_guide("Mentors now meet apprentices twice a month and keep a shared logbook."))
    fake_embedder.encoded = 0
    report = kb.ingest([root])
    assert report.updated == ("guide.md",)
    assert 0 < report.chunks_embedded < first.chunks_embedded / 2
    assert fake_embedder.encoded == report.chunks_embedded  # topic vectors come from the cache
    # Every stored vector is the one a clean build of the edited file computes.
    clean = KnowledgeBase(Settings(index_dir=tmp_path / "clean"), embedder=WordHashEmbedder())
    clean.ingest([root])
    incremental, fresh = _vectors_by_chunk(kb), _vectors_by_chunk(clean)
    assert incremental.keys() == fresh.keys()
    assert all(np.array_equal(incremental[key], fresh[key]) for key in fresh)
    assert kb.search("shared logbook", mode="keyword").hits[0].doc_id == "guide.md"


def test_a_new_title_re_embeds_every_chunk_and_a_moved_file_none(tmp_path, fake_embedder):
    root = tmp_path / "docs"
    _write(root, "guide.md", _long_guide())
    kb = _kb(tmp_path, fake_embedder)
    first = kb.ingest([root])
    _write(root, "guide.md", _long_guide(title="Apprenticeships, a guide for employers"))
    retitled = kb.ingest([root])
    assert retitled.chunks_embedded == kb.info().chunks >= first.chunks_embedded  # the title goes with every chunk
    (root / "guide.md").rename(root / "apprenticeship-guide.md")
    fake_embedder.encoded = 0
    moved = kb.ingest([root])
    assert moved.added == ("apprenticeship-guide.md",) and moved.removed == ("guide.md",)
    assert moved.chunks_embedded == 0 and fake_embedder.encoded == 0
    assert kb.info().documents == 1
    assert kb.search("workplace mentors", mode="dense").hits[0].doc_id == "apprenticeship-guide.md"


def test_topic_vectors_are_embedded_once_per_taxonomy_and_model(tmp_path, monkeypatch):
    import dataclasses

    import numpy as np

    from kb.topics import Taxonomy, TopicTagger

    monkeypatch.setenv("KB_CACHE", str(tmp_path / "cache"))
    taxonomy = Taxonomy.load()
    first, second = WordHashEmbedder(), WordHashEmbedder()
    vectors = TopicTagger(taxonomy, first).topic_vectors
    assert first.encoded == len(taxonomy.topics)
    assert np.array_equal(TopicTagger(taxonomy, second).topic_vectors, vectors) and second.encoded == 0
    edited = dataclasses.replace(taxonomy, topics=(dataclasses.replace(taxonomy.topics[0], label="Something else"),
                                                   *taxonomy.topics[1:]))
    TopicTagger(edited, second).topic_vectors
    assert second.encoded == len(taxonomy.topics)
    other_model = WordHashEmbedder(name="another-model")
    TopicTagger(taxonomy, other_model).topic_vectors
    assert other_model.encoded == len(taxonomy.topics)
