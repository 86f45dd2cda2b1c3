"""Vector index kinds behind one protocol, one module per kind, one registry.

    flat  exact search over every vector (kb/index/vectors/flat.py)
    ivf   an approximate inverted file over 8-bit codes, for large indexes (kb/index/vectors/ivf.py)
    auto  flat up to AUTO_FLAT_MAX_CHUNKS chunks, ivf above

Every snapshot also keeps the exact vectors as two arrays (kb/index/vectors/arrays.py), whatever its
kind: the next snapshot is built from them, and "more like this" reads them. A new kind is a module
with `build`, `open_index` and `resident_files` (the `VectorKind` protocol) plus one line in KINDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kb.index.vectors import flat, ivf

if TYPE_CHECKING:
    import numpy as np

    from kb.index.manifest import VectorIndexSpec
    from kb.index.vectors.arrays import VectorTable


class VectorIndex(Protocol):
    """What a reader searches: one snapshot's vectors, of one kind."""

    exact: bool  # True when search returns exact cosines for every chunk

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, chunk ids) of the k best chunks, best first; only chunk ids in `allowed` when given.
        Inner product on normalised vectors = cosine."""
        ...

    def get(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The exact stored vectors of these chunks, in the order asked; KeyError for an unknown id."""
        ...

    def problems(self) -> list[str]:
        """What is wrong with the kind's own files that searches work around (empty when nothing)."""
        ...

    def close(self) -> None: ...


class VectorKind(Protocol):
    """A kind of vector index: how a writer builds one in a snapshot folder and a reader opens it."""

    NAME: str

    def build(self, folder: Path, ids: np.ndarray, vectors: np.ndarray, table: VectorTable,
              previous: VectorIndexSpec | None, previous_folder: Path | None) -> Mapping[str, Any]:
        """Write the kind's files for these vectors (sorted by chunk id) and return its parameters.
        `table` says what changed since `previous` (its spec and folder), for kinds that update in place."""
        ...

    def open_index(self, folder: Path, spec: VectorIndexSpec) -> VectorIndex: ...

    def resident_files(self, spec: VectorIndexSpec) -> tuple[str, ...]:
        """The kind's files that a reader reads whole into its own memory (not memory-mapped, so not shared
        between server processes): what each `kb serve` worker holds of its own (kb/api/serve.py)."""
        ...


KINDS: dict[str, VectorKind] = {flat.NAME: flat, ivf.NAME: ivf}  # modules as kinds
AUTO = "auto"
CHOICES = (AUTO, *KINDS)
DEFAULT_KIND = AUTO
# Above this many chunks `auto` builds an ivf index. A flat query grows linearly with the chunks; on the
# 2-core benchmark machine with faiss's default threads it took 7 ms at 50k chunks, 16 ms at 100k and
# 150 ms at 1M (one thread: 5, 10, 90 ms), where ivf answers in 1.5 ms at recall@10 0.98. So flat, exact,
# is kept while a query stays under ~10 ms.
AUTO_FLAT_MAX_CHUNKS = 50_000


def resolve_kind(requested: str, chunks: int) -> str:
    """The kind to build for this many chunks: `auto` decides by size. Too few chunks to train even one ivf
    list (ivf.MIN_POINTS_PER_LIST) get a flat index whatever was asked."""
    if requested not in CHOICES:
        raise ValueError(f"unknown index kind {requested!r}; use one of: {', '.join(CHOICES)}")
    if requested == AUTO:
        return flat.NAME if chunks <= AUTO_FLAT_MAX_CHUNKS else ivf.NAME
    return flat.NAME if chunks < ivf.MIN_POINTS_PER_LIST else requested


def kind(name: str) -> VectorKind:
    """The module of a kind recorded in a manifest."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown vector index kind {name!r}; this kb knows {', '.join(KINDS)}") from None
