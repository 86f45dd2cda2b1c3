"""The records that travel between modules: frozen dataclasses with one `to_dict` path.

Vocabulary, end to end: a *document* is split into *chunks*; each chunk has a *vector*; a search
returns *hits* (one per document) each carrying its best *passages*.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.citations import cite_url

if TYPE_CHECKING:
    from kb.ingest_records import FileFailure as FileFailure
    from kb.ingest_records import FileWarnings as FileWarnings
    from kb.ingest_records import IndexInfo as IndexInfo
    from kb.ingest_records import IngestReport as IngestReport
    from kb.ingest_records import LoadedFile as LoadedFile
    from kb.ingest_records import Section as Section
    from kb.ingest_records import SkippedFile as SkippedFile

DOCUMENT_TYPES = ("press_release", "tool_report", "skills_guide", "convention", "report", "other")
# Other names of the types, as a document's metadata or a filter gives them: "Toolkit", `--type news`.
TYPE_ALIASES = {
    "press release": "press_release", "press-release": "press_release", "news": "press_release",
    "news release": "press_release", "tool report": "tool_report", "tool-report": "tool_report",
    "toolkit": "tool_report", "tool": "tool_report", "skills guide": "skills_guide",
    "skills-guide": "skills_guide", "guide": "skills_guide",
}


def to_dict(record: Any) -> Any:
    """A JSON-ready copy of a record (tuples become lists, mappings plain dicts)."""
    kind = type(record)
    if kind in _SCALARS:
        return record
    if kind is tuple or kind is list:
        return [v if type(v) in _SCALARS else to_dict(v) for v in record]
    names = _FIELDS.get(kind) or _FIELDS.setdefault(kind, _fields(kind))
    if names is not _NOT_A_RECORD:
        return {name: to_dict(getattr(record, name)) for name in names}
    if isinstance(record, Mapping):
        return {str(k): to_dict(v) for k, v in record.items()}
    return [to_dict(v) for v in record] if isinstance(record, (list, tuple)) else record


# The records of ingest and `kb info`, made as one of them is first asked for (kb/ingest_records.py says why).
_INGEST_RECORDS = frozenset({"Section", "LoadedFile", "FileFailure", "SkippedFile", "FileWarnings", "IngestReport", "IndexInfo"})


def __getattr__(name: str) -> Any:
    if name in _INGEST_RECORDS:
        from kb import ingest_records

        return getattr(ingest_records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Record fields by class (public ones, then `_extra_fields`): asking dataclasses each time took 1-2 ms a search result.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_NOT_A_RECORD = ("not a record",)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    if not dataclasses.is_dataclass(kind):
        return _NOT_A_RECORD
    return tuple(f.name for f in dataclasses.fields(kind) if not f.name.startswith("_")) + getattr(kind, "_extra_fields", ())


@dataclass(frozen=True)
class Document:
    """One ingested file with its provenance."""

    doc_id: str
    title: str
    type: str
    date: str | None
    language: str | None
    source: str
    format: str
    content_hash: str
    description: str | None = None
    n_pages: int | None = None
    # Multi-valued facets and any other metadata the file carried: {"topics": ("youth",), ...}
    metadata: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of one document, with where it came from."""

    doc_id: str
    ordinal: int
    text: str
    n_tokens: int
    page: int | None = None
    page_label: str | None = None
    heading_path: tuple[str, ...] = ()
    chunk_id: int | None = None
    context: str = ""  # the title/heading line embedded before the text (known at ingest, not stored)


@dataclass(frozen=True)
class Passage:
    """A chunk shown in a hit: a snippet with [start, end) highlight offsets into the snippet."""

    chunk_id: int
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    score: float
    page: int | None = None
    page_label: str | None = None
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One document in a result list, with up to a few of its best passages."""

    doc_id: str
    title: str
    type: str
    date: str | None
    language: str | None
    source: str
    score: float
    score_kind: str
    passages: tuple[Passage, ...]
    metadata: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # The best passage's fields, flattened for simple consumers (`--json`, the API), and where it opens.
    _extra_fields = ("chunk_id", "page", "page_label", "heading_path", "snippet", "highlights", "cite_url")

    @property
    def chunk_id(self) -> int | None:
        return self.passages[0].chunk_id if self.passages else None

    @property
    def page(self) -> int | None:
        return self.passages[0].page if self.passages else None

    @property
    def page_label(self) -> str | None:
        return self.passages[0].page_label if self.passages else None

    @property
    def heading_path(self) -> tuple[str, ...]:
        return self.passages[0].heading_path if self.passages else ()

    @property
    def snippet(self) -> str:
        return self.passages[0].snippet if self.passages else ""

    @property
    def highlights(self) -> tuple[tuple[int, int], ...]:
        return self.passages[0].highlights if self.passages else ()

    @property
    def cite_url(self) -> str:
        """Where the best passage opens under the API's origin: a PDF at its page, any other file at the passage."""
        return cite_url(self.doc_id, self.page, self.heading_path, self.snippet)


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query: hits (one per document), facet counts and a confidence flag."""

    query: str
    mode: str
    k: int
    hits: tuple[Hit, ...]
    confident: bool
    facets: Mapping[str, Mapping[str, int]]
    took_ms: float
    filters: Mapping[str, Any] = field(default_factory=dict)
    total: int | None = None  # documents a search ranks among (they pass the filters and hold the phrases), or a browse lists
    # Why the search is (or is not) confident, in the words the CLI, the API and the search box all show.
    confidence_reason: str = ""
    query_language: str = ""  # the question's language (ISO 639-1), detected or given (--lang); "" when unknown
    # Sentences a user should read beside the hits (e.g. meaning search is limited for this language).
    notices: tuple[str, ...] = ()
    corrections: Mapping[str, str] = field(default_factory=dict)  # misspelt word -> word searched (spelling.py)


@dataclass(frozen=True)
class ModelSpec:
    """How chunk vectors are made: enough to open the same model in any process (the driver, a worker, a
    cluster node) and to check that it is the same model. Recorded in the index manifest."""

    name: str  # as the user gave it: a folder, the packaged short name, or a hub name
    path: str  # where it was loaded from
    backend: str  # "onnxruntime" or "sentence-transformers"
    precision: str  # "fp32" or "int8" (onnxruntime only)
    sha256: str = ""  # of the weight files: the model's identity
    dimension: int = 0
    max_seq_length: int = 0

    def source(self) -> str:
        """Where to load the model from here: the folder it was loaded from while that exists, else its name."""
        from pathlib import Path

        return self.path if Path(self.path).is_dir() else self.name

    def same_vectors(self, other: ModelSpec) -> bool:
        """True when both make the same vectors (same weights, backend, precision and dimension)."""
        return (self.sha256, self.backend, self.precision, self.dimension) == (
            other.sha256, other.backend, other.precision, other.dimension)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """A spec from its manifest entry (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Filters:
    """Which documents a search may return. Values within one field are OR-ed; fields are AND-ed."""

    types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> accepted values

    def __bool__(self) -> bool:
        return bool(self.types or self.languages or self.since or self.until or self.where)
