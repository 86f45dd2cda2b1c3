"""Relevance evaluation on BEIR-format data: build (or reuse) an index, run every query, score it.

Metrics follow trec_eval's definitions (checked against pytrec_eval in the tests):
nDCG@10 with linear gains, Recall@100, MRR@10.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kb.config import Settings
from kb.embed import Embedder, cache_root, load_embedder
from kb.errors import ConfigError
from kb.index.keyword import DEFAULT_ENGINE as DEFAULT_KEYWORD_ENGINE

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class EvalResult:
    """Scores of one retrieval mode over one query set."""

    dataset: str
    mode: str
    queries: int
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    seconds: float


# -- metrics -----------------------------------------------------------------------------------------

def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gain = grade and discount log2(rank + 1), as trec_eval's ndcg_cut."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents (grade > 0) found in the first k."""
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first relevant document within the first k, else 0."""
    for i, doc in enumerate(ranking[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def score_run(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the queries that have judgements."""
    ids = [q for q in qrels if any(g > 0 for g in qrels[q].values())]
    if not ids:
        raise ConfigError("no judged queries to score")
    return {
        "ndcg_at_10": sum(ndcg_at(run.get(q, []), qrels[q]) for q in ids) / len(ids),
        "recall_at_100": sum(recall_at(run.get(q, []), qrels[q]) for q in ids) / len(ids),
        "mrr_at_10": sum(mrr_at(run.get(q, []), qrels[q]) for q in ids) / len(ids),
    }


# -- BEIR data ---------------------------------------------------------------------------------------

def _jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_beir(folder: Path, split: str = "test") -> tuple[list, dict[str, str], dict[str, dict[str, int]]]:
    """(corpus records, {query_id: text}, {query_id: {doc_id: grade}}) from a BEIR folder."""
    from kb.ingest.pipeline import TextRecord

    folder = Path(folder)
    needed = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise ConfigError(f"Not a BEIR dataset folder: missing {', '.join(missing)}")
    qrels: dict[str, dict[str, int]] = {}
    with open(needed[2], encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    queries = {str(q["_id"]): q["text"] for q in _jsonl(needed[1]) if str(q["_id"]) in qrels}
    corpus = [
        TextRecord(doc_id=str(d["_id"]), title=d.get("title") or "", text=d.get("text") or "")
        for d in _jsonl(needed[0])
    ]
    return corpus, queries, qrels


def eval_index_dir(dataset: Path, settings: Settings, embedder: Embedder) -> Path:
    """Where the index for this dataset and these settings is cached (reused when nothing changed)."""
    corpus = Path(dataset) / "corpus.jsonl"
    stat = corpus.stat()
    engine = settings.keyword_engine or DEFAULT_KEYWORD_ENGINE
    key = json.dumps([str(corpus.resolve()), stat.st_size, int(stat.st_mtime), embedder.model_hash,
                      embedder.backend, embedder.precision, settings.chunk_tokens, settings.chunk_overlap,
                      *([engine] if engine != "fts5" else [])])  # fts5 indexes keep the key they had before engines
    return cache_root() / "eval" / f"{Path(dataset).resolve().name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def evaluate(dataset: Path, modes: Sequence[str], settings: Settings, embedder: Embedder | None = None,
             progress=None, split: str = "test") -> list[EvalResult]:
    """Build or reuse the dataset's index, run every query in each mode, and score the runs."""
    import time

    from kb.ingest.pipeline import ingest_records
    from kb.service import KnowledgeBase

    embedder = embedder or load_embedder(settings.model, settings.backend, settings.precision, settings.batch_size,
                                         threads=settings.threads or None)
    corpus, queries, qrels = load_beir(dataset, split)
    index_dir = eval_index_dir(dataset, settings, embedder)
    eval_settings = replace(settings, index_dir=index_dir)
    ingest_records(corpus, f"beir:{Path(dataset).resolve()}", eval_settings, embedder, progress)
    kb = KnowledgeBase(eval_settings, embedder=embedder)
    results = []
    for mode in modes:
        started = time.perf_counter()
        run = {qid: kb.rank(text, k=100, mode=mode) for qid, text in queries.items()}
        scores = score_run(run, {q: qrels[q] for q in queries})
        results.append(EvalResult(
            dataset=Path(dataset).name, mode=mode, queries=len(queries),
            ndcg_at_10=round(scores["ndcg_at_10"], 4), recall_at_100=round(scores["recall_at_100"], 4),
            mrr_at_10=round(scores["mrr_at_10"], 4), seconds=round(time.perf_counter() - started, 1),
        ))
    return results
