"""An 8-bit screen in front of the flat kind's exact search: the same top k, about half the memory read.

A flat query reads every stored fp32 vector (11,584 x 384 = 17.8 MB on labour-docs: ~1.8 ms on one core,
bound by memory, not arithmetic). The screen holds the same vectors as one byte a dimension, a quarter of the
bytes: each dimension's range in 255 even steps, and the largest error that makes in each dimension, measured
on every stored vector when it is built. A query's screen score of a vector is then within

    bound(q) = sum_i |q_i| x error_i  (+ the float rounding of the sums)

of its exact score, whatever the vector. So the screen's n best rows, rescored exactly from the fp32 rows, hold
the exact top k whenever the n-th screen score + bound is below the k-th exact score among them: no row outside
can reach it. When that does not hold, n doubles; past a quarter of the index the query scans every vector as
before. The answer is the flat search's answer, proved per query, not an approximation.

Each dimension is first mapped onto [0, 1] by its own range, so that faiss's uniform 8-bit codes (one range for
every dimension, the quicker decoding) err as little as a range per dimension would; the query is multiplied by
the ranges instead, and the query . low that all rows share is added after: 0.48 ms a scan where faiss's
per-dimension codes took 0.81 (11,584 x 384, one core). Built with each snapshot of SCREEN_MIN_CHUNKS chunks or
more, and used from a reader's second search: a one-shot `kb search` scans once and never imports faiss.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index.vectors.arrays import one_faiss_thread

if TYPE_CHECKING:
    import numpy as np

# Named anew for the uniform codes: a reader of the first screens (faiss's per-dimension codes) finds none.
SCREEN_FILE = "screen-uniform.faiss"
SCALE_FILE = "screen-uniform.npy"  # rows: each dimension's range, low end and largest error
# Below this many chunks a full scan takes under ~0.6 ms and the screen's own overhead eats the gain.
SCREEN_MIN_CHUNKS = 4096
# The first screen asks for k x SCREEN_FACTOR + SCREEN_SLACK rows. On labour-docs (k = 200, the search's candidate
# count) 2k proved the top k for all 177 of the repo's questions, 1.5k for 168.
SCREEN_FACTOR = 2
SCREEN_SLACK = 64
# A screen that must look at more than this share of the rows is no cheaper than the full scan.
SCREEN_MAX_SHARE = 0.25
# Besides the float32 rounding bound of the screen's sums (gamma below), margin for the float32 exact scores.
ROUNDING = 1e-5
_BATCH = 65536
# faiss's and numpy's errors for a screen file that is missing, damaged or of other vectors (Screen.open).
UNREADABLE = (OSError, RuntimeError, ValueError)


def build(folder: Path, vectors: np.ndarray) -> dict[str, Any]:
    """Write the screen of these vectors (rows in the snapshot's order) and their dimensions' ranges, low ends and
    largest errors; the manifest's parameters for it (none for a small index, which needs no screen)."""
    import faiss
    import numpy as np

    if len(vectors) < SCREEN_MIN_CHUNKS:
        return {}
    low = vectors.min(axis=0).astype("float64")
    width = np.maximum(vectors.max(axis=0) - low, 1e-12)
    index = faiss.IndexScalarQuantizer(int(vectors.shape[1]), faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT)
    index.train(np.array([[0.0], [1.0]], dtype="float32") * np.ones(vectors.shape[1], dtype="float32"))
    error = np.zeros(vectors.shape[1])
    for start in range(0, len(vectors), _BATCH):
        batch = np.asarray(vectors[start:start + _BATCH], dtype="float64")
        index.add(np.ascontiguousarray((batch - low) / width, dtype="float32"))
        decoded = low + width * index.reconstruct_n(start, len(batch))
        error = np.maximum(error, np.abs(decoded - batch).max(axis=0))
    faiss.write_index(index, str(folder / SCREEN_FILE))
    np.save(folder / SCALE_FILE, np.stack([width, low, error]))
    return {"screen": SCREEN_FILE}


class Screen:
    """A snapshot's screen, as a reader searches it."""

    def __init__(self, index: Any, scale: np.ndarray) -> None:
        self.index = index
        self.width, self.low, self.error = scale
        self.ntotal = int(index.ntotal)

    @classmethod
    def open(cls, folder: Path, rows: int, dimension: int) -> Screen:
        """The screen of a snapshot whose vectors are `rows` x `dimension`; ValueError when its files say otherwise."""
        import faiss
        import numpy as np

        index, scale = faiss.read_index(str(folder / SCREEN_FILE)), np.load(folder / SCALE_FILE)
        if (int(index.ntotal), int(index.d), scale.shape) != (rows, dimension, (3, dimension)):
            raise ValueError(f"{folder / SCREEN_FILE}: {index.ntotal} x {index.d} codes, {scale.shape} scales, "
                             f"for {rows} x {dimension} vectors")
        return cls(index, scale)

    def top_rows(self, vectors: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, their exact scores) among which the exact k best rows of `vectors` are, or None when proving
        that would take more than SCREEN_MAX_SHARE of the rows (scan them all then). `query` comes flushed
        (arrays.flushed), so that scaled by a range of ~0 it gives faiss no subnormal number."""
        import numpy as np

        one_faiss_thread()
        query = np.asarray(query, dtype="float64").reshape(-1)
        scaled = (query * self.width).astype("float32").reshape(1, -1)
        # A float32 sum of n products errs by at most gamma_n x the sum of their sizes (Higham); the codes decode to
        # [0, 1], so that is <= gamma_n x |scaled|_1 (n padded for the decoding's and the scaling's own rounding).
        n = len(query) + 4
        gamma = n * 2.0**-24 / (1 - n * 2.0**-24)
        bound = float(np.abs(query) @ self.error + gamma * np.abs(scaled).sum()) + ROUNDING
        shared = float(query @ self.low)
        exact_query = query.astype("float32")
        wanted = k * SCREEN_FACTOR + SCREEN_SLACK
        while wanted <= SCREEN_MAX_SHARE * self.ntotal:
            screened, rows = self.index.search(scaled, wanted)
            rows = np.sort(rows[0])  # in file order: the fp32 rows are read forwards
            exact = vectors[rows] @ exact_query
            if screened[0][-1] + shared + bound < np.partition(exact, len(exact) - k)[len(exact) - k]:
                return rows, exact
            wanted *= 2
        return None
