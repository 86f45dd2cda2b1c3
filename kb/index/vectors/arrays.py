"""The exact vectors, keyed by chunk id: the store every index kind is built from.

Every snapshot keeps them as two plain arrays:

    chunk_ids.npy   int64 [n], ascending
    vectors.npy     float32 [n, dimension], row i is the vector of chunk_ids[i]

A flat index searches them as they are (kb/index/vectors/flat.py: one matrix-vector product over a
memory map, so a one-shot `kb search` needs numpy but not FAISS). An approximate index searches
compressed codes (ann.faiss, kb/index/vectors/ivf.py) and reads the arrays only for "more like this",
small filtered searches and the next snapshot's rebuild: `StoredVectors` reads single rows with pread
(not through a memory map), so what it reads stays in the page cache and never counts towards the
search process's memory.

Snapshots written before 2026-11-26 kept a flat index as vectors.faiss (an IndexIDMap2 over
IndexFlatIP); they are still read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FLAT_FILE = "vectors.faiss"
IDS_FILE = "chunk_ids.npy"
ARRAY_FILE = "vectors.npy"


# Set by start_blas_single: numpy had not loaded BLAS yet, so BLAS starts with one thread.
_blas_started_single = False


def start_blas_single() -> None:
    """In a process that has not loaded numpy yet (a one-shot `kb search`, kb/cli.py): have its BLAS start with one thread,
    the limit every search sets anyway (flat.one_blas_thread). OpenBLAS otherwise starts a pool of threads as numpy
    loads, which made numpy's import ~60 ms slower on the 2 busy cores (interleaved, 10 runs: 169 -> 101 ms); and
    the searches then need not load threadpoolctl (~7 ms) to set the limit. The variable is the process's own
    (a one-shot process starts no others); a process that already loaded numpy keeps the threadpoolctl limit."""
    global _blas_started_single
    import sys

    if "numpy" not in sys.modules:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        _blas_started_single = True


def blas_single() -> bool:
    """Whether numpy's BLAS started with one thread (start_blas_single) and is OpenBLAS, which that variable rules."""
    if not _blas_started_single:
        return False
    import numpy as np

    config = getattr(np.__config__, "CONFIG", {})  # numpy >= 2: the build's dependencies
    return "openblas" in str(config.get("Build Dependencies", {}).get("blas", {}).get("name", "")).lower()


def one_faiss_thread() -> None:
    """Let faiss use one OpenMP thread for the searches of the calling thread. OpenMP keeps this per thread, so each
    thread that searches sets it (a server's worker threads are not the thread that opened the index). A query is
    one vector, which a second thread does not speed up, while the idle team's threads wait by spinning: with two,
    a server spent 6-8 ms more CPU a request (labour-docs, one client asking in turn: 24-32 -> 21 ms)."""
    import faiss

    faiss.omp_set_num_threads(1)


def flushed(query: np.ndarray) -> np.ndarray:
    """A query vector (float32, one row) with its near-zero components set to zero. all-MiniLM-L6-v2 leaves two of
    its 384 dimensions at ~1e-32 in every vector; products of two such numbers fall below float32's normal range,
    which this CPU handles in microcode, per row: a flat scan of labour-docs took 0.94-1.43 ms with them, 0.80-0.83
    ms without, and its scores were the same (the products round to nothing in every sum)."""
    import numpy as np

    query = np.array(query, dtype="float32").reshape(-1)
    query[np.abs(query) < TINY] = 0.0
    return query


# Below this a component of a unit vector adds nothing a float32 sum can hold (its products are < 1e-20).
TINY = 1e-20


def read_flat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, vectors) out of a flat vectors.faiss, sorted by chunk id."""
    import faiss

    index = faiss.read_index(str(path))
    ids = faiss.vector_to_array(index.id_map).astype("int64")
    vectors = index.index.reconstruct_n(0, index.ntotal) if index.ntotal else _empty(index.d)
    return _sorted(ids, vectors)


def open_arrays(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(chunk ids, vectors) of a snapshot's .npy pair, memory-mapped read-only."""
    import numpy as np

    # Plain arrays over the maps: np.memmap wraps each indexing in Python (two a screened flat search).
    return np.asarray(np.load(folder / IDS_FILE, mmap_mode="r")), np.asarray(np.load(folder / ARRAY_FILE, mmap_mode="r"))


def write_arrays(folder: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
    import numpy as np

    np.save(folder / IDS_FILE, ids)
    np.save(folder / ARRAY_FILE, vectors)


def row_numbers(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The rows of the `wanted` chunk ids in sorted `ids`; KeyError when one is missing."""
    import numpy as np

    wanted = np.asarray(wanted, dtype="int64")
    if not len(wanted):
        return np.zeros(0, dtype="int64")
    rows = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    if not len(ids) or not np.array_equal(ids[rows], wanted):
        raise KeyError(f"no stored vector for some of the chunk ids {wanted[:5].tolist()}")
    return rows


class StoredVectors:
    """The exact vectors of a snapshot's .npy pair, for readers: rows are read from disk on demand."""

    def __init__(self, folder: Path) -> None:
        import numpy as np

        self.ids = np.load(folder / IDS_FILE, mmap_mode="r")  # 8 B per chunk, binary-searched
        self._file = open(folder / ARRAY_FILE, "rb")  # noqa: SIM115 - kept open for the reader's life (close())
        version = np.lib.format.read_magic(self._file)
        shape, _, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)(self._file)
        if dtype != np.dtype("float32") or len(shape) != 2:
            raise ValueError(f"{folder / ARRAY_FILE} holds {dtype} {shape}, not float32 rows")
        self.dimension = int(shape[1])
        self._start = self._file.tell()
        self._row_bytes = 4 * self.dimension

    def get(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The vectors of these chunk ids, in the order asked."""
        import numpy as np

        rows = row_numbers(self.ids, chunk_ids)
        out = np.empty((len(rows), self.dimension), dtype="float32")
        fd = self._file.fileno()
        for i, row in enumerate(rows.tolist()):
            out[i] = np.frombuffer(os.pread(fd, self._row_bytes, self._start + row * self._row_bytes), dtype="float32")
        return out

    def close(self) -> None:
        self._file.close()


def _empty(dimension: int) -> np.ndarray:
    import numpy as np

    return np.zeros((0, dimension), dtype="float32")


def _sorted(ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
        order = np.argsort(ids, kind="stable")
        return ids[order], vectors[order]
    return ids, vectors


class VectorTable:
    """The writer's working copy: the previous snapshot's vectors plus this run's adds and removals.

    The previous vectors stay as they were read (possibly a memory map); removals are marks and adds
    are kept apart, so `removed()` and `added()` tell an approximate index exactly what to update.
    """

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        import numpy as np

        self.dimension = int(vectors.shape[1])
        self._ids = ids
        self._vectors = vectors
        self._kept = np.ones(len(ids), dtype=bool)
        self._added: dict[int, np.ndarray] = {}  # chunk id -> vector, in the order added

    @classmethod
    def empty(cls, dimension: int) -> VectorTable:
        import numpy as np

        return cls(np.zeros(0, dtype="int64"), _empty(dimension))

    @classmethod
    def load(cls, folder: Path) -> VectorTable:
        """The vectors of a snapshot, from whichever form it stored them in."""
        if (folder / IDS_FILE).exists():
            return cls(*open_arrays(folder))
        return cls(*read_flat(folder / FLAT_FILE))

    def __len__(self) -> int:
        return int(self._kept.sum()) + len(self._added)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        for chunk_id, vector in zip(ids, vectors):
            self._added[int(chunk_id)] = vector

    def remove(self, ids: np.ndarray) -> None:
        import numpy as np

        ids = np.asarray(ids, dtype="int64")
        for chunk_id in ids:
            self._added.pop(int(chunk_id), None)
        rows = np.searchsorted(self._ids, ids)
        found = rows < len(self._ids)
        found[found] = self._ids[rows[found]] == ids[found]
        self._kept[rows[found]] = False

    def get(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of these chunk ids, in the order asked; KeyError for an id not in the table."""
        import numpy as np

        ids = np.asarray(ids, dtype="int64")
        out = np.empty((len(ids), self.dimension), dtype="float32")
        rows = np.searchsorted(self._ids, ids)
        for i, (chunk_id, row) in enumerate(zip(ids.tolist(), rows.tolist())):
            if chunk_id in self._added:
                out[i] = self._added[chunk_id]
            elif row < len(self._ids) and self._ids[row] == chunk_id and self._kept[row]:
                out[i] = self._vectors[row]
            else:
                raise KeyError(f"no vector for chunk id {chunk_id}")
        return out

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) of everything now in the table, sorted by chunk id, in RAM."""
        import numpy as np

        added_ids, added_vectors = self.added()
        ids = np.concatenate([self._ids[self._kept], added_ids])
        vectors = np.concatenate([np.asarray(self._vectors[self._kept], dtype="float32"), added_vectors])
        return _sorted(ids, vectors)

    def added(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) added in this run."""
        import numpy as np

        if not self._added:
            return np.zeros(0, dtype="int64"), _empty(self.dimension)
        return (np.fromiter(self._added, dtype="int64", count=len(self._added)),
                np.vstack(list(self._added.values())).astype("float32"))

    def removed(self) -> np.ndarray:
        """Chunk ids of the previous snapshot removed in this run."""
        return self._ids[~self._kept]
