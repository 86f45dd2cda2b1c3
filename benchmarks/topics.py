"""Automatic topic tagging against hand labels (benchmarks/data/topic_labels.jsonl).

    python benchmarks/topics.py

Builds (or reuses) indexes of corpus/ and ../shared/data/labour-docs, scores each labelled document
against the taxonomy from its stored vectors, and prints micro precision and recall of the automatic
topics (metadata topics are not counted) at the shipped settings and over a small sweep.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb.topics import MAX_AUTO_TOPICS, TOPIC_MARGIN, TOPIC_THRESHOLD, Taxonomy, TopicTagger

# The shipped settings were chosen on the corpus/ documents; labour-docs is the held-out check.

SOURCES = {"corpus": ROOT / "corpus", "labour-docs": ROOT.parent / "shared" / "data" / "labour-docs"}


def doc_vectors(kb: KnowledgeBase, doc_id: str) -> np.ndarray:
    reader = kb.reader()
    return reader.vectors_by_id(reader.chunk_ids_of([doc_id]))


def prf(pairs: list[tuple[set[str], set[str]]]) -> tuple[float, float, int]:
    tp = sum(len(p & g) for p, g in pairs)
    predicted = sum(len(p) for p, _ in pairs)
    gold = sum(len(g) for _, g in pairs)
    return (tp / predicted if predicted else 0.0), (tp / gold if gold else 0.0), predicted


def main() -> int:
    labels = [json.loads(line) for line in (ROOT / "benchmarks" / "data" / "topic_labels.jsonl").read_text().splitlines() if line.strip()]
    settings = Settings.from_env()
    cache = Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb") / "bench"
    scored: dict[str, list[tuple[dict[str, float], set[str]]]] = {}
    tagger = None
    for source, folder in SOURCES.items():
        wanted = [lab for lab in labels if lab["doc_id"].startswith(source + "/")]
        if not wanted or not folder.is_dir():
            continue
        kb = KnowledgeBase(replace(settings, index_dir=cache / source))
        kb.ingest([folder])
        tagger = tagger or TopicTagger(Taxonomy.load(settings.topics_path), kb.embedder)
        scored[source] = []
        for lab in wanted:
            doc_id = lab["doc_id"][len(source) + 1:]
            text = " ".join(c.text for c in kb.reader().chunks_of(doc_id))
            scored[source].append((tagger.scores(doc_vectors(kb, doc_id), text), set(lab["topics"])))

    def predict(scores: dict[str, float], threshold: float, margin: float) -> set[str]:
        best = max(scores.values())
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return {t for t, s in ranked if s >= threshold and s >= best - margin} if ranked else set()

    def report(threshold: float, margin: float) -> str:
        cells = []
        everything = []
        for source, rows in scored.items():
            pairs = [(set(sorted(predict(s, threshold, margin), key=lambda t: -s[t])[:MAX_AUTO_TOPICS]), g) for s, g in rows]
            everything += pairs
            p, r, n = prf(pairs)
            cells.append(f"{source} ({len(rows)} docs) P {p:.2f} R {r:.2f}")
        p, r, _ = prf(everything)
        cells.append(f"all P {p:.2f} R {r:.2f}")
        return " | ".join(cells)

    print(f"shipped: threshold {TOPIC_THRESHOLD}, margin {TOPIC_MARGIN}, at most {MAX_AUTO_TOPICS}: {report(TOPIC_THRESHOLD, TOPIC_MARGIN)}")
    for threshold in (0.40, 0.45, 0.50):
        for margin in (0.08, 0.12, 0.16):
            print(f"threshold {threshold:.2f} margin {margin:.2f}: {report(threshold, margin)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
