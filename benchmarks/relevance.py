"""Relevance benchmark: SciFact (BEIR) and the labour-docs question set, keyword / dense / hybrid.

    python benchmarks/relevance.py [--skip-scifact] [--skip-labour]

Prints one table per data set with the published reference numbers beside ours, plus plain
reciprocal rank fusion (RRF, k=60) of the same two rankings as the floor the hybrid must beat, and
how often "no confident match" fires. Writes benchmarks/results/relevance.md and .json.
Indexes are built once and cached in $KB_CACHE (default ~/.cache/kb). Nothing here is tuned per query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb import search as S
from kb.embed import Embedder, load_embedder
from kb.evaluate import eval_index_dir, load_beir, score_run
from kb.index.keyword import DEFAULT_ENGINE as DEFAULT_KEYWORD_ENGINE
from kb.ingest.pipeline import ingest_records
from kb.records import Filters
from kb.search.fusion import KEYWORD_FLOOR

SHARED = ROOT.parent / "shared" / "data"
PUBLISHED_SCIFACT = [
    ("BM25, BEIR paper (Elasticsearch multifield)", 0.665, None),
    ("BM25, Pyserini flat", 0.679, 0.925),
    ("all-MiniLM-L6-v2 dense (MTEB)", 0.645, 0.925),
    ("BM25 + BGE-base, RRF (QuackIR)", 0.744, None),
    ("BGE-base-en-v1.5 alone (Pyserini)", 0.741, 0.967),
]


def rrf_ranking(kb: KnowledgeBase, query: str, k: int = 100) -> list[str]:
    """Plain reciprocal rank fusion (k=60) of kb's own dense and keyword document rankings: the floor."""
    reader = kb.reader()
    dense = S.retrieve(reader, query, k=k, mode="dense", filters=Filters(), encode=kb.embedder.encode).docs
    keyword = S.retrieve(reader, query, k=k, mode="keyword", filters=Filters(), encode=None).docs
    scores: dict[str, float] = defaultdict(float)
    for ranking in (dense, keyword):
        for rank, cand in enumerate(ranking, start=1):
            scores[cand.doc_id] += 1.0 / (60 + rank)
    return sorted(scores, key=lambda d: -scores[d])[:k]


def run_modes(kb: KnowledgeBase, queries: dict[str, str], qrels: dict) -> dict[str, dict[str, float]]:
    out = {}
    for mode in ("keyword", "dense", "hybrid"):
        started = time.perf_counter()
        run = {q: kb.rank(text, k=100, mode=mode) for q, text in queries.items()}
        out[mode] = score_run(run, qrels) | {"seconds": time.perf_counter() - started}
    started = time.perf_counter()
    run = {q: rrf_ranking(kb, text) for q, text in queries.items()}
    out["plain RRF (floor)"] = score_run(run, qrels) | {"seconds": time.perf_counter() - started}
    return out


def confidence_rates(kb: KnowledgeBase, questions: list[dict]) -> dict[str, str]:
    """How often 'no confident match' fires on questions with no answer, and on answerable ones."""
    none = [q for q in questions if not q["relevant"]]
    some = [q for q in questions if q["relevant"]]
    fired_none = sum(not kb.search(q["query"], k=5).confident for q in none)
    fired_some = sum(not kb.search(q["query"], k=5).confident for q in some)
    return {"no-answer questions flagged": f"{fired_none}/{len(none)}",
            "answerable questions flagged": f"{fired_some}/{len(some)}"}


def table(rows: dict[str, dict[str, float]], published=()) -> str:
    lines = ["| system | nDCG@10 | Recall@100 | MRR@10 |", "|---|---|---|---|"]
    for name, ndcg, recall in published:
        lines.append(f"| {name} (published) | {ndcg:.3f} | {recall:.3f} | |" if recall else f"| {name} (published) | {ndcg:.3f} | | |")
    for mode, m in rows.items():
        lines.append(f"| **kb {mode}** | {m['ndcg_at_10']:.3f} | {m['recall_at_100']:.3f} | {m['mrr_at_10']:.3f} |")
    return "\n".join(lines)


def mteb_protocol_dense(embedder: Embedder, corpus, queries: dict[str, str], qrels: dict) -> dict[str, float]:
    """Dense retrieval as MTEB measured it: one vector per document (title + text, cut at the model's
    256 tokens), exact search. Checks that our model reproduces the published 0.645 before chunking."""
    import numpy as np

    docs = embedder.encode([f"{d.title} {d.text}".strip() for d in corpus])
    ids = [d.doc_id for d in corpus]
    qids = list(queries)
    scores = embedder.encode([queries[q] for q in qids]) @ docs.T
    run = {q: [ids[i] for i in np.argsort(-scores[n])[:100]] for n, q in enumerate(qids)}
    return score_run(run, qrels)


def scifact(settings: Settings, embedder: Embedder, protocol_check: bool) -> dict:
    folder = SHARED / "beir" / "scifact"
    corpus, queries, qrels = load_beir(folder)
    index = eval_index_dir(folder, settings, embedder)
    print(f"SciFact: {len(corpus)} documents, {len(queries)} test queries; index {index}", file=sys.stderr)
    ingest_records(corpus, f"beir:{folder.resolve()}", replace(settings, index_dir=index), embedder)
    kb = KnowledgeBase(replace(settings, index_dir=index), embedder=embedder)
    rows = run_modes(kb, queries, {q: qrels[q] for q in queries})
    if protocol_check:
        rows["dense, MTEB protocol (whole document, truncated)"] = mteb_protocol_dense(embedder, corpus, queries, qrels)
    return {"rows": rows, "queries": len(queries)}


def labour(settings: Settings, embedder: Embedder, cache: Path) -> dict:
    folder = SHARED / "labour-docs"
    questions = [json.loads(line) for line in (ROOT / "benchmarks" / "data" / "labour_questions.jsonl").read_text().splitlines() if line.strip()]
    engine = settings.keyword_engine or DEFAULT_KEYWORD_ENGINE
    index = cache / "bench" / ("labour-docs" if engine == "fts5" else f"labour-docs-{engine}")  # fts5's kept its name
    kb = KnowledgeBase(replace(settings, index_dir=index), embedder=embedder)
    report = kb.ingest([folder])  # incremental: only the first run embeds
    print(f"labour-docs: {kb.info().documents} documents ({report.chunks_embedded} chunks embedded now)", file=sys.stderr)
    judged = [q for q in questions if q["relevant"]]
    queries = {q["id"]: q["query"] for q in judged}
    rows = run_modes(kb, queries, {q["id"]: q["relevant"] for q in judged})
    by_kind = {}
    for kind in sorted({q["kind"] for q in judged}):
        subset = [q for q in judged if q["kind"] == kind]
        run = {q["id"]: kb.rank(q["query"], k=100, mode="hybrid") for q in subset}
        by_kind[kind] = score_run(run, {q["id"]: q["relevant"] for q in subset}) | {"n": len(subset)}
    return {"rows": rows, "queries": len(judged), "by_kind": by_kind, "confidence": confidence_rates(kb, questions)}


# The hand-written part of relevance.md (the fusion's tuning and held-out halves, its history) starts here; a rerun keeps it.
NOTES = "## How the fusion was chosen"


def kept_notes(path: Path) -> str:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + old[old.index(NOTES):] if NOTES in old else ""


def main() -> int:
    parser = argparse.ArgumentParser(description="kb relevance benchmark")
    parser.add_argument("--skip-scifact", action="store_true")
    parser.add_argument("--skip-labour", action="store_true")
    parser.add_argument("--mteb-protocol", action="store_true",
                        help="also embed whole SciFact documents without chunking, as MTEB did (slow)")
    args = parser.parse_args()
    import os

    settings = Settings.from_env()
    embedder = load_embedder(settings.model, settings.backend, settings.precision, settings.batch_size)
    cache = Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb")
    results: dict = {"date": dt.date.today().isoformat(),
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
                     "model": settings.model, "dense_weight": S.DENSE_WEIGHT, "keyword_ceiling": S.KEYWORD_CEILING,
                     "keyword_floor": KEYWORD_FLOOR, "keyword_engine": settings.keyword_engine or DEFAULT_KEYWORD_ENGINE,
                     "confidence_threshold": S.CONFIDENCE_THRESHOLD}
    md = [f"# Relevance — measured {results['date']} on {results['machine']}", "",
          f"hybrid, per chunk = {S.DENSE_WEIGHT} x cosine + {1 - S.DENSE_WEIGHT:g} x max(0, bm25 / ({S.KEYWORD_CEILING} x the query terms' "
          f"summed IDF) - {KEYWORD_FLOOR}); a document scores its best chunk. Keyword engine: {results['keyword_engine']}.", ""]
    if not args.skip_scifact and (SHARED / "beir" / "scifact").is_dir():
        results["scifact"] = scifact(settings, embedder, args.mteb_protocol)
        md += [f"## SciFact test ({results['scifact']['queries']} queries)", "", table(results["scifact"]["rows"], PUBLISHED_SCIFACT), ""]
    if not args.skip_labour and (SHARED / "labour-docs").is_dir():
        results["labour"] = labour(settings, embedder, cache)
        lab = results["labour"]
        md += [f"## labour-docs, own question set ({lab['queries']} judged questions)", "", table(lab["rows"]), "",
               "Hybrid by kind of question:", "", "| kind | n | nDCG@10 | MRR@10 |", "|---|---|---|---|"]
        md += [f"| {k} | {v['n']} | {v['ndcg_at_10']:.3f} | {v['mrr_at_10']:.3f} |" for k, v in lab["by_kind"].items()]
        md += ["", "No confident match: " + "; ".join(f"{k}: {v}" for k, v in lab["confidence"].items()), ""]
    text = "\n".join(md)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "relevance.md").write_text(text + "\n" + kept_notes(out / "relevance.md"), encoding="utf-8")
    (out / "relevance.json").write_text(json.dumps(results, indent=2, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
