"""Index kinds: flat and ivf (IVF-SQ8) indexes answer alike, stay in step with updates, say what they are."""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
import pytest
from click.testing import CliRunner

from kb import Filters, KnowledgeBase, Settings
from kb.cli import main
from kb.errors import ConfigError
from kb.index import vectors as kinds
from kb.index.store import IndexWriter, read_manifest
from kb.index.vectors import ivf as ann
from kb.records import Chunk, Document
from tests.conftest import WordHashEmbedder

VOCABULARY = [f"w{i}" for i in range(300)]
TYPES = ("press_release", "tool_report", "skills_guide")


def _document(number: int, doc_type: str | None = None) -> tuple[Document, list[Chunk]]:
    """A document of two chunks of random words (the same number gives the same document)."""
    rng = np.random.default_rng(number)
    doc_id = f"doc-{number:04d}"
    texts = [" ".join(rng.choice(VOCABULARY, 8)) for _ in range(2)]
    doc = Document(doc_id=doc_id, title=f"Document {number}", type=doc_type or TYPES[number % 3], date=None,
                   language="en", source=doc_id, format="text", content_hash=hashlib.sha256(doc_id.encode()).hexdigest())
    return doc, [Chunk(doc_id=doc_id, ordinal=i, text=t, n_tokens=10) for i, t in enumerate(texts)]


@cache
def _vectors(number: int) -> np.ndarray:
    """The fake embedder's vectors of a document's chunks (computed once per test session)."""
    return WordHashEmbedder().encode([c.text for c in _document(number)[1]])


def _write(index_dir, embedder, numbers, *, kind=None, remove=(), speeches=()):
    """One snapshot: remove documents, then add documents (those in `speeches` of the rare type 'speech')."""
    with IndexWriter(index_dir, embedder.describe(), {"chunk_tokens": 200}, index_kind=kind) as writer:
        writer.remove_documents([f"doc-{n:04d}" for n in remove])
        for number in numbers:
            doc, chunks = _document(number, "speech" if number in speeches else None)
            writer.add_document(doc, "root", chunks, _vectors(number))
        return writer.commit().to_dict()


@pytest.fixture
def embedder() -> WordHashEmbedder:
    return WordHashEmbedder()


@pytest.fixture
def ivf_dir(tmp_path, embedder):
    """An ivf index of 250 documents (500 chunks), three of them of the rare type 'speech'."""
    _write(tmp_path / "ivf", embedder, range(250), kind="ivf", speeches={7, 70, 170})
    return tmp_path / "ivf"


@pytest.fixture
def flat_dir(tmp_path, embedder):
    """The same documents in a flat index."""
    _write(tmp_path / "flat", embedder, range(250), kind="flat", speeches={7, 70, 170})
    return tmp_path / "flat"


def _kb(index_dir, embedder) -> KnowledgeBase:
    return KnowledgeBase(Settings(index_dir=index_dir), embedder=embedder)


def _probing(index_dir, embedder, nprobe: int) -> KnowledgeBase:
    """A KnowledgeBase whose ivf reader scans only `nprobe` lists per query."""
    kb = _kb(index_dir, embedder)
    kb.reader().vectors.nprobe = nprobe
    return kb


def _chunk_text(number: int, ordinal: int = 0) -> str:
    return _document(number)[1][ordinal].text


def test_ivf_is_recorded_in_the_manifest_and_finds_a_known_vector(ivf_dir, embedder):
    index = read_manifest(ivf_dir).to_dict()["index"]
    assert index["kind"] == "ivf" and index["requested"] == "ivf"
    assert index["quantizer"] == "SQ8" and index["ntotal"] == 500 and index["trained_on"] == 500
    assert index["nlist"] == ann.ivf_lists(500) > 1 and index["nprobe"] == min(ann.NPROBE, index["nlist"])
    snapshot = ivf_dir / "snapshots" / read_manifest(ivf_dir).to_dict()["snapshot"]
    assert {p.name for p in snapshot.iterdir()} >= {"ann.faiss", "vectors.npy", "chunk_ids.npy"}
    assert not (snapshot / "vectors.faiss").exists(), "an ivf index keeps no flat copy for readers to load"
    hits = _kb(ivf_dir, embedder).search(_chunk_text(123, 1), mode="dense", k=3).hits
    assert hits[0].doc_id == "doc-0123"
    assert hits[0].score == pytest.approx(1.0, abs=0.02)  # the cosine of 8-bit codes


def test_auto_is_flat_up_to_the_threshold_and_ivf_above(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(kinds, "AUTO_FLAT_MAX_CHUNKS", 100)
    assert _write(tmp_path / "index", embedder, range(50))["index"]["kind"] == "flat"  # 100 chunks
    grown = _write(tmp_path / "index", embedder, range(50, 100))
    assert grown["index"]["kind"] == "ivf" and grown["index"]["requested"] == "auto"
    shrunk = _write(tmp_path / "index", embedder, [], remove=range(30, 100))
    assert shrunk["index"]["kind"] == "flat"
    hits = _kb(tmp_path / "index", embedder).search(_chunk_text(12), mode="dense").hits
    assert hits[0].doc_id == "doc-0012"


def test_too_few_chunks_for_one_list_stay_flat_until_they_grow(tmp_path, embedder):
    first = _write(tmp_path / "index", embedder, range(10), kind="ivf")["index"]  # 20 chunks
    assert first["kind"] == "flat" and first["requested"] == "ivf"
    grown = _write(tmp_path / "index", embedder, range(10, 40))["index"]
    assert grown["kind"] == "ivf" and grown["nlist"] == ann.ivf_lists(80)
    removed = _write(tmp_path / "index", embedder, [], remove=range(40))["index"]
    assert removed["kind"] == "flat" and removed["ntotal"] == 0
    assert _kb(tmp_path / "index", embedder).search("w1 w2", mode="dense").hits == ()


def test_small_filtered_set_is_searched_exactly_like_flat(ivf_dir, flat_dir, embedder):
    query = _chunk_text(5) + " " + _chunk_text(99)
    speech = Filters(types=("speech",))
    # A one-list probe would miss most of a rare type's chunks; the exact path does not probe.
    approximate = _probing(ivf_dir, embedder, nprobe=1).search(query, mode="dense", k=10, filters=speech)
    exact = _kb(flat_dir, embedder).search(query, mode="dense", k=10, filters=speech)
    assert [h.doc_id for h in approximate.hits] == [h.doc_id for h in exact.hits]
    assert {h.doc_id for h in approximate.hits} == {"doc-0007", "doc-0070", "doc-0170"}
    assert [h.score for h in approximate.hits] == pytest.approx([h.score for h in exact.hits], abs=1e-5)


def test_large_filtered_set_probes_the_index_and_returns_only_allowed_documents(ivf_dir, flat_dir, embedder, monkeypatch):
    monkeypatch.setattr(ann, "EXACT_FILTER_MAX_CHUNKS", 0)  # every filter goes through the ivf index
    kb = _probing(ivf_dir, embedder, nprobe=1)
    tools = Filters(types=("tool_report",))
    for number in (4, 40, 199):  # tool reports (number % 3 == 1)
        query = _chunk_text(number)
        approximate = kb.search(query, mode="dense", k=10, filters=tools)
        exact = _kb(flat_dir, embedder).search(query, mode="dense", k=10, filters=tools)
        assert len(approximate.hits) == 10
        assert {h.type for h in approximate.hits} == {"tool_report"}
        assert approximate.hits[0].doc_id == exact.hits[0].doc_id == f"doc-{number:04d}"
    speech = kb.search(_chunk_text(5), mode="dense", k=10, filters=Filters(types=("speech",)))
    assert {h.doc_id for h in speech.hits} == {"doc-0007", "doc-0070", "doc-0170"}, "too few in the probed lists: scan all"


def test_updates_reach_the_ivf_index_without_retraining(ivf_dir, embedder):
    before = read_manifest(ivf_dir).to_dict()["index"]
    after = _write(ivf_dir, embedder, range(250, 300), remove=range(20))["index"]
    assert after["kind"] == "ivf" and after["requested"] == "ivf", "the index keeps the kind it was asked for"
    assert after["trained_on"] == before["trained_on"] == 500 and after["nlist"] == before["nlist"]
    assert after["ntotal"] == 2 * (250 - 20 + 50)
    kb = _kb(ivf_dir, embedder)
    assert kb.search(_chunk_text(280), mode="dense", k=3).hits[0].doc_id == "doc-0280"
    assert all(h.doc_id != "doc-0012" for h in kb.search(_chunk_text(12), mode="dense", k=10).hits)
    reader = kb.reader()
    assert reader.vectors.ntotal == reader.counts()[1] == after["ntotal"]
    new_chunk = reader.chunk_ids_of(["doc-0280"])[0]
    expected = embedder.encode([_chunk_text(280)])[0]
    assert np.allclose(reader.vectors_by_id([new_chunk])[0], expected, atol=1e-6)


def test_growth_past_the_retrain_factor_retrains(ivf_dir, embedder):
    after = _write(ivf_dir, embedder, range(250, 600))["index"]  # 500 -> 1200 chunks
    assert after["trained_on"] == after["ntotal"] == 1200 and after["nlist"] == ann.ivf_lists(1200)
    assert _kb(ivf_dir, embedder).search(_chunk_text(555), mode="dense", k=3).hits[0].doc_id == "doc-0555"


def test_similar_documents_and_a_switch_back_to_flat(ivf_dir, flat_dir, embedder):
    approximate = _kb(ivf_dir, embedder).similar("doc-0042", k=5)
    exact = _kb(flat_dir, embedder).similar("doc-0042", k=5)
    assert approximate.hits[0].doc_id == exact.hits[0].doc_id
    manifest = _write(ivf_dir, embedder, [], remove=[1], kind="flat")
    assert manifest["index"]["kind"] == "flat"
    assert _kb(ivf_dir, embedder).search(_chunk_text(42), mode="dense").hits[0].doc_id == "doc-0042"


def test_kb_info_shows_the_kind(ivf_dir):
    result = CliRunner().invoke(main, ["info", "--index", str(ivf_dir)])
    assert result.exit_code == 0, result.output
    nlist = read_manifest(ivf_dir).to_dict()["index"]["nlist"]
    assert f"ivf (nlist {nlist}, nprobe {min(ann.NPROBE, nlist)}, SQ8)" in result.output
    as_json = CliRunner().invoke(main, ["info", "--index", str(ivf_dir), "--json"])
    assert '"kind": "ivf"' in as_json.output


def test_the_setting_and_the_option(monkeypatch):
    monkeypatch.setenv("KB_INDEX_KIND", "ivf")
    assert Settings.from_env().index_kind == "ivf"
    assert Settings.from_env(index_kind="flat").index_kind == "flat"
    monkeypatch.setenv("KB_INDEX_KIND", "hnsw")
    with pytest.raises(ConfigError, match="KB_INDEX_KIND='hnsw'"):
        Settings.from_env()
    monkeypatch.delenv("KB_INDEX_KIND")
    assert Settings.from_env().index_kind is None  # an existing index keeps its kind
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert "--index-kind [auto|flat|ivf]" in result.output and f"{kinds.AUTO_FLAT_MAX_CHUNKS:,}" in result.output


def test_ingest_builds_the_kind_the_settings_ask_for(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(60):
        (docs / f"{number}.txt").write_text(f"Title {number}\n\n{_chunk_text(number)}", encoding="utf-8")
    KnowledgeBase(Settings(index_dir=tmp_path / "index", index_kind="ivf"), embedder=embedder).ingest([docs])
    assert read_manifest(tmp_path / "index").to_dict()["index"]["kind"] == "ivf"


def test_flat_search_with_numpy_matches_faiss_exact_search():
    """FlatVectors (numpy over the stored arrays) ranks as FAISS's IndexFlatIP does, with and without a filter."""
    import faiss

    from kb.index.vectors.flat import FlatVectors

    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((2000, 32)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.sort(rng.choice(10**6, 2000, replace=False)).astype("int64")
    reference = faiss.IndexIDMap2(faiss.IndexFlatIP(32))
    reference.add_with_ids(vectors, ids)
    flat = FlatVectors(ids, vectors)
    allowed = np.concatenate([rng.choice(ids, 300, replace=False), [7, 10**7]])  # two ids with no vector
    for query in rng.standard_normal((20, 32)).astype("float32"):
        want_scores, want_ids = reference.search(query[None], 50)
        scores, found = flat.search(query, 50)
        assert found.tolist() == want_ids[0].tolist()
        assert np.allclose(scores, want_scores[0], atol=1e-5)
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        want_scores, want_ids = reference.search(query[None], 50, params=params)
        scores, found = flat.search(query, 50, allowed)
        assert found.tolist() == want_ids[0].tolist() and set(found) <= set(allowed)
    assert flat.search(rng.standard_normal(32), 10, np.array([3], dtype="int64"))[1].tolist() == []
    assert np.array_equal(flat.get(ids[[5, 1]]), vectors[[5, 1]])
    with pytest.raises(KeyError):
        flat.get(np.array([7]))


def test_a_flat_snapshot_of_an_earlier_release_is_still_read(flat_dir, embedder):
    """Before vectors.npy, a flat snapshot kept its vectors in vectors.faiss; such an index still answers."""
    import faiss

    snapshot = flat_dir / "snapshots" / read_manifest(flat_dir).to_dict()["snapshot"]
    ids, vectors = np.load(snapshot / "chunk_ids.npy"), np.load(snapshot / "vectors.npy")
    legacy = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    legacy.add_with_ids(vectors, ids)
    faiss.write_index(legacy, str(snapshot / "vectors.faiss"))
    (snapshot / "chunk_ids.npy").unlink()
    (snapshot / "vectors.npy").unlink()
    assert _kb(flat_dir, embedder).search(_chunk_text(123, 1), mode="dense", k=3).hits[0].doc_id == "doc-0123"
    _write(flat_dir, embedder, [300], kind="flat")  # the next snapshot is built from the old file, in the new form
    snapshot = flat_dir / "snapshots" / read_manifest(flat_dir).to_dict()["snapshot"]
    assert (snapshot / "vectors.npy").exists() and not (snapshot / "vectors.faiss").exists()
    kb = _kb(flat_dir, embedder)
    assert kb.search(_chunk_text(300), mode="dense", k=3).hits[0].doc_id == "doc-0300"
    assert kb.search(_chunk_text(123, 1), mode="dense", k=3).hits[0].doc_id == "doc-0123"
