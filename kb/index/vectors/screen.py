"""An 8-bit screen in front of the flat kind's exact search: the same top k, about half the memory read.

A flat query reads every stored fp32 vector (11,584 x 384 = 17.8 MB on labour-docs: ~1.8 ms on one core,
bound by memory, not arithmetic). The screen holds the same vectors as one byte a dimension (faiss's 8-bit
scalar quantizer, a quarter of the bytes) and the largest error its decoding makes in each dimension, measured
on every stored vector when it is built. A query's screen score of a vector is then within

    bound(q) = sum_i |q_i| x error_i

of its exact score, whatever the vector. So the screen's n best rows, rescored exactly from the fp32 rows, hold
the exact top k whenever the n-th screen score + bound is below the k-th exact score among them: no row outside
can reach it. When that does not hold, n doubles; past a quarter of the index the query scans every vector as
before. The answer is the flat search's answer, proved per query, not an approximation.

Built with each snapshot of SCREEN_MIN_CHUNKS chunks or more (24 ms for 11,584 chunks), and used from a reader's
second search: a one-shot `kb search` scans once and never imports faiss.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index.vectors.arrays import one_faiss_thread

if TYPE_CHECKING:
    import numpy as np

SCREEN_FILE = "screen.faiss"
ERROR_FILE = "screen_error.npy"
# Below this many chunks a full scan takes under ~0.6 ms and the screen's own overhead eats the gain.
SCREEN_MIN_CHUNKS = 4096
# The first screen asks for k x SCREEN_FACTOR + SCREEN_SLACK rows. On labour-docs (k = 200, the search's candidate
# count) 2k proved the top k for all 177 of the repo's questions, 1.5k for 168.
SCREEN_FACTOR = 2
SCREEN_SLACK = 64
# A screen that must look at more than this share of the rows is no cheaper than the full scan.
SCREEN_MAX_SHARE = 0.25
# faiss decodes with SIMD arithmetic of its own: its scores may differ from (codes decoded) . q in the last bits.
ROUNDING = 1e-5
_DECODE_BATCH = 65536


def build(folder: Path, vectors: np.ndarray) -> dict[str, Any]:
    """Write the screen of these vectors (rows in the snapshot's order) and its per-dimension error; the manifest's
    parameters for it (none for a small index, which needs no screen)."""
    import faiss
    import numpy as np

    if len(vectors) < SCREEN_MIN_CHUNKS:
        return {}
    index = faiss.IndexScalarQuantizer(int(vectors.shape[1]), faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.train(np.ascontiguousarray(vectors, dtype="float32"))
    error = np.zeros(vectors.shape[1], dtype="float32")
    for start in range(0, len(vectors), _DECODE_BATCH):
        batch = np.ascontiguousarray(vectors[start:start + _DECODE_BATCH], dtype="float32")
        index.add(batch)
        decoded = index.reconstruct_n(start, len(batch))
        error = np.maximum(error, np.abs(decoded - batch).max(axis=0))
    faiss.write_index(index, str(folder / SCREEN_FILE))
    np.save(folder / ERROR_FILE, error)
    return {"screen": SCREEN_FILE}


class Screen:
    """A snapshot's screen, as a reader searches it."""

    def __init__(self, index: Any, error: np.ndarray) -> None:
        self.index = index
        self.error = error
        self.ntotal = int(index.ntotal)

    @classmethod
    def open(cls, folder: Path, rows: int, dimension: int) -> Screen:
        """The screen of a snapshot whose vectors are `rows` x `dimension`; ValueError when its files say otherwise."""
        import faiss
        import numpy as np

        index, error = faiss.read_index(str(folder / SCREEN_FILE)), np.load(folder / ERROR_FILE)
        if (int(index.ntotal), int(index.d), error.shape) != (rows, dimension, (dimension,)):
            raise ValueError(f"{folder / SCREEN_FILE}: {index.ntotal} x {index.d} codes, {error.shape} errors, "
                             f"for {rows} x {dimension} vectors")
        return cls(index, error)

    def top_rows(self, vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, their exact scores) among which the exact k best rows of `vectors` are, or None when proving
        that would take more than SCREEN_MAX_SHARE of the rows (scan them all then)."""
        import numpy as np

        one_faiss_thread()
        query = np.ascontiguousarray(query.reshape(1, -1), dtype="float32")
        bound = float(np.abs(query[0]) @ self.error) + ROUNDING
        wanted = k * SCREEN_FACTOR + SCREEN_SLACK
        while wanted <= SCREEN_MAX_SHARE * self.ntotal:
            screened, rows = self.index.search(query, wanted)
            rows = np.sort(rows[0])  # in file order: the fp32 rows are read forwards
            exact = vectors[rows] @ query[0]
            if screened[0][-1] + bound < np.partition(exact, len(exact) - k)[len(exact) - k]:
                return rows, exact
            wanted *= 2
        return None
