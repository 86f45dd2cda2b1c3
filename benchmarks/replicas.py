"""Serving replicas: `kb serve --workers N` for N = 1 and 2, with the result cache warm and off (benchmarks/load.py).

    python benchmarks/replicas.py [--index DIR] [--clients 16] [--seconds 30] [--rounds 2]

Each worker is a process with its own model session and its own immutable reader of the one snapshot
(SQLite immutable=1: no locks between them). Cached: every question is asked once before the clock starts,
so each worker's result cache holds the ones it answered (uvicorn spreads connections across workers, so a
worker may still compute a question first asked of the other). Uncached: KB_RESULT_CACHE=0, every request
embeds its question and searches. Runs are interleaved (N=1, N=2, then N=2, N=1 in the next round) because the
machine is shared; the load generator runs on the same 2 cores. Medians of the rounds.

Writes benchmarks/results/replicas.md. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import load_test

LABOUR_INDEX = Path.home() / ".cache" / "kb" / "bench" / "labour-docs"
RESULTS = ROOT / "benchmarks" / "results" / "replicas.md"


def one(index: Path, workers: int, cached: bool, clients: int, seconds: float) -> dict:
    """One load run against a fresh `kb serve --workers N`."""
    previous = os.environ.get("KB_RESULT_CACHE")
    if not cached:
        os.environ["KB_RESULT_CACHE"] = "0"
    try:
        before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        result = load_test(index, clients=clients, seconds=seconds, workers=workers, warm_all=cached)
        result["load_before"] = before
        result["load_after"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        result["cached"] = cached
        return result
    finally:
        if previous is None:
            os.environ.pop("KB_RESULT_CACHE", None)
        else:
            os.environ["KB_RESULT_CACHE"] = previous


def report(runs: list[dict], index: Path, clients: int) -> str:
    with open(index / "manifest.json", encoding="utf-8") as fh:
        counts = json.load(fh)["counts"]
    lines = ["# Serving replicas (benchmarks/replicas.py)", "",
             f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores shared with other work; index: labour-docs "
             f"({counts['documents']} documents, {counts['chunks']:,} chunks); {clients} keep-alive clients on the same machine, "
             "real questions drawn at random (benchmarks/load.py).", "",
             "| workers | result cache | runs | q/s (median) | q/s each run | p50 ms | p99 ms | errors | server RSS MB (peak) |",
             "|---:|---|---:|---:|---|---:|---:|---:|---:|"]
    for cached in (True, False):
        for workers in (1, 2):
            mine = [r for r in runs if r["workers"] == workers and r["cached"] == cached]
            if not mine:
                continue
            qps = [r["qps"] for r in mine]
            lines.append(f"| {workers} | {'warm' if cached else 'off'} | {len(mine)} | {statistics.median(qps):.1f} "
                         f"| {', '.join(f'{q:.1f}' for q in qps)} | {statistics.median(r['p50_ms'] for r in mine):.1f} "
                         f"| {statistics.median(r['p99_ms'] for r in mine):.1f} | {sum(r['errors'] for r in mine)} "
                         f"| {max(r['rss_peak_mb'] for r in mine):.0f} |")
    lines += ["", "Load average (1, 5, 15 min) before and after each run, in order:", ""]
    lines += [f"- {r['workers']} worker(s), cache {'warm' if r['cached'] else 'off'}: {r['load_before']} -> {r['load_after']} "
              f"({r['qps']} q/s)" for r in runs]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=LABOUR_INDEX)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs = []
    for round_ in range(args.rounds):
        for cached in (True, False):
            for workers in ((1, 2) if round_ % 2 == 0 else (2, 1)):
                run = one(args.index, workers, cached, args.clients, args.seconds)
                print(json.dumps({k: run[k] for k in ("workers", "cached", "qps", "p50_ms", "p99_ms", "errors", "load_before")}), flush=True)
                runs.append(run)
    text = report(runs, args.index, args.clients)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
