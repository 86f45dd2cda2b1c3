"""The ivf kind: an approximate inverted file over 8-bit scalar-quantized residuals.

faiss IndexIVFScalarQuantizer: k-means splits the vectors into `nlist` lists and a query scans the
`nprobe` lists whose centroids are closest to it. One byte per dimension plus the 8-byte chunk id per
chunk. The numbers below were chosen with benchmarks/ann.py; its last results are in
benchmarks/results/ann.md. The parameters an index was built with are recorded in manifest["index"].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.index.vectors.arrays import StoredVectors, VectorTable, flushed, one_faiss_thread

if TYPE_CHECKING:
    import numpy as np

    from kb.index.manifest import VectorIndexSpec

NAME = "ivf"
IVF_FILE = "ann.faiss"
QUANTIZER = "SQ8"
# nlist = LISTS_PER_SQRT_N * sqrt(chunks). faiss suggests 4-16 x sqrt(n); on 2 cores k-means then
# dominates the build (4 x sqrt(n) trains ~4x longer), while queries at 2 x sqrt(n) already take ~1 ms.
LISTS_PER_SQRT_N = 2
# faiss's k-means warns below 39 training points per centroid; small indexes get fewer lists instead.
MIN_POINTS_PER_LIST = 39
# k-means trains on a sample of this many points per list (all points when there are fewer).
TRAIN_POINTS_PER_LIST = 64
KMEANS_ITERATIONS = 10
# Lists scanned per query: the smallest that reached recall@10 >= 0.95 at 1M chunks on benchmarks/ann.py's
# tuning queries (synthetic ones and half of the real questions; the reported queries are others).
NPROBE = 24
# The trained centroids are kept while the index has grown less than this factor since training,
# so a small update of a large index adds and removes vectors without re-running k-means.
RETRAIN_GROWTH = 2.0
# A filter that allows at most this many chunks is searched exactly over just their vectors (rows read
# from vectors.npy, ~5 us each): cheaper than probing most of the lists for a few allowed chunks.
EXACT_FILTER_MAX_CHUNKS = 1_000


def ivf_lists(chunks: int) -> int:
    """nlist for an index of this many chunks."""
    return max(1, min(round(LISTS_PER_SQRT_N * math.sqrt(chunks)), chunks // MIN_POINTS_PER_LIST))


def needs_training(previous: VectorIndexSpec | None, chunks: int) -> bool:
    """True when the previous snapshot's ivf centroids cannot be reused for this many chunks."""
    if previous is None or previous.kind != NAME:
        return True
    return chunks > RETRAIN_GROWTH * int(previous.params["trained_on"])


def train_ivf(vectors: np.ndarray, nlist: int, seed: int = 0):
    """An empty IVF-SQ8 index whose centroids and quantizer ranges are trained on a sample of `vectors`."""
    import faiss
    import numpy as np

    index = faiss.index_factory(vectors.shape[1], f"IVF{nlist},{QUANTIZER}", faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = KMEANS_ITERATIONS  # spherical k-means, as faiss sets for inner product
    index.cp.seed = seed
    size = min(len(vectors), TRAIN_POINTS_PER_LIST * nlist)
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size, replace=False))
    index.train(np.ascontiguousarray(vectors[rows], dtype="float32"))
    return index


def add_vectors(index, ids: np.ndarray, vectors: np.ndarray, batch: int = 65536) -> None:
    """Add vectors under their chunk ids, in batches (bounded scratch memory)."""
    import numpy as np

    for start in range(0, len(ids), batch):
        index.add_with_ids(np.ascontiguousarray(vectors[start:start + batch], dtype="float32"),
                           np.ascontiguousarray(ids[start:start + batch], dtype="int64"))


def build_ivf(ids: np.ndarray, vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """A new ivf index of all the vectors, and its manifest entry."""
    nlist = ivf_lists(len(ids))
    index = train_ivf(vectors, nlist)
    add_vectors(index, ids, vectors)
    return index, describe_ivf(index, trained_on=len(ids))


def describe_ivf(index, trained_on: int) -> dict[str, Any]:
    """The parameters of an ivf index, as the manifest records them."""
    return {"nlist": int(index.nlist), "nprobe": min(NPROBE, int(index.nlist)), "quantizer": QUANTIZER,
            "trained_on": int(trained_on), "file": IVF_FILE}


def ivf_for(ids: np.ndarray, vectors: np.ndarray, table: VectorTable, previous: VectorIndexSpec | None,
            previous_file: Path | None) -> tuple[Any, dict[str, Any]]:
    """The ivf index of `vectors` (all of the table, sorted by chunk id): the previous snapshot's index
    updated with the table's adds and removals while its training still fits, else a new one."""
    import faiss

    if needs_training(previous, len(ids)) or previous_file is None or not previous_file.exists():
        return build_ivf(ids, vectors)
    index = faiss.read_index(str(previous_file))
    removed = table.removed()
    if len(removed):
        index.remove_ids(removed)
    add_vectors(index, *table.added())
    assert previous is not None  # needs_training is True without one
    return index, describe_ivf(index, trained_on=int(previous.params["trained_on"]))


def read_ivf(path: Path, nprobe: int):
    """An ivf index as readers search it."""
    import faiss

    index = faiss.read_index(str(path))
    index.nprobe = int(nprobe)
    return index


def exact_search(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, chunk ids) by inner product over just these vectors."""
    import numpy as np

    scores = vectors @ query.reshape(-1)
    top = np.argsort(-scores, kind="stable")[:k]
    return scores[top], np.asarray(ids)[top]


def allowed_bitmap(allowed: np.ndarray):
    """A faiss selector of these chunk ids: one bit per id up to the largest. Built in about a
    millisecond for 100k ids, where a hash set (IDSelectorBatch) takes tens."""
    import faiss
    import numpy as np

    bits = np.zeros(int(allowed.max()) + 1, dtype=bool)
    bits[allowed] = True
    return faiss.IDSelectorBitmap(np.packbits(bits, bitorder="little"))  # faiss reads bit (id & 7) of byte id >> 3


def search_ivf(index, nprobe: int, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               vectors_of: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, chunk ids) from an ivf index; with `allowed`, among those chunk ids only.

    A small allowed set is searched exactly over its own vectors (`vectors_of` reads them). A larger
    one probes nprobe * sqrt(chunks / allowed) lists: the k best allowed chunks are about the k / share
    best of all, which sit in more lists. (Measured at 300k chunks: with 1% allowed this keeps recall@10
    at the unfiltered level; scaling by chunks / allowed instead scanned every list for no gain.) If the
    probed lists still held fewer than k allowed chunks, every list is scanned.
    """
    import faiss
    import numpy as np

    query = flushed(query).reshape(1, -1)
    nlist = int(index.nlist)
    wanted = min(k, index.ntotal, index.ntotal if allowed is None else len(allowed))
    if wanted <= 0:
        return np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
    selector = None
    if allowed is not None:
        allowed = np.asarray(allowed, dtype="int64")
        if vectors_of is not None and len(allowed) <= EXACT_FILTER_MAX_CHUNKS:
            return exact_search(vectors_of(allowed), allowed, query, wanted)
        selector = allowed_bitmap(allowed)
        nprobe = min(nlist, math.ceil(nprobe * math.sqrt(index.ntotal / len(allowed))))
    one_faiss_thread()
    scores, ids = index.search(query, wanted, params=faiss.SearchParametersIVF(sel=selector, nprobe=nprobe))
    if (ids[0] >= 0).sum() < wanted and nprobe < nlist:
        scores, ids = index.search(query, wanted, params=faiss.SearchParametersIVF(sel=selector, nprobe=nlist))
    found = ids[0] >= 0
    return scores[0][found], ids[0][found]


class IvfIndex:
    """A snapshot's ivf index as a reader searches it, with its exact vectors read from disk on demand."""

    exact = False

    def __init__(self, index, nprobe: int, stored: StoredVectors) -> None:
        self.index = index
        self.nprobe = nprobe  # lists scanned per query; a test or a benchmark may change it
        self.stored = stored

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(cosines of the 8-bit codes, within about 0.01; chunk ids), best first."""
        return search_ivf(self.index, self.nprobe, query, k, allowed, self.stored.get)

    def get(self, chunk_ids: np.ndarray) -> np.ndarray:
        return self.stored.get(chunk_ids)

    def problems(self) -> list[str]:
        return []  # its one file is read whole when the snapshot opens

    def close(self) -> None:
        self.stored.close()


def build(folder: Path, ids: np.ndarray, vectors: np.ndarray, table: VectorTable,
          previous: VectorIndexSpec | None, previous_folder: Path | None) -> Mapping[str, Any]:
    """Write ann.faiss: the previous snapshot's index updated while its training fits, else a new one."""
    import faiss

    old_file = previous_folder / IVF_FILE if previous_folder is not None else None
    index, params = ivf_for(ids, vectors, table, previous, old_file)
    faiss.write_index(index, str(folder / IVF_FILE))
    return params


def resident_files(spec: VectorIndexSpec) -> tuple[str, ...]:
    """The inverted file, read whole by faiss (its codes: ~390 bytes a chunk at 384 dimensions)."""
    return (IVF_FILE,)


def open_index(folder: Path, spec: VectorIndexSpec) -> IvfIndex:
    """The snapshot's ivf index (searched one thread per query: search_ivf)."""
    return IvfIndex(read_ivf(folder / IVF_FILE, int(spec.params["nprobe"])), int(spec.params["nprobe"]), StoredVectors(folder))
