"""Skills topics: the taxonomy (kb/data/topics.yaml, or Settings.topics_path) and automatic tagging at ingest.

A document is about a topic by two kinds of evidence, combined by a small logistic model (WEIGHTS, BIAS):
- meaning: the mean cosine of the document's three chunks closest to the topic (label, description and
  synonyms embedded together), and how far that is below the document's best topic; counted for English
  text only (the default model reads English best: elsewhere its cosines are low for every topic);
- words: how many of the topic's synonyms and translations occur (up to SYNONYMS_NEEDED), the share of the
  document's chunks that hold one, and, for a text in another language, the synonyms once more;
- spread: the share of its chunks that have the topic among their two closest.
A topic whose probability reaches TOPIC_THRESHOLD is assigned. A document carries at most MAX_TOPICS topics,
its metadata's and the automatic ones together, the best supported first (a metadata topic outside the
taxonomy counts as certain), unless its text spreads wider: a further topic stays when its probability is
STRONG_TOPIC or more. The model and the threshold are fitted on one half of benchmarks/data/topic_labels.jsonl
(split by a hash of the document id) and reported on the other: `python benchmarks/topics.py --fit`.
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
TOPIC_THRESHOLD = 0.35
STRONG_TOPIC = 0.90
MAX_TOPICS = 5
SYNONYMS_NEEDED = 3
TOP_PASSAGES = 3
# Fitted by benchmarks/topics.py --fit on the tuning half (L2 0.1): the features of `TopicTagger.features`.
WEIGHTS = (2.188, 4.892, 1.499, 8.256, 1.933, 0.245)
BIAS = -4.38
# A text is read as English when these words are at least ENGLISH_SHARE of its words (about a quarter of English
# prose; a few per cent of French, Spanish, Italian or Dutch).
_ENGLISH = frozenset("the and of to in is for that with on are by".split())  # noqa: SIM905
ENGLISH_SHARE = 0.08


@dataclass(frozen=True)
class Topic:
    """One entry of the taxonomy."""

    id: str
    label: str
    description: str
    synonyms: tuple[str, ...] = ()
    translations: tuple[str, ...] = ()  # the synonyms in other languages: matched in the text, not embedded

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
            translations = entry.get("translations") or []
            topics.append(Topic(str(entry["id"]), str(entry["label"]), " ".join(str(entry.get("description", "")).split()),
                                tuple(str(s) for s in synonyms), tuple(str(s) for s in translations)))
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
    def _word_patterns(self) -> dict[str, list[re.Pattern[str]]]:
        words = {t.id: dict.fromkeys(w.lower() for w in (*t.synonyms, *t.translations)) for t in self.taxonomy.topics}
        return {topic: [re.compile(r"(?<!\w)" + re.escape(w) + r"(?!\w)") for w in ws] for topic, ws in words.items()}

    def features(self, chunk_vectors: np.ndarray, text: str) -> np.ndarray:
        """[topics, features]: the evidence WEIGHTS weigh (see the module's docstring), one row per topic.
        `text` is the document's chunk texts joined; cut into as many equal runs of words as it has chunks,
        it gives the share of chunks holding a topic's words the same at ingest and at a re-tag."""
        import numpy as np

        sims = chunk_vectors @ self.topic_vectors.T  # [chunks, topics]
        meaning = -np.sort(-sims, axis=0)[:min(TOP_PASSAGES, sims.shape[0])].mean(axis=0)
        nearest = np.argsort(-sims, axis=1)[:, :2]
        spread = np.array([(nearest == j).any(axis=1).mean() for j in range(sims.shape[1])])
        words = text.lower().replace("\u2019", "'").split()  # the typographic apostrophe as typed
        size = -(-len(words) // len(chunk_vectors)) or 1
        texts = [" ".join(words[i:i + size]) for i in range(0, len(words), size)]
        english = float(sum(w in _ENGLISH for w in words) >= ENGLISH_SHARE * max(1, len(words)))
        rows = []
        for j, topic in enumerate(self.taxonomy.topics):
            patterns = self._word_patterns[topic.id]
            found = sum(1 for p in patterns if any(p.search(t) for t in texts))
            share = sum(1 for t in texts if any(p.search(t) for p in patterns)) / max(1, len(texts))
            named = min(1.0, found / SYNONYMS_NEEDED)
            rows.append([english * meaning[j], english * (meaning[j] - meaning.max()), named, share, spread[j],
                         (1 - english) * named])
        return np.asarray(rows, dtype="float64")

    def scores(self, chunk_vectors: np.ndarray, text: str) -> dict[str, float]:
        """{topic id: probability that the document is about it}."""
        import numpy as np

        if len(chunk_vectors) == 0:
            return {}
        logits = self.features(chunk_vectors, text) @ np.asarray(WEIGHTS) + BIAS
        return {t.id: float(p) for t, p in zip(self.taxonomy.topics, 1 / (1 + np.exp(-logits)))}

    def assign(self, chunk_vectors: np.ndarray, text: str, given: tuple[str, ...] = (),
               threshold: float = TOPIC_THRESHOLD) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the topics a document carries, the automatic ones among them): see the module's docstring."""
        scores = self.scores(chunk_vectors, text)
        auto = tuple(t for t, p in sorted(scores.items(), key=lambda kv: -kv[1]) if p >= threshold)
        topics = carried(given, auto, scores)
        return topics, tuple(t for t in auto if t in topics)


def carried(given: tuple[str, ...], auto: tuple[str, ...], scores: dict[str, float]) -> tuple[str, ...]:
    """A document's topics: at most MAX_TOPICS of its metadata's and its automatic ones, the best supported first
    (a metadata topic the taxonomy cannot score counts as certain), then any whose support is STRONG_TOPIC or more."""
    ranked = sorted(dict.fromkeys([*given, *auto]), key=lambda t: -scores.get(t, 1.0))
    return tuple(t for i, t in enumerate(ranked) if i < MAX_TOPICS or scores.get(t, 1.0) >= STRONG_TOPIC)


def listing(topics_path: Path | None, counts: dict[str, int]) -> list[dict[str, object]]:
    """The taxonomy's topics (`topics_path`, None: the packaged one) with `counts`, the documents that carry each, and
    the topics only documents name; most documents first."""
    listed: list[dict[str, object]] = [{"id": t.id, "label": t.label, "description": t.description, "documents": counts.get(t.id, 0)}
                                       for t in Taxonomy.load(topics_path).topics]
    known = {t["id"] for t in listed}
    listed += [{"id": t, "label": t, "description": "", "documents": n} for t, n in counts.items() if t not in known]
    return sorted(listed, key=lambda t: (-int(t["documents"]), str(t["label"])))  # type: ignore[call-overload]

