"""The flat kind: exact inner-product search over every stored vector.

Every vector in RAM (1.5 KB per chunk at 384 dimensions) and every query compares them all: exact,
and fast enough while the index is small (see AUTO_FLAT_MAX_CHUNKS in kb/index/vectors/__init__.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index.vectors.arrays import ARRAY_FILE, FLAT_FILE, IDS_FILE, open_arrays, read_flat, row_numbers

if TYPE_CHECKING:
    import numpy as np

    from kb.index.manifest import VectorIndexSpec
    from kb.index.vectors.arrays import VectorTable

NAME = "flat"


class FlatVectors:
    """Exact inner-product search over a snapshot's vectors: what a flat index is.

    numpy's matrix-vector product reads the memory-mapped rows once per query; at the 50,000 chunks
    up to which `auto` keeps an index flat that is ~77 MB and a few milliseconds, as with FAISS's own
    flat index, which computes the same sums.
    """

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) != len(vectors) or vectors.ndim != 2:
            raise ValueError(f"{len(ids)} chunk ids for vectors of shape {vectors.shape}")
        self.ids = ids
        self.vectors = vectors
        self.ntotal = len(ids)
        self.d = int(vectors.shape[1])

    @classmethod
    def open(cls, folder: Path) -> FlatVectors:
        """The snapshot's arrays, memory-mapped; or an older snapshot's vectors.faiss, read into memory."""
        if not (folder / IDS_FILE).exists() and (folder / FLAT_FILE).exists():
            return cls(*read_flat(folder / FLAT_FILE))
        ids, vectors = open_arrays(folder)
        if vectors.dtype.name != "float32" or ids.dtype.name != "int64":
            raise ValueError(f"{folder / ARRAY_FILE} holds {vectors.dtype}, ids {ids.dtype}")
        return cls(ids, vectors)

    def search(self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, chunk ids) of the k best rows for one query vector, best first; only `allowed_ids` if given."""
        import numpy as np

        query = np.asarray(query, dtype="float32").reshape(-1)
        if allowed_ids is None:
            ids, scores = self.ids, self.vectors @ query
        else:
            allowed_ids = np.unique(np.asarray(allowed_ids, dtype="int64"))
            rows = np.searchsorted(self.ids, allowed_ids)
            inside = rows < self.ntotal
            rows = rows[inside]
            rows = rows[self.ids[rows] == allowed_ids[inside]]  # ids with no vector are skipped, as FAISS does
            ids, scores = self.ids[rows], self.vectors[rows] @ query
        k = min(k, len(ids))
        if k <= 0:
            return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.lexsort((ids[top], -scores[top]))]  # best first; ties by chunk id, so runs repeat
        return scores[top].astype("float32"), np.asarray(ids[top], dtype="int64")

    def get(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The vectors of these chunk ids, in the order asked; KeyError for an unknown id."""
        import numpy as np

        return np.asarray(self.vectors[row_numbers(self.ids, chunk_ids)], dtype="float32")

    def reconstruct(self, chunk_id: int) -> np.ndarray:
        import numpy as np

        return self.get(np.asarray([chunk_id], dtype="int64"))[0]

    # -- the VectorIndex protocol ------------------------------------------------------------------
    exact = True

    def __len__(self) -> int:
        return self.ntotal

    def close(self) -> None:
        pass


def build(folder: Path, ids: np.ndarray, vectors: np.ndarray, table: VectorTable,
          previous: VectorIndexSpec | None, previous_folder: Path | None) -> Mapping[str, Any]:
    """Nothing to write beyond the arrays every snapshot keeps; no parameters."""
    return {}


def one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in this process. A query is one matrix-vector product, which a second
    thread does not speed up; and a server runs queries side by side, where BLAS threads that wait by spinning
    take the cores from each other: 11,584 x 384 on 2 cores, 16 threads at once, 82.6 -> 1.4 ms a product
    (threadpoolctl; one thread alone: 14.2 -> 2.0 ms on the busy machine)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def open_index(folder: Path, spec: VectorIndexSpec) -> FlatVectors:
    """The snapshot's vectors, memory-mapped, searched one BLAS thread per query (as the ivf kind does)."""
    one_blas_thread()
    return FlatVectors.open(folder)
