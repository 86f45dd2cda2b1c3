"""kb: semantic search over a knowledge base of press releases, tool reports and skills guides.

    from kb import KnowledgeBase, Settings
    kb = KnowledgeBase(Settings(index_dir="index"))
    kb.ingest(["corpus/"])
    for hit in kb.search("how can apprenticeships be more inclusive?").hits:
        print(hit.title, hit.page, hit.snippet)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb import native

native.install()  # the compiled search modules, when built from these sources (kb/native.py); before any is imported

if TYPE_CHECKING:
    from kb.config import Settings
    from kb.errors import (
        ConfigError,
        DocumentNotFound,
        IndexLocked,
        IndexMismatch,
        IndexNotFound,
        KBError,
        LoadError,
        QueryError,
    )
    from kb.records import Chunk, Document, Filters, Hit, IndexInfo, IngestReport, Passage, SearchResult
    from kb.service import KnowledgeBase

# Where each name lives. They are imported on first use, so `python -m kb` starts its command (kb/__main__.py)
# before kb's modules load, and a submodule (kb.records, kb.cli) can be imported without the whole library.
_HOMES = {
    "Settings": "kb.config", "KnowledgeBase": "kb.service",
    **dict.fromkeys(("ConfigError", "DocumentNotFound", "IndexLocked", "IndexMismatch", "IndexNotFound", "KBError",
                     "LoadError", "QueryError"), "kb.errors"),
    **dict.fromkeys(("Chunk", "Document", "Filters", "Hit", "IndexInfo", "IngestReport", "Passage", "SearchResult"),
                    "kb.records"),
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Chunk",
    "ConfigError",
    "Document",
    "DocumentNotFound",
    "Filters",
    "Hit",
    "IndexInfo",
    "IndexLocked",
    "IndexMismatch",
    "IndexNotFound",
    "IngestReport",
    "KBError",
    "KnowledgeBase",
    "LoadError",
    "Passage",
    "QueryError",
    "SearchResult",
    "Settings",
]
