"""Skills topics: the taxonomy (kb/data/topics.yaml, or Settings.topics_path) and automatic tagging at ingest.

A document gets the topics its metadata gives, plus those it is about by two kinds of evidence:
meaning — the mean cosine similarity of the document's three passages closest to the topic (label,
description and synonyms embedded together) — and words — how many of the topic's synonyms occur in
the text (SYNONYM_WEIGHT for SYNONYMS_NEEDED or more distinct ones). Topics scoring at least
TOPIC_THRESHOLD, and within TOPIC_MARGIN of the document's best topic, are assigned (at most
MAX_AUTO_TOPICS). Settings chosen on the corpus/ half of benchmarks/data/topic_labels.jsonl; the
labour-docs half is the held-out check (benchmarks/topics.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

    from kb.embed import Embedder

DEFAULT_TOPICS = Path(__file__).resolve().parent / "data" / "topics.yaml"
TOPIC_THRESHOLD = 0.45
TOPIC_MARGIN = 0.16
SYNONYM_WEIGHT = 0.15
SYNONYMS_NEEDED = 2
MAX_AUTO_TOPICS = 4
TOP_PASSAGES = 3


@dataclass(frozen=True)
class Topic:
    """One entry of the taxonomy."""

    id: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What is embedded for the topic."""
        synonyms = f" Also: {', '.join(self.synonyms)}." if self.synonyms else ""
        return f"{self.label}. {self.description}{synonyms}"


@dataclass(frozen=True)
class Taxonomy:
    """The topics an index tags with, and the version it records."""

    version: str
    sha256: str
    topics: tuple[Topic, ...]

    @classmethod
    def load(cls, path: Path | str | None = None) -> Taxonomy:
        """The taxonomy from a YAML file (default: the packaged kb/data/topics.yaml)."""
        import yaml

        file = Path(path or DEFAULT_TOPICS)
        try:
            raw = file.read_bytes()
            data = yaml.safe_load(raw)
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"Cannot read the topic taxonomy {file}: {exc}") from None
        entries = (data or {}).get("topics") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"{file} must hold a 'topics:' list of entries with id, label and description.")
        topics = []
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("label"):
                raise ConfigError(f"{file}: every topic needs an id and a label (found {entry!r}).")
            synonyms = entry.get("synonyms") or []
            topics.append(Topic(str(entry["id"]), str(entry["label"]), " ".join(str(entry.get("description", "")).split()),
                                tuple(str(s) for s in synonyms)))
        ids = [t.id for t in topics]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"{file}: topic ids must be unique.")
        return cls(str(data.get("version", "1")), hashlib.sha256(raw).hexdigest(), tuple(topics))

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def describe(self) -> dict[str, object]:
        """What the manifest records: which taxonomy tagged the index."""
        return {"version": self.version, "sha256": self.sha256, "topics": len(self.topics)}


class TopicTagger:
    """Scores a document's chunk vectors against the taxonomy's topic vectors."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder

    @cached_property
    def topic_vectors(self) -> np.ndarray:
        """The topics' vectors, embedded once per taxonomy and model and then kept in kb's cache folder
        (embedding them took 2-4 s of every ingest, however small)."""
        import numpy as np

        from kb.config import cache_root
        from kb.embed import write_cache_file

        texts = [t.text for t in self.taxonomy.topics]
        model = [self.embedder.model_hash, self.embedder.backend, self.embedder.precision, self.embedder.dimension]
        key = hashlib.sha256(json.dumps([model, texts]).encode()).hexdigest()[:32]
        file = cache_root() / "topics" / f"{key}.npy"
        try:
            vectors = np.load(file)
            if vectors.shape == (len(texts), self.embedder.dimension) and vectors.dtype == np.float32:
                return vectors
        except (OSError, ValueError):
            pass
        vectors = np.asarray(self.embedder.encode(texts), dtype="float32")
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        write_cache_file(file, buffer.getvalue())
        return vectors

    @cached_property
    def _synonym_patterns(self) -> dict[str, list[re.Pattern[str]]]:
        return {t.id: [re.compile(r"(?<!\w)" + re.escape(s.lower()) + r"(?!\w)") for s in t.synonyms]
                for t in self.taxonomy.topics}

    def scores(self, chunk_vectors: np.ndarray, text: str = "") -> dict[str, float]:
        """{topic id: meaning score (mean cosine of the closest passages) + synonym score}."""
        import numpy as np

        if len(chunk_vectors) == 0:
            return {}
        sims = chunk_vectors @ self.topic_vectors.T  # [chunks, topics]
        top = min(TOP_PASSAGES, sims.shape[0])
        best = -np.sort(-sims, axis=0)[:top].mean(axis=0)
        lowered = text.lower()
        out = {}
        for topic, meaning in zip(self.taxonomy.topics, best):
            found = sum(1 for p in self._synonym_patterns[topic.id] if p.search(lowered)) if lowered else 0
            out[topic.id] = float(meaning) + SYNONYM_WEIGHT * min(1.0, found / SYNONYMS_NEEDED)
        return out

    def assign(self, chunk_vectors: np.ndarray, text: str = "", threshold: float = TOPIC_THRESHOLD,
               margin: float = TOPIC_MARGIN, limit: int = MAX_AUTO_TOPICS) -> tuple[str, ...]:
        """The topics a document is about, best first."""
        scores = self.scores(chunk_vectors, text)
        if not scores:
            return ()
        best = max(scores.values())
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return tuple(t for t, s in ranked if s >= threshold and s >= best - margin)[:limit]
