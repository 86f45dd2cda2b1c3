"""Where an uncached query's time goes: each stage of `kb.search.query.run_search`, timed on its own.

    python benchmarks/query_profile.py INDEX [QUESTIONS.jsonl ...] [--mode hybrid] [--rounds 3]

Every question is asked `rounds` times with the result cache off (the first round warms SQLite's page cache and
the model and is not counted). The stages are the calls `run_search` makes, in its order, so their sum is close
to the whole; "all but the embedding" is `run_search` itself, timed whole, less its call of the embedder.
Prints a table of per-stage median and p90 in ms. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, native
from kb.config import Settings
from kb.languages import analysis_languages
from kb.records import Filters
from kb.search import query as q
from kb.search.confidence import SHORT_TERMS, judge
from kb.search.evidence import evidence, term_idfs
from kb.search.fusion import fuse, keyword_ceiling
from kb.search.question import read_question
from kb.search.snippets import stem

QUESTIONS = [ROOT / "tests/data/questions/part_a.jsonl", ROOT / "tests/data/questions/part_b.jsonl",
             ROOT / "benchmarks/data/labour_questions.jsonl"]
CACHED = "all but the embedding, with the model not run before it"
STAGES = ("reading the question", "filters", "query embedding", "dense search", "keyword search", "chunk -> doc",
          "fusion", "term weights", "passage chunks", "passages/snippets", "confidence", "facet counts")


def questions(paths: list[Path]) -> list[str]:
    """The query text of every line of these JSONL files."""
    return [json.loads(line)["query"] for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def staged(reader: Any, query: str, encode: Callable, mode: str, k: int, times: dict[str, list[float]]) -> None:
    """`run_search`'s calls one by one, as it makes them (and `retrieve`'s within), each timed into `times` (ms)."""
    clock = time.perf_counter
    marks = [clock()]

    def lap(name: str) -> None:
        marks.append(clock())
        times[name].append((marks[-1] - marks[-2]) * 1000)

    asked = read_question(reader, query)
    lap("reading the question")
    languages, terms = asked.languages, asked.terms
    allowed = q.allowed_documents(reader, Filters())
    lap("filters")
    vector = encode([asked.text])[0]
    lap("query embedding")
    limit = max(q.CANDIDATE_CHUNKS, 3 * k)
    rankings = [q.dense_chunks(reader, vector, allowed, limit)] if mode != "keyword" else []
    lap("dense search")
    if mode != "dense":
        rankings.append(q.keyword_chunks(reader, [*terms, *asked.written], allowed, limit, languages,
                                                    asked.alternatives, asked.countries))
    lap("keyword search")
    chunk_doc = reader.chunk_documents({c for ranked in rankings for c, _ in ranked})
    lap("chunk -> doc")
    ceiling = keyword_ceiling(reader.keyword.idf_sum(terms, languages)) if mode == "hybrid" else 0.0
    docs = fuse(rankings, chunk_doc, mode, ceiling)
    lap("fusion")
    found = q.Retrieved(docs, dict(rankings[0]) if mode != "keyword" else {}, vector, terms, asked.language,
                        asked.text, asked.corrections, (), asked.phrases, reader.counts()[0], asked.names, asked.written,
                        asked.spellings)
    idf = term_idfs(reader, terms, analysis_languages(asked.language))
    weights = q._stem_weights(idf)
    lap("term weights")
    top = docs[:k]
    short = frozenset(weights) if len(terms) <= SHORT_TERMS else frozenset()
    chunks = q._passage_chunks(reader, top, short)
    lap("passage chunks")
    marked = [*terms, *asked.written]
    hits = q._hits(reader, top, chunks, {stem(t) for t in marked}, q.SCORE_KINDS[mode], asked.phrases, weights,
                   marked, asked.language)
    lap("passages/snippets")
    judge(evidence(reader, hits, found, "en", chunks, encode=encode, idf=idf))
    lap("confidence")
    q.facet_counts(reader, [c.doc_id for c in docs])
    lap("facet counts")


class TimedEncode:
    """An embedder that adds up the time spent in it."""

    def __init__(self, encode: Callable) -> None:
        self.encode = encode
        self.seconds = 0.0

    def __call__(self, texts: list[str]) -> Any:
        started = time.perf_counter()
        try:
            return self.encode(texts)
        finally:
            self.seconds += time.perf_counter() - started


def profile(index: Path, paths: list[Path], mode: str = "hybrid", k: int = 10, rounds: int = 3) -> dict[str, Any]:
    """{stage: [ms, ...]} plus "run_search" and "all but the embedding", over every question and round after the first."""
    kb = KnowledgeBase(Settings(index_dir=index, result_cache=0))
    reader = kb.reader()
    embed = kb._query_embedder(reader).encode  # the service's own query embedder, as a search uses it
    asked = questions(paths)
    times: dict[str, list[float]] = defaultdict(list)
    first: dict[str, list[float]] = defaultdict(list)
    vectors: dict[tuple[str, ...], Any] = {}

    def remembered(texts: list[str]) -> Any:  # the embedder's answer without running it again
        key = tuple(texts)
        if key not in vectors:
            vectors[key] = embed(texts)
        return vectors[key]

    for round_no in range(rounds):
        counted = times if round_no else first
        for query in asked:
            encode = TimedEncode(embed)  # the whole search first: in the first round it meets the question's chunks first
            started = time.perf_counter()
            q.run_search(reader, query, k=k, mode=mode, filters=Filters(), encode=encode)
            whole = time.perf_counter() - started
            counted["run_search"].append(whole * 1000)
            counted["all but the embedding"].append((whole - encode.seconds) * 1000)
            # The same search with its embeddings remembered: the model does not run, so its ~90 MB of weights do not
            # stream through the caches first (the difference is what reading the index from memory costs after that).
            encode = TimedEncode(remembered)
            remembered([query])
            started = time.perf_counter()
            q.run_search(reader, query, k=k, mode=mode, filters=Filters(), encode=encode)
            counted[CACHED].append((time.perf_counter() - started - encode.seconds) * 1000)
            staged(reader, query, embed, mode, k, counted)
    return {"index": str(index), "engine": reader.manifest.keyword, "chunks": reader.chunk_count,
            "questions": len(asked), "rounds": rounds - 1, "mode": mode, "times": dict(times),
            # The first asking of each question, before the per-chunk memories (front matter, stems) know its chunks.
            "first_asking": first["all but the embedding"]}


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def table(result: dict[str, Any]) -> str:
    """A Markdown table: each stage's median and p90 in ms."""
    lines = [f"{result['index']} ({result['engine']}, {result['chunks']} chunks): {result['questions']} questions "
             f"x {result['rounds']} rounds, mode {result['mode']}, result cache off; search modules: "
             f"{native.status() or 'compiled (kb/native.py)'}", "",
             "| stage | median ms | p90 ms |", "|---|---:|---:|"]
    for name in (*STAGES, "run_search", "all but the embedding", CACHED):
        values = result["times"][name]
        label = f"**{name}**" if name == "all but the embedding" else name
        lines.append(f"| {label} | {statistics.median(values):.2f} | {p90(values):.2f} |")
    if result.get("first_asking"):
        values = result["first_asking"]
        lines.append(f"| all but the embedding, each question's first asking | {statistics.median(values):.2f} | {p90(values):.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path, nargs="*")
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(table(profile(args.index, args.questions or QUESTIONS, args.mode, rounds=args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
