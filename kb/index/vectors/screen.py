"""A half-precision screen in front of exact flat search: the same k best, with less memory read per query.

Flat search reads every fp32 vector once a query (17.8 MB at 11,584 x 384: ~1.3 ms, bound by memory). The screen
keeps the vectors again as fp16 codes (FAISS's scalar quantizer, 2 bytes a dimension: 768 B a chunk at 384) and
asks them for the k + SCREEN_EXTRA best; then only those candidates are scored on the fp32 vectors, as before.

Why that is exact: an fp16 score differs from the fp32 one by at most `error(query)` (each component rounded to
11 bits, both sums' float32 rounding, with a safety factor). Every one of the k best by fp32 score then scores at
least (the k-th best fp16 score - 2 x error) in fp16; the candidates are all rows above that floor, and when the
screen's last row is not below it (some rows above the floor may be missing) the caller searches every row.

The candidates' fp32 scores come from the same BLAS product over fewer rows. OpenBLAS computes a row's dot product
the same way in any call of a multiple of 4 rows (its kernels take rows four at a time); the screen is built only
where a check on sample queries finds the bits of the whole product, so the cosines, and their ties by chunk id,
stay those of the whole product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faiss
    import numpy as np

# Below this many rows the whole product costs little more than the screen.
SCREEN_MIN_ROWS = 4096
# Rows the screen returns beyond the k asked: room for those within the error margin of the k-th.
SCREEN_EXTRA = 64
# fp16 holds values up to 65504; vectors beyond this are not screened.
FP16_MAX = 60000.0
# Queries (rows of the index itself, slightly moved) on which the screen must reproduce the whole product.
CHECK_QUERIES = 4
CHECK_K = 200


class Screen:
    """fp16 codes of a flat index's vectors and the error bound of their scores."""

    def __init__(self, vectors: np.ndarray) -> None:
        import faiss
        import numpy as np

        faiss.omp_set_num_threads(1)  # one query at a time per thread, as the ivf kind
        self.rows, self.dimension = vectors.shape
        self.codes: faiss.IndexScalarQuantizer = faiss.IndexScalarQuantizer(
            self.dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        norm = largest = 0.0
        for start in range(0, self.rows, 8192):  # in blocks: no second full-size copy in memory
            block = np.ascontiguousarray(vectors[start:start + 8192], dtype="float32")
            norm = max(norm, float(np.sqrt(np.einsum("ij,ij->i", block, block)).max()))
            largest = max(largest, float(np.abs(block).max()))
            self.codes.add(block)
        self.max_norm = norm
        self.fits = largest <= FP16_MAX  # else fp16 codes would overflow

    def error(self, query: np.ndarray) -> float:
        """A bound on |fp16 score - fp32 score| for any row: the fp16 rounding of each component (a relative
        2^-11, taken as 2^-10; 2^-24 absolute below fp16's normal range) and both sums' float32 rounding (gamma_d)."""
        import numpy as np

        unit = 2.0**-24
        gamma = self.dimension * unit / (1 - self.dimension * unit)
        scale = float(np.linalg.norm(query)) * self.max_norm
        return 1.5 * (scale * (2.0**-10 + 2 * gamma) + float(np.abs(query).sum()) * unit)

    def candidates(self, query: np.ndarray, k: int) -> np.ndarray | None:
        """Row numbers, ascending, among which are all of the k best rows by fp32 score; None when the screen
        cannot vouch for them (then every row must be scored)."""
        import numpy as np

        wanted = min(self.rows, k + SCREEN_EXTRA)
        approx, rows = self.codes.search(query.reshape(1, -1), wanted)
        approx, rows = approx[0], rows[0]
        floor = approx[k - 1] - 2 * self.error(query)
        if wanted < self.rows and approx[-1] >= floor:
            return None
        return np.sort(rows[approx >= floor])


def exact_scores(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The fp32 scores of these rows as the product over every row gives them: a multiple of 4 rows per call."""
    import numpy as np

    padded = np.concatenate([rows, np.repeat(rows[-1:], -len(rows) % 4)])
    return (vectors[padded] @ query)[:len(rows)]


def build(vectors: np.ndarray) -> Screen | None:
    """A screen over these vectors, or None where it would not pay or could not reproduce the whole product."""
    import numpy as np

    rows = len(vectors)
    if rows < SCREEN_MIN_ROWS or vectors.ndim != 2:
        return None
    screen = Screen(vectors)
    rng = np.random.default_rng(0)
    for row in rng.choice(rows, CHECK_QUERIES, replace=False):
        query = (vectors[row] + 0.01 * rng.standard_normal(screen.dimension)).astype("float32")
        whole = vectors @ query
        found = screen.candidates(query, CHECK_K) if screen.fits else None
        if found is None or not np.array_equal(exact_scores(vectors, found, query), whole[found]):
            return None
        if not set(np.flatnonzero(whole >= np.partition(whole, -CHECK_K)[-CHECK_K])) <= set(found.tolist()):
            return None
    return screen
