"""Automatic topic tagging against hand labels (benchmarks/data/topic_labels.jsonl), on a fixed split.

    python benchmarks/topics.py            # precision and recall of the shipped model on both halves
    python benchmarks/topics.py --fit      # fit the model on the tuning half only, then report both halves

Builds (or reuses) indexes of corpus/ and ../shared/data/labour-docs under KB_CACHE/bench, and scores each
labelled document against the taxonomy from its stored vectors and text, as a re-tag does. The labelled
documents are split by a hash of their id: an odd sha256 is held out, never used to fit or choose anything.
Precision and recall are micro-averaged over the automatic topics (metadata topics are not counted).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb.topics import BIAS, TOPIC_THRESHOLD, WEIGHTS, Taxonomy, TopicTagger

SOURCES = {"corpus": ROOT / "corpus", "labour-docs": ROOT.parent / "shared" / "data" / "labour-docs"}
LABELS = ROOT / "benchmarks" / "data" / "topic_labels.jsonl"
L2 = (0.1, 0.3, 1.0, 3.0)
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
TARGET = (0.85, 0.75)  # precision, recall (issue 15)


def held_out(doc_id: str) -> bool:
    """The fixed split: documents whose id hashes odd are the held-out half."""
    return int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 2 == 1


def labelled_features(settings: Settings) -> tuple[list[str], list[tuple[str, np.ndarray, set[str]]]]:
    """(topic ids, [(doc id, features [topics, n], gold topics)]) for every labelled document found."""
    labels = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    cache = Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb") / "bench"
    rows, tagger = [], None
    for source, folder in SOURCES.items():
        wanted = [lab for lab in labels if lab["doc_id"].startswith(source + "/")]
        if not wanted or not folder.is_dir():
            continue
        kb = KnowledgeBase(replace(settings, index_dir=cache / source))
        kb.ingest([folder])
        tagger = tagger or TopicTagger(Taxonomy.load(settings.topics_path), kb.embedder)
        reader = kb.reader()
        for lab in wanted:
            doc_id = lab["doc_id"][len(source) + 1:]
            chunks = reader.chunks_of(doc_id)
            vectors = reader.vectors_by_id([c.chunk_id for c in chunks])
            rows.append((lab["doc_id"], tagger.features(vectors, " ".join(c.text for c in chunks)), set(lab["topics"])))
    assert tagger is not None, "no labelled documents found"
    return [t.id for t in tagger.taxonomy.topics], rows


def fit(rows: list[tuple[str, np.ndarray, set[str]]], ids: list[str], l2: float) -> np.ndarray:
    """Logistic regression by gradient descent (weights then bias), L2 on the weights."""
    x = np.vstack([np.c_[f, np.ones(len(f))] for _, f, _ in rows])
    y = np.concatenate([[t in gold for t in ids] for _, _, gold in rows]).astype(float)
    w = np.zeros(x.shape[1])
    for _ in range(3000):
        p = 1 / (1 + np.exp(-x @ w))
        w -= 2.0 * (x.T @ (p - y) + l2 * np.r_[w[:-1], 0.0]) / len(y)
    return w


def predict(features: np.ndarray, ids: list[str], w: np.ndarray, threshold: float) -> set[str]:
    p = 1 / (1 + np.exp(-(features @ w[:-1] + w[-1])))
    return {ids[j] for j in np.argsort(-p)[:5] if p[j] >= threshold}


def prf(pairs: list[tuple[set[str], set[str]]]) -> tuple[float, float]:
    tp = sum(len(p & g) for p, g in pairs)
    predicted, gold = sum(len(p) for p, _ in pairs), sum(len(g) for _, g in pairs)
    return (tp / predicted if predicted else 0.0), (tp / gold if gold else 0.0)


def choose(tune: list[tuple[str, np.ndarray, set[str]]], ids: list[str]) -> tuple[float, float]:
    """(L2, threshold) with the smallest shortfall from TARGET, leaving one tuning document out at a time."""
    best = None
    for l2 in L2:
        models = [(fit(tune[:i] + tune[i + 1:], ids, l2), row) for i, row in enumerate(tune)]
        for threshold in THRESHOLDS:
            p, r = prf([(predict(f, ids, w, threshold), gold) for w, (_, f, gold) in models])
            shortfall = max(0.0, TARGET[0] - p) + max(0.0, TARGET[1] - r)
            print(f"  leave-one-out on the tuning half: L2 {l2} threshold {threshold}: P {p:.3f} R {r:.3f}")
            if best is None or shortfall < best[0]:
                best = (shortfall, l2, threshold)
    assert best is not None
    return best[1], best[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit the model on the tuning half and print its constants")
    args = parser.parse_args()
    ids, rows = labelled_features(Settings.from_env())
    tune = [r for r in rows if not held_out(r[0])]
    held = [r for r in rows if held_out(r[0])]
    w, threshold = np.r_[WEIGHTS, BIAS], TOPIC_THRESHOLD
    if args.fit:
        l2, threshold = choose(tune, ids)
        w = fit(tune, ids, l2)
        print(f"fitted on {len(tune)} tuning documents, L2 {l2}: WEIGHTS = {tuple(round(float(v), 3) for v in w[:-1])}, "
              f"BIAS = {round(float(w[-1]), 3)}, TOPIC_THRESHOLD = {threshold}")
    for name, half in (("tuning half", tune), ("held-out half", held)):
        pairs = [(predict(f, ids, w, threshold), gold) for _, f, gold in half]
        p, r = prf(pairs)
        print(f"{name} ({len(half)} documents, {sum(len(g) for _, g in pairs)} labels): precision {p:.3f} recall {r:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
