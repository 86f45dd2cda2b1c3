"""Every registered vector index kind behaves the same behind the VectorIndex protocol: the nearest vector comes
first, filters hold, stored vectors come back exact, removals and additions show in the next snapshot, and an old
snapshot still reads while a new one is written."""

from __future__ import annotations

import numpy as np
import pytest

from kb.index import vectors
from kb.index.store import IndexWriter, open_reader, read_manifest
from kb.records import Chunk, Document
from tests.conftest import WordHashEmbedder

KINDS = sorted(vectors.KINDS)
DIMENSION = 16
MODEL = WordHashEmbedder(dimension=DIMENSION).describe()
DOCUMENTS = 60  # two chunks each: 120 vectors, enough to train an ivf index's lists


def _vectors(number: int) -> np.ndarray:
    """Two unit vectors for document `number` (the same number gives the same vectors)."""
    rows = np.random.default_rng(number).standard_normal((2, DIMENSION)).astype("float32")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _write(index_dir, kind: str, add=range(DOCUMENTS), remove=()) -> None:
    with IndexWriter(index_dir, MODEL, {"chunk_tokens": 200}, index_kind=kind) as writer:
        writer.remove_documents([f"doc-{n}" for n in remove])
        for n in add:
            doc = Document(doc_id=f"doc-{n}", title=f"Document {n}", type="report" if n % 2 else "guide", date=None,
                           language="en", source=f"doc-{n}", format="txt", content_hash=str(n))
            chunks = [Chunk(doc_id=doc.doc_id, ordinal=i, text=f"text {n} {i}", n_tokens=3) for i in range(2)]
            writer.add_document(doc, "root", chunks, _vectors(n))
        writer.commit()


def _chunk_of(reader, number: int, ordinal: int = 0) -> int:
    return next(c.chunk_id for c in reader.chunks_of(f"doc-{number}") if c.ordinal == ordinal)


@pytest.fixture(params=KINDS)
def index(request, tmp_path):
    folder = tmp_path / "index"
    _write(folder, request.param)
    return folder, request.param


def test_the_index_is_of_the_kind_asked_for(index):
    folder, kind = index
    assert read_manifest(folder).index.kind == kind
    with open_reader(folder) as reader:
        assert len(reader.vectors) == 2 * DOCUMENTS
        assert reader.vectors.exact == (kind == "flat")


def test_a_stored_vector_finds_its_own_chunk_first(index):
    folder, _ = index
    with open_reader(folder) as reader:
        for number in (3, 17, 42):
            scores, ids = reader.vectors.search(_vectors(number)[1], 5)
            assert ids[0] == _chunk_of(reader, number, 1)
            assert scores[0] == pytest.approx(1.0, abs=0.02)  # ivf scores its 8-bit codes
            assert list(scores) == sorted(scores, reverse=True)


def test_only_allowed_chunks_come_back(index):
    folder, _ = index
    with open_reader(folder) as reader:
        allowed = np.asarray(reader.chunk_ids_of([f"doc-{n}" for n in range(0, DOCUMENTS, 7)]), dtype="int64")
        scores, ids = reader.vectors.search(_vectors(3)[0], 10, allowed)
        assert len(ids) == 10 and set(ids.tolist()) <= set(allowed.tolist())
        assert _chunk_of(reader, 3) not in ids.tolist()


def test_stored_vectors_come_back_exact_in_the_order_asked(index):
    folder, _ = index
    with open_reader(folder) as reader:
        ids = [_chunk_of(reader, 9, 1), _chunk_of(reader, 2, 0)]
        np.testing.assert_array_equal(reader.vectors.get(np.asarray(ids)), np.vstack([_vectors(9)[1], _vectors(2)[0]]))
        with pytest.raises(KeyError):
            reader.vectors.get(np.asarray([10_000_000]))


def test_removals_and_additions_show_in_the_next_snapshot_and_the_old_one_still_reads(index):
    folder, kind = index
    with open_reader(folder) as old:
        removed_chunk = _chunk_of(old, 5)
        _write(folder, kind, add=[DOCUMENTS, DOCUMENTS + 1], remove=[5])
        with open_reader(folder) as new:
            assert len(new.vectors) == 2 * DOCUMENTS + 2
            assert removed_chunk not in new.vectors.search(_vectors(5)[0], 20)[1].tolist()
            assert new.vectors.search(_vectors(DOCUMENTS + 1)[0], 1)[1][0] == _chunk_of(new, DOCUMENTS + 1)
        # The reader opened before the write still answers from its own snapshot.
        assert old.vectors.search(_vectors(5)[0], 1)[1][0] == removed_chunk


def test_the_ivf_kind_searches_with_one_openmp_thread_in_any_thread(tmp_path):
    """OpenMP keeps its thread count per thread: a server's worker thread, not the one that opened the index, must
    search with one thread too (the idle ones spin, taking CPU from the other searches)."""
    import threading

    import faiss

    folder = tmp_path / "index"
    _write(folder, "ivf")
    seen: list[int] = []
    with open_reader(folder) as reader:
        reader.vectors.search(_vectors(3)[1], 5)

        def search() -> None:
            faiss.omp_set_num_threads(4)  # as a thread starts with OMP_NUM_THREADS or every core
            reader.vectors.search(_vectors(5)[1], 5)
            seen.append(faiss.omp_get_max_threads())

        worker = threading.Thread(target=search)
        worker.start()
        worker.join(30)
    assert seen == [1]
