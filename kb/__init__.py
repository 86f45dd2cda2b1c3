"""kb: semantic search over a knowledge base of press releases, tool reports and skills guides.

    from kb import KnowledgeBase, Settings
    kb = KnowledgeBase(Settings(index_dir="index"))
    kb.ingest(["corpus/"])
    for hit in kb.search("how can apprenticeships be more inclusive?").hits:
        print(hit.title, hit.page, hit.snippet)
"""

from __future__ import annotations

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
