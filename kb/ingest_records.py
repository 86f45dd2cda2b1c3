"""The records of ingest and of `kb info`: what a loader reads from a file (Section, LoadedFile), what an ingest run
reports (FileFailure, SkippedFile, FileWarnings, IngestReport) and what `kb info` shows (IndexInfo).

Frozen dataclasses like kb/records.py's, and importable from there too (`from kb.records import IngestReport`). They
live apart because a search never makes them: Python compiles each dataclass's methods as its class is made, about
half a millisecond a class, and these seven were half of kb/records.py's cost in every one-shot `kb search`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A run of text from one place in a file: a PDF page, or the body under one heading."""

    text: str
    page: int | None = None  # physical page, 1-based
    page_label: str | None = None  # the printed label, only where the PDF defines labels
    heading_path: tuple[str, ...] = ()

@dataclass(frozen=True)
class LoadedFile:
    """What a loader extracts from one file, before ids and ingest bookkeeping."""

    title: str | None
    sections: tuple[Section, ...]
    format: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    n_pages: int | None = None

@dataclass(frozen=True)
class FileFailure:
    """A file the ingest run could not use, and why."""

    path: str
    code: str
    reason: str

@dataclass(frozen=True)
class SkippedFile:
    """A file (or a folder: its path ends in "/") an ingest run left out on purpose, and why (".docx: unsupported type")."""

    path: str
    code: str  # unsupported_type, hidden, temporary, hidden_folder, linked_folder, page_resources
    reason: str

@dataclass(frozen=True)
class FileWarnings:
    """What the parsers said while reading a file that was ingested (pypdf's "Ignoring wrong pointing object …")."""

    path: str
    warnings: tuple[str, ...]

@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did, file by file."""

    index_dir: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]
    failed: tuple[FileFailure, ...]
    chunks_embedded: int
    seconds: float
    skipped: tuple[SkippedFile, ...] = ()  # files found and left out: unsupported types, hidden and temporary files
    warnings: tuple[FileWarnings, ...] = ()  # a failed file's parser warnings are in its failure's reason

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        """How many documents fell in each outcome."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "failed": len(self.failed),
        }

@dataclass(frozen=True)
class IndexInfo:
    """What `kb info` shows: size, model and freshness of an index."""

    index_dir: str
    documents: int
    chunks: int
    model: str
    model_hash: str
    dimension: int
    schema_version: int
    size_bytes: int
    created_at: str
    updated_at: str
    snapshot: str
    chunker: Mapping[str, Any] = field(default_factory=dict)
    types: Mapping[str, int] = field(default_factory=dict)
    index: Mapping[str, Any] = field(default_factory=dict)  # manifest["index"]: kind and parameters
