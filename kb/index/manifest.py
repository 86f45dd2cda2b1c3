"""The manifest beside the index: which snapshot is current and how its vectors were made.

On disk it is JSON (manifest.json, see kb/index/layout.py); in code a frozen `Manifest`. An index
written before a field existed reads with that field's default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import IndexMismatch, IndexNotFound
from kb.index.layout import MANIFEST
from kb.records import ModelSpec

SCHEMA_VERSION = 1
DEFAULT_KEYWORD_ENGINE = "fts5"


@dataclass(frozen=True)
class VectorIndexSpec:
    """The vector index of a snapshot: its kind, the kind asked for, and the kind's own parameters."""

    kind: str = "flat"
    requested: str = "auto"
    ntotal: int = 0
    metric: str = "inner_product"
    params: Mapping[str, Any] = field(default_factory=dict)  # e.g. ivf: nlist, nprobe, quantizer, trained_on

    def to_dict(self) -> dict[str, Any]:
        """The manifest's "index" entry (parameters beside the kind, as earlier releases wrote them)."""
        return {"kind": self.kind, "metric": self.metric, "ntotal": self.ntotal, **self.params, "requested": self.requested}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VectorIndexSpec:
        """The spec from a manifest entry; an index written before kinds existed is flat."""
        known = {"kind", "requested", "ntotal", "metric"}
        return cls(kind=str(data.get("kind", "flat")), requested=str(data.get("requested", "auto")),
                   ntotal=int(data.get("ntotal", 0)), metric=str(data.get("metric", "inner_product")),
                   params={k: v for k, v in data.items() if k not in known})


@dataclass(frozen=True)
class Manifest:
    """What manifest.json says: the current snapshot and everything needed to read it correctly."""

    snapshot: str
    model: ModelSpec
    index: VectorIndexSpec
    chunker: Mapping[str, Any]
    counts: Mapping[str, int]
    created_at: str
    updated_at: str
    topics: Mapping[str, Any] | None = None  # the taxonomy documents were tagged with (version, sha256)
    previous_snapshots: tuple[str, ...] = ()  # kept on disk for readers that still hold one open, newest first
    # When each of previous_snapshots stopped being current (ISO time): it is deleted once its grace is over.
    superseded: Mapping[str, str] = field(default_factory=dict)
    keyword: str = DEFAULT_KEYWORD_ENGINE  # the keyword engine of kb/index/keyword
    schema_version: int = SCHEMA_VERSION

    @property
    def documents(self) -> int:
        return int(self.counts.get("documents", 0))

    @property
    def chunks(self) -> int:
        return int(self.counts.get("chunks", 0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to manifest.json."""
        model = dict(vars(self.model))
        return {
            "schema_version": self.schema_version, "snapshot": self.snapshot,
            "previous_snapshots": list(self.previous_snapshots), "superseded": dict(self.superseded),
            "model": model, "index": self.index.to_dict(),
            "keyword": self.keyword, "chunker": dict(self.chunker),
            "topics": dict(self.topics) if self.topics is not None else None,
            "counts": dict(self.counts), "created_at": self.created_at, "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """A manifest from its JSON form."""
        return cls(
            schema_version=int(data.get("schema_version", 0)), snapshot=str(data["snapshot"]),
            previous_snapshots=tuple(data.get("previous_snapshots", ())), superseded=dict(data.get("superseded") or {}),
            model=ModelSpec.from_dict(data["model"]),
            index=VectorIndexSpec.from_dict(data.get("index") or {}), keyword=str(data.get("keyword", DEFAULT_KEYWORD_ENGINE)),
            chunker=dict(data.get("chunker") or {}), topics=data.get("topics"), counts=dict(data.get("counts") or {}),
            created_at=str(data.get("created_at", "")), updated_at=str(data.get("updated_at", "")),
        )


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of an index; IndexNotFound (with the command to build one) when there is none."""
    path = Path(index_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest.from_dict(data)
    except FileNotFoundError:
        raise IndexNotFound(f"No index at {index_dir}. Run: kb ingest corpus/ --index {index_dir}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexNotFound(f"The index manifest {path} is unreadable ({exc}). Rebuild: kb ingest PATH --index {index_dir}") from None


def check_schema(manifest: Manifest, index_dir: Path, action: str) -> None:
    """IndexMismatch when this kb cannot read (or write) an index of the manifest's schema version."""
    if manifest.schema_version != SCHEMA_VERSION:
        fix = ("Rebuild it: kb ingest PATH --index NEW_DIR" if action == "reads"
               else f"Ingest into a new index (--index NEW_DIR) or delete {index_dir}.")
        raise IndexMismatch(f"The index at {index_dir} has schema version {manifest.schema_version}; this kb {action} "
                            f"version {SCHEMA_VERSION}. {fix}")
