"""The flat kind: exact inner-product search over every stored vector.

Every vector in RAM (1.5 KB per chunk at 384 dimensions) and every query compares them all: exact,
and fast enough while the index is small (see AUTO_FLAT_MAX_CHUNKS in kb/index/vectors/__init__.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index.vectors import screen
from kb.index.vectors.arrays import ARRAY_FILE, FLAT_FILE, IDS_FILE, blas_single, flushed, open_arrays, read_flat, row_numbers

if TYPE_CHECKING:
    import numpy as np

    from kb.index.manifest import VectorIndexSpec
    from kb.index.vectors.arrays import VectorTable

NAME = "flat"


class FlatVectors:
    """Exact inner-product search over a snapshot's vectors: what a flat index is.

    numpy's matrix-vector product reads the memory-mapped rows once per query; at the 50,000 chunks
    up to which `auto` keeps an index flat that is ~77 MB and a few milliseconds, as with FAISS's own
    flat index, which computes the same sums. A snapshot with a screen (kb/index/vectors/screen.py) is searched
    through it from the reader's second search on: the same top k, a quarter of the bytes read.
    """

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, screen_folder: Path | None = None) -> None:
        if len(ids) != len(vectors) or vectors.ndim != 2:
            raise ValueError(f"{len(ids)} chunk ids for vectors of shape {vectors.shape}")
        self.ids = ids
        self.vectors = vectors
        self.ntotal = len(ids)
        self.d = int(vectors.shape[1])
        self._screen_folder = screen_folder  # the snapshot's, when it has a screen (None once it failed to load)
        self._screen_home = screen_folder
        self._screen: screen.Screen | None = None  # read at the second search
        self._searched = False
        self._screen_lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, screened: bool = False) -> FlatVectors:
        """The snapshot's arrays, memory-mapped; or an older snapshot's vectors.faiss, read into memory.
        `screened`: the snapshot has a screen."""
        if not (folder / IDS_FILE).exists() and (folder / FLAT_FILE).exists():
            return cls(*read_flat(folder / FLAT_FILE))
        ids, vectors = open_arrays(folder)
        if vectors.dtype.name != "float32" or ids.dtype.name != "int64":
            raise ValueError(f"{folder / ARRAY_FILE} holds {vectors.dtype}, ids {ids.dtype}")
        return cls(ids, vectors, folder if screened else None)

    def _screened(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(chunk ids, exact scores) holding the exact top k, through the screen; None: scan every row. The screen
        is read at the second search, so a one-shot search neither reads it nor imports faiss."""
        if self._screen is None:
            if self._screen_folder is None or not self._searched:
                self._searched = True
                return None
            with self._screen_lock:
                if self._screen is None and self._screen_folder is not None:
                    try:
                        self._screen = screen.Screen.open(self._screen_folder, self.ntotal, self.d)
                    except screen.UNREADABLE:
                        self._screen_folder = None  # the exact vectors answer alone, as without a screen
            if self._screen is None:
                return None
        found = self._screen.top_rows(self.vectors, query, k)
        return None if found is None else (self.ids[found[0]], found[1])

    def problems(self) -> list[str]:
        """What is wrong with the snapshot's screen, if it has one: searches then scan every vector, still exact."""
        if self._screen_home is None:
            return []
        try:
            screen.Screen.open(self._screen_home, self.ntotal, self.d)
        except screen.UNREADABLE as exc:
            return [f"the flat screen cannot be read ({exc}); searches scan every vector until `kb reindex` writes it"]
        return []

    def search(self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, chunk ids) of the k best rows for one query vector, best first; only `allowed_ids` if given."""
        import numpy as np

        query = flushed(query)
        found = self._screened(query, k) if allowed_ids is None and 0 < k < self.ntotal else None
        if found is not None:
            ids, scores = found
        elif allowed_ids is None:
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
        top = _best(ids, scores, k)
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


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first; ties by chunk id, also at the k-th place (argpartition would
    keep whichever of two equal scores its layout met first: duplicate chunks have equal vectors), so the answer
    does not depend on the rows searched."""
    import numpy as np

    if k < len(ids):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above, tied = np.flatnonzero(scores > kth), np.flatnonzero(scores == kth)
        top = np.concatenate([above, tied[np.argsort(ids[tied], kind="stable")][:k - len(above)]])
    else:
        top = np.arange(len(ids))
    return top[np.lexsort((ids[top], -scores[top]))]


def build(folder: Path, ids: np.ndarray, vectors: np.ndarray, table: VectorTable,
          previous: VectorIndexSpec | None, previous_folder: Path | None) -> Mapping[str, Any]:
    """The screen (kb/index/vectors/screen.py), beside the arrays every snapshot keeps."""
    return screen.build(folder, vectors)


def resident_files(spec: VectorIndexSpec) -> tuple[str, ...]:
    """The screen, read whole by faiss; the vectors themselves are memory-mapped, shared between processes."""
    return (screen.SCREEN_FILE, screen.SCALE_FILE) if spec.params.get("screen") == screen.SCREEN_FILE else ()


def one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in this process. A query is one matrix-vector product, which a second
    thread does not speed up; and a server runs queries side by side, where BLAS threads that wait by spinning
    take the cores from each other: 11,584 x 384 on 2 cores, 16 threads at once, 82.6 -> 1.4 ms a product
    (threadpoolctl; one thread alone: 14.2 -> 2.0 ms on the busy machine)."""
    if blas_single():  # the process started it so
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def open_index(folder: Path, spec: VectorIndexSpec) -> FlatVectors:
    """The snapshot's vectors, memory-mapped, searched one BLAS thread per query (as the ivf kind does)."""
    one_blas_thread()
    return FlatVectors.open(folder, screened=spec.params.get("screen") == screen.SCREEN_FILE)
