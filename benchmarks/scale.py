"""A synthetic 1M-chunk index built through kb's own writer: what docs/scaling.md measures on this machine.

    python benchmarks/scale.py [--n 1000000] [--keep] [--stages build,increment,query]

Text: benchmarks/keyword.py's generator (real titles, heading paths, chunk lengths and sentences of the labour-docs
and corpus/ indexes, recombined). Vectors: benchmarks/ann.py's generator seeded with the 11,584 real chunk vectors
of the labour-docs index (noise spread 0.35, where ann.py's calibration matched real nearest-neighbour cosines).
The manifest names the real model, so `KnowledgeBase.search` embeds real questions against it.

Stages, each in a process of its own so its peak RSS is its own:
  build      one IndexWriter adds every document and commits (auto picks ivf above 50k chunks; keyword fts5):
             seconds adding, seconds committing, peak RSS, the snapshot's files and their sizes
  increment  what one more ingest costs today at this size: open a writer (copies the snapshot's SQLite), add one
             document of 10 chunks, checkpoint(), add another, commit(); seconds of each step, peak RSS
  query      KnowledgeBase.search over the bench's real questions in keyword, dense and hybrid mode: p50/p99 ms

The index is kept in ~/.cache/kb/bench/scale-N (about 4 GB per snapshot at 1M). Writes benchmarks/results/scale.md.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CACHE = Path.home() / ".cache" / "kb" / "bench"
RESULTS = ROOT / "benchmarks" / "results" / "scale.md"
SPREAD = 0.35
CHUNKER = {"bench": "scale-v1"}


def bench_keyword():
    """benchmarks/keyword.py, loaded by path: `import keyword` is the standard library's module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kb_bench_keyword", ROOT / "benchmarks" / "keyword.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text_generator(seed_offset: int = 0):
    """benchmarks/keyword.py's generator of synthetic documents made of real text."""
    bench = bench_keyword()
    documents, sentences = bench.source_chunks()
    return bench.Generator(documents, sentences, bench.SEED + seed_offset)


def peak_rss_mb() -> float:
    """This process's peak resident memory since the last reset_peak_rss() (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> float:
    """Start counting the peak again from now (Linux: 5 > /proc/self/clear_refs); the resident memory now."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss_mb()


def model_spec() -> dict:
    from kb.config import Settings
    from kb.embed import load_embedder

    settings = Settings()
    return dict(load_embedder(settings.model, settings.backend, settings.precision).describe())


def vector_generator():
    import numpy as np
    from ann import Generator

    from kb.index.store import open_reader

    with open_reader(CACHE / "labour-docs") as reader:
        seeds = np.asarray(reader.vectors_by_id([c.chunk_id for c in reader.all_chunks()]), dtype="float32")
    # 3,000 of them, as ann.py calibrated on: the generator's seed-by-seed similarities stay at 36 MB.
    seeds = seeds[np.random.default_rng(5).choice(len(seeds), min(3000, len(seeds)), replace=False)]
    return Generator(seeds, SPREAD), np.random.default_rng(11)


def build(index: Path, n: int) -> dict:
    from kb.index.store import IndexWriter

    texts = text_generator().documents_of(n, "doc")
    vectors, rng = vector_generator()
    model = model_spec()
    baseline = reset_peak_rss()  # the writer's peak from here: the generators' own memory is counted in the baseline
    started = time.perf_counter()
    with IndexWriter(index, model, CHUNKER, index_kind="auto", keyword_engine="fts5") as writer:
        for doc, chunks in texts:
            writer.add_document(doc, "bench", chunks, vectors.sample(len(chunks), rng))
        added = time.perf_counter()
        manifest = writer.commit()
    done = time.perf_counter()
    folder = index / "snapshots" / manifest.snapshot
    files = {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
    return {"chunks": manifest.chunks, "documents": manifest.documents, "kind": manifest.index.kind, "add_s": added - started,
            "commit_s": done - added, "rss_before_mb": baseline, "peak_rss_mb": peak_rss_mb(), "files": files, "snapshot_bytes": sum(files.values())}


def increment(index: Path) -> dict:
    from kb.index.store import IndexWriter, read_manifest

    extra = text_generator(1)
    vectors, rng = vector_generator()
    manifest = read_manifest(index)
    baseline = reset_peak_rss()

    def one(writer, name: str) -> None:
        doc, chunks = next(extra.documents_of(10, name))
        writer.add_document(doc, "bench", chunks[:10], vectors.sample(len(chunks[:10]), rng))

    times = {}
    started = time.perf_counter()
    with IndexWriter(index, manifest.model, manifest.chunker, snapshot_grace=0) as writer:
        times["open_s"] = time.perf_counter() - started
        one(writer, "extra-a")
        mark = time.perf_counter()
        writer.checkpoint()
        times["checkpoint_s"] = time.perf_counter() - mark
        one(writer, "extra-b")
        mark = time.perf_counter()
        writer.commit()
        times["commit_s"] = time.perf_counter() - mark
    # Put the index back as the build left it, so a later run measures the same thing.
    with IndexWriter(index, manifest.model, manifest.chunker, snapshot_grace=0) as writer:
        writer.remove_documents([d for d in writer.known_documents() if d.startswith("extra-")])
        writer.commit()
    return times | {"rss_before_mb": baseline, "peak_rss_mb": peak_rss_mb()}


def query(index: Path) -> dict:
    from load import questions

    from kb import KnowledgeBase, Settings

    kb = KnowledgeBase(Settings(index_dir=index, result_cache=0))
    asked = questions()
    out: dict = {}
    for mode in ("keyword", "dense", "hybrid"):
        kb.search(asked[0], mode=mode)  # open the reader, the model, the indexes
        times = []
        for q in asked:
            started = time.perf_counter()
            kb.search(q, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[mode] = {"p50_ms": statistics.median(times), "p99_ms": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
                     "questions": len(times)}
    return out | {"peak_rss_mb": peak_rss_mb()}


def stage(name: str, index: Path, n: int) -> dict:
    """Run one stage in a child process; its JSON result, with its wall time and the load around it."""
    before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", name, "--index", str(index), "--n", str(n)],
                         capture_output=True, text=True, timeout=7200)
    if out.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result | {"wall_s": time.perf_counter() - started, "load_before": before,
                     "load_after": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())}


def report(n: int, results: dict) -> str:
    lines = [f"# A synthetic {n:,}-chunk index through kb's writer (benchmarks/scale.py)", "",
             f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores shared with other work.", ""]
    for name, result in results.items():
        lines += [f"## {name}", "", "```", json.dumps(result, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--stages", default="build,increment,query")
    parser.add_argument("--keep", action="store_true", help="keep an existing index (skip the build when it is there)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = build(args.index, args.n) if args.child == "build" else {"increment": increment, "query": query}[args.child](args.index)
        print(json.dumps(result))
        return 0
    index = CACHE / f"scale-{args.n}"
    results = {}
    for name in args.stages.split(","):
        if name == "build":
            if args.keep and (index / "manifest.json").exists():
                continue
            shutil.rmtree(index, ignore_errors=True)
        results[name] = stage(name, index, args.n)
        print(name, json.dumps(results[name]), flush=True)
    previous = json.loads(RESULTS.with_suffix(".json").read_text()) if RESULTS.with_suffix(".json").exists() else {}
    merged = previous | results
    RESULTS.with_suffix(".json").write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    RESULTS.write_text(report(args.n, merged), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
