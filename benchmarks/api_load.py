"""The API under 16 clients, two versions of kb side by side: uncached and cache-starting-empty, 1 and 2 workers.

    python benchmarks/api_load.py --base DIR [--index DIR] [--clients 16] [--seconds 45] [--rounds 2]
                                  [--rows off:1,off:2,empty:1,empty:2] [--out benchmarks/results/api_load.md]

DIR is another checkout of the repo (e.g. `git archive main | tar -x -C /tmp/kb-base`): its `kb serve` is
measured against this one's, run for run. Each row is one load run (benchmarks/load.py) against a fresh server:
`off` with KB_RESULT_CACHE=0 (every request embeds its question and searches), `empty` with the default cache
starting empty (20 questions asked before the clock, the rest computed at their first asking under load).
The machine is shared, so the versions alternate run by run (base first in odd rounds, this one first in even
ones), the load average is noted before each run, and the tables give medians of the rounds.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import load_test

LABOUR_INDEX = Path.home() / ".cache" / "kb" / "bench" / "labour-docs"
CACHES = {"off": "0", "empty": None}  # KB_RESULT_CACHE for each: None = the default


def one(code: Path, index: Path, cache: str, workers: int, clients: int, seconds: float) -> dict:
    previous = os.environ.pop("KB_RESULT_CACHE", None)
    if CACHES[cache] is not None:
        os.environ["KB_RESULT_CACHE"] = CACHES[cache]
    try:
        before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        result = load_test(index, clients=clients, seconds=seconds, workers=workers, code=code)
    finally:
        os.environ.pop("KB_RESULT_CACHE", None)
        if previous is not None:
            os.environ["KB_RESULT_CACHE"] = previous
    return result | {"load_before": before, "cache": cache}


def commit_of(code: Path) -> str:
    found = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or str(code)


def table(runs: list[dict], versions: dict[str, str]) -> list[str]:
    lines = ["| cache | workers | version | runs | q/s (median) | q/s each run | p50 ms | p99 ms (median) | p99 each run "
             "| server CPU ms a request | p99 ms of questions asked before | first askings in the slowest 1 % | errors "
             "| RSS MB idle -> last 10 s (peak) |", "|---|---:|---|---:|---:|---|---:|---:|---|---:|---:|---|---:|---|"]
    keys = list(dict.fromkeys((r["cache"], r["workers"]) for r in runs))
    for cache, workers in keys:
        for name in versions:
            mine = [r for r in runs if (r["cache"], r["workers"], r["version"]) == (cache, workers, name)]
            if not mine:
                continue
            def med(field: str, mine: list[dict] = mine) -> float:
                return statistics.median(r[field] for r in mine)

            def each(field: str, mine: list[dict] = mine) -> str:
                return ", ".join(f"{r[field]:g}" for r in mine)

            firsts = ", ".join(f"{r['first_askings_in_slowest_1pct']}/{r['slowest_1pct']}" for r in mine)
            rss = "; ".join(f"{r['rss_idle_mb']:.0f} -> {r['rss_last10_mb']:.0f} ({r['rss_peak_mb']:.0f})" for r in mine)
            lines.append(f"| {cache} | {workers} | {name} | {len(mine)} | {med('qps'):.1f} | {each('qps')} | {med('p50_ms'):.1f} "
                         f"| {med('p99_ms'):.1f} | {each('p99_ms')} | {med('server_cpu_ms_per_request'):.1f} | {med('p99_repeats_ms'):.1f} "
                         f"| {firsts} "
                         f"| {sum(r['errors'] for r in mine)} | {rss} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout to compare with")
    parser.add_argument("--base-name", help="what to call it (default: its git commit)")
    parser.add_argument("--name", help="what to call this checkout (default: its git commit)")
    parser.add_argument("--index", type=Path, default=LABOUR_INDEX)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", default="off:1,off:2,empty:1,empty:2", help="cache:workers, comma-separated")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "api_load.md")
    args = parser.parse_args()
    rows = [(cache, int(workers)) for cache, workers in (row.split(":") for row in args.rows.split(","))]
    versions = {args.base_name or f"base {commit_of(args.base)}": args.base, args.name or f"this {commit_of(ROOT)}": ROOT}
    runs: list[dict] = []
    started = dt.datetime.now(dt.UTC)
    for round_no in range(args.rounds):
        order = list(versions.items()) if round_no % 2 == 0 else list(reversed(versions.items()))
        for cache, workers in rows:
            for name, code in order:
                run = one(code, args.index, cache, workers, args.clients, args.seconds) | {"version": name, "round": round_no}
                runs.append(run)
                print(json.dumps({k: run[k] for k in ("version", "cache", "workers", "qps", "p50_ms", "p99_ms", "errors",
                                                       "rss_idle_mb", "rss_last10_mb", "load_before")}), flush=True)
    with open(args.index / "manifest.json", encoding="utf-8") as fh:
        counts = json.load(fh)["counts"]
    lines = ["# The API under load, two versions side by side (benchmarks/api_load.py)", "",
             f"Run {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores shared with other work; index: {args.index.name} "
             f"({counts['documents']} documents, {counts['chunks']:,} chunks); {args.clients} keep-alive clients on the same "
             f"machine, {args.seconds:g} s a run, real questions drawn at random (benchmarks/load.py); {args.rounds} rounds, "
             "the versions alternating run by run.", "", *table(runs, versions), "",
             "Load average (1, 5, 15 min) before each run, in order:", ""]
    lines += [f"- round {r['round'] + 1}, {r['version']}, cache {r['cache']}, {r['workers']} worker(s): {r['load_before']} "
              f"({r['qps']:g} q/s, p99 {r['p99_ms']:g} ms)" for r in runs]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out.with_suffix(".json")).write_text(json.dumps(runs, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
