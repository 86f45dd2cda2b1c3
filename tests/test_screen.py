"""The flat kind's 8-bit screen (kb/index/vectors/screen.py) changes how much is read, never the answer: every query
through it returns what a scan of every vector returns, ties included; what it cannot prove it scans."""

from __future__ import annotations

import numpy as np
import pytest

from kb.display import _index_kind
from kb.index.store import open_reader, read_manifest
from kb.index.vectors import screen
from kb.index.vectors.flat import FlatVectors
from tests.test_vector_kinds import _vectors, _write

DIMENSION = 32


def _clustered(rows: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few dozen topics, as chunk embeddings are, with some rows repeated exactly (the same
    passage in two documents): close scores and exact ties, where a screen could go wrong."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIMENSION))
    data = centres[rng.integers(0, 40, rows)] + 0.6 * rng.standard_normal((rows, DIMENSION))
    copies = rng.choice(rows, rows // 20, replace=False)
    data[copies] = data[rng.choice(rows, len(copies))]
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype("float32")


@pytest.fixture
def screened(tmp_path):
    """(flat vectors searched through a screen, the same vectors scanned whole, the queries)."""
    vectors = _clustered(6000)
    ids = np.sort(np.random.default_rng(1).choice(100_000, len(vectors), replace=False)).astype("int64")
    assert screen.build(tmp_path, vectors) == {"screen": screen.SCREEN_FILE}
    queries = _clustered(150, seed=2)
    return FlatVectors(ids, vectors, tmp_path), FlatVectors(ids, vectors), queries


@pytest.mark.parametrize("k", [1, 10, 200])
def test_the_screen_returns_what_a_full_scan_returns(screened, k):
    through, whole, queries = screened
    through.search(queries[0], k)  # the first search scans; the screen is read at the second
    used = 0
    for query in queries:
        scores, ids = through.search(query, k)
        expected_scores, expected_ids = whole.search(query, k)
        assert ids.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-6)
        used += through._screen is not None and through._screen.top_rows(through.vectors, query, k) is not None
    assert used >= 0.9 * len(queries)  # the screen answered (not the fallback scan) for nearly every query


def test_no_k_and_every_k_are_answered_as_a_full_scan_answers_them(screened):
    through, whole, queries = screened
    for k in (0, 0, len(whole), len(whole) + 5):
        assert through.search(queries[0], k)[1].tolist() == whole.search(queries[0], k)[1].tolist()


def test_a_one_shot_search_never_reads_the_screen(screened):
    through, _, queries = screened
    through.search(queries[0], 10)
    assert through._screen is None
    through.search(queries[1], 10)
    assert through._screen is not None


@pytest.mark.parametrize("damage", ["missing", "truncated", "another snapshot's"])
def test_a_missing_or_damaged_screen_leaves_the_exact_search_answering(screened, tmp_path, damage):
    through, whole, queries = screened
    screen_file = tmp_path / screen.SCREEN_FILE
    if damage == "missing":
        screen_file.unlink()
    elif damage == "truncated":
        screen_file.write_bytes(screen_file.read_bytes()[:1000])
    else:  # a screen of other vectors: fewer rows than the snapshot has
        screen.build(tmp_path, _clustered(5000, seed=9))
    for query in queries[:5]:
        assert through.search(query, 10)[1].tolist() == whole.search(query, 10)[1].tolist()
    assert through._screen is None


def test_what_the_screen_cannot_prove_is_scanned(tmp_path):
    # Every vector nearly equal: the k-th score sits within the screen's error of thousands of others.
    base = np.ones(DIMENSION, dtype="float32")
    vectors = base + 1e-4 * np.random.default_rng(3).standard_normal((5000, DIMENSION)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    screen.build(tmp_path, vectors)
    ids = np.arange(len(vectors), dtype="int64")
    through, whole = FlatVectors(ids, vectors, tmp_path), FlatVectors(ids, vectors)
    query = vectors[7]
    through.search(query, 50)
    assert screen.Screen.open(tmp_path, len(vectors), DIMENSION).top_rows(vectors, query, 50) is None
    assert through.search(query, 50)[1].tolist() == whole.search(query, 50)[1].tolist()


def test_ties_at_the_kth_place_go_to_the_smaller_chunk_ids():
    # 60 copies of one vector among 3,000 others: the k best are copies, and which ones must not depend on the rows.
    rng = np.random.default_rng(4)
    vectors = _clustered(3000, seed=5)
    query = vectors[0]
    vectors = vectors[vectors @ query < 0.9]
    copies = rng.choice(len(vectors), 60, replace=False)
    vectors[copies] = query
    ids = np.arange(len(vectors), dtype="int64") * 3
    for k in (1, 5, 40):
        assert FlatVectors(ids, vectors).search(query, k)[1].tolist() == sorted(ids[copies].tolist())[:k]


def test_a_snapshot_gets_a_screen_from_a_size_on_and_a_reader_uses_it(tmp_path, monkeypatch):
    _write(tmp_path / "small", "flat")  # 120 chunks: below SCREEN_MIN_CHUNKS
    assert "screen" not in read_manifest(tmp_path / "small").index.params
    monkeypatch.setattr(screen, "SCREEN_MIN_CHUNKS", 100)
    monkeypatch.setattr(screen, "SCREEN_SLACK", 0)
    monkeypatch.setattr(screen, "SCREEN_MAX_SHARE", 1.0)
    _write(tmp_path / "big", "flat")
    assert read_manifest(tmp_path / "big").index.params == {"screen": screen.SCREEN_FILE}
    assert _index_kind(read_manifest(tmp_path / "big").index.to_dict()) == "flat (8-bit screen)"  # what `kb info` says
    with open_reader(tmp_path / "big") as reader:
        query = _vectors(17)[0]
        first = reader.vectors.search(query, 5)
        second = reader.vectors.search(query, 5)
        assert reader.vectors._screen is not None
        assert second[1].tolist() == first[1].tolist() and second[1][0] == next(
            c.chunk_id for c in reader.chunks_of("doc-17") if c.ordinal == 0)


def test_a_search_thread_searches_with_one_openmp_thread(screened):
    """OpenMP keeps its thread count per thread: a server's worker thread, not the one that opened the index, must
    search with one thread too (with two, the idle one spun and cost a server 6-8 ms of CPU a request)."""
    import threading

    import faiss

    through, _, queries = screened
    through.search(queries[0], 10)
    through.search(queries[1], 10)  # the screen is read here, in this thread
    threads_seen: list[int] = []

    def search() -> None:
        faiss.omp_set_num_threads(4)  # as a thread starts with OMP_NUM_THREADS or every core
        through.search(queries[2], 10)  # through the screen
        threads_seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=search)
    worker.start()
    worker.join(30)
    assert threads_seen == [1]


def test_a_dimension_near_zero_in_every_vector_neither_changes_the_answer_nor_reaches_faiss_subnormal(tmp_path):
    """all-MiniLM-L6-v2 leaves two dimensions at ~1e-32 in every vector: their range is ~0, and the query scaled by
    it would hand faiss subnormal numbers, which this CPU multiplies in microcode (a scan ~3x slower)."""
    vectors = _clustered(5000, seed=11)
    vectors[:, 3] = np.random.default_rng(12).uniform(-3e-32, 3e-32, len(vectors)).astype("float32")
    screen.build(tmp_path, vectors)
    ids = np.arange(len(vectors), dtype="int64")
    through, whole = FlatVectors(ids, vectors, tmp_path), FlatVectors(ids, vectors)
    queries = _clustered(20, seed=13)
    queries[:, 3] = -2.5e-33
    through.search(queries[0], 10)
    through.search(queries[0], 10)
    handed: list[np.ndarray] = []
    search = through._screen.index.search

    def watched(query, k):
        handed.append(query.copy())
        return search(query, k)

    through._screen.index.search = watched
    for query in queries:
        assert through.search(query, 10)[1].tolist() == whole.search(query, 10)[1].tolist()
    tiny = np.finfo(np.float32).tiny
    assert handed and not any(((q != 0) & (np.abs(q) < tiny)).any() for q in handed)


def test_an_unreadable_screen_is_reported_by_the_integrity_check(tmp_path, monkeypatch):
    monkeypatch.setattr(screen, "SCREEN_MIN_CHUNKS", 100)
    _write(tmp_path, "flat")
    with open_reader(tmp_path) as reader:
        assert reader.check_integrity() == []
        (reader.snapshot_dir / screen.SCREEN_FILE).write_bytes(b"torn")
        problems = reader.check_integrity()
        assert len(problems) == 1 and "screen" in problems[0] and "kb reindex" in problems[0]
        assert reader.vectors.search(_vectors(17)[0], 5)[1].tolist()  # searches still answer
