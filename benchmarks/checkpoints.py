"""What ingest checkpoints cost: one checkpoint at labour-docs' size, and whole ingests with checkpoints off and on.

    python benchmarks/checkpoints.py [--files 24] [--rounds 3] [--skip copy,ingest]

1. copy: IndexWriter.checkpoint() on a copy of the full labour-docs index (kb ingest of ../shared/data/labour-docs,
   cached in ~/.cache/kb/bench/labour-docs): the snapshot committed and a fresh one started from it, the whole
   cost of one checkpoint at that size (median of 5).
2. ingest: the bench's labour-docs files (benchmarks/speed.py's pick_files) through `kb ingest` in a subprocess,
   with checkpoints off, at the defaults, and 10x as often as the defaults (by chunks), the three interleaved
   round by round because the machine is shared; medians of the rounds, and the load before and after each run.
3. computed: the share of a full labour-docs ingest the defaults cost, from 1. and the checkpoints they make.

Writes benchmarks/results/checkpoints.md. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from speed import pick_files

from kb.config import DEFAULT_CHECKPOINT_CHUNKS, DEFAULT_CHECKPOINT_SECONDS
from kb.index.store import IndexWriter, read_manifest

LABOUR_INDEX = Path.home() / ".cache" / "kb" / "bench" / "labour-docs"
RESULTS = ROOT / "benchmarks" / "results" / "checkpoints.md"
MODES = {
    "off": {"KB_CHECKPOINT_CHUNKS": "0", "KB_CHECKPOINT_SECONDS": "0"},
    "defaults": {"KB_CHECKPOINT_CHUNKS": str(DEFAULT_CHECKPOINT_CHUNKS), "KB_CHECKPOINT_SECONDS": str(DEFAULT_CHECKPOINT_SECONDS)},
    "10x": {"KB_CHECKPOINT_CHUNKS": str(DEFAULT_CHECKPOINT_CHUNKS // 10), "KB_CHECKPOINT_SECONDS": "0"},
}
# `kb ingest` with IndexWriter.checkpoint timed: each run reports its own checkpoints' seconds, so their share of
# the run is measured under the same load as the run itself (the machine's load swings runs by 2-5x).
TIMED_INGEST = r"""
import json, sys, time
from kb.index.writer import IndexWriter
spent = []
original = IndexWriter.checkpoint
def checkpoint(self):
    started = time.perf_counter()
    try:
        return original(self)
    finally:
        spent.append(time.perf_counter() - started)
IndexWriter.checkpoint = checkpoint
from kb.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("CHECKPOINTS " + json.dumps(spent), file=sys.stderr)
"""
# Full-ingest wall times of labour-docs on this machine (README, issue 14): 15-40 min as the load varies.
FULL_INGEST_SECONDS = (15 * 60, 40 * 60)


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def one_checkpoint(index: Path, repeats: int = 5) -> dict:
    """Seconds of IndexWriter.checkpoint() on a copy of `index` (nothing added: the copy and the write are the cost)."""
    work = Path(tempfile.mkdtemp(prefix="kb-ckpt-"))
    try:
        copy = work / "index"
        manifest = read_manifest(index)
        shutil.copytree(index / "snapshots" / manifest.snapshot, copy / "snapshots" / manifest.snapshot)
        shutil.copy2(index / "manifest.json", copy / "manifest.json")
        size = folder_bytes(copy / "snapshots" / manifest.snapshot)
        times = []
        with IndexWriter(copy, manifest.model, manifest.chunker, manifest.topics, snapshot_grace=0) as writer:
            for _ in range(repeats):
                started = time.perf_counter()
                writer.checkpoint()
                times.append(time.perf_counter() - started)
        return {"chunks": manifest.chunks, "documents": manifest.documents, "snapshot_mb": size / 1e6,
                "seconds": statistics.median(times), "all": times}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ingest_once(docs: Path, index: Path, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **MODES[mode]}
    before = load()
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", TIMED_INGEST, "ingest", str(docs), "--index", str(index), "--json"], env=env,
                         capture_output=True, text=True, check=True, timeout=3600)
    wall = time.perf_counter() - started
    report = json.loads(out.stdout)
    spent = json.loads(next(line for line in out.stderr.splitlines() if line.startswith("CHECKPOINTS "))[len("CHECKPOINTS "):])
    return {"mode": mode, "wall": wall, "chunks": report["chunks_embedded"], "checkpoints": len(spent),
            "checkpoint_s": sum(spent), "load_before": before, "load_after": load()}


def ingests(files: int, rounds: int) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="kb-ckpt-ingest-"))
    runs = []
    try:
        docs = work / "docs"
        docs.mkdir()
        for f in pick_files(files):
            shutil.copyfile(f, docs / f.name)
        for round_ in range(rounds):
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for mode in order:
                index = work / f"index-{mode}-{round_}"
                run = ingest_once(docs, index, mode)
                run["round"] = round_
                runs.append(run)
                print(json.dumps(run), flush=True)
                shutil.rmtree(index)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return runs


def report(copy: dict | None, runs: list[dict], files: int) -> str:
    lines = ["# Ingest checkpoints (benchmarks/checkpoints.py)", "",
             f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores shared with other work. "
             f"Defaults: a checkpoint every {DEFAULT_CHECKPOINT_CHUNKS} embedded chunks or {DEFAULT_CHECKPOINT_SECONDS:g} s, "
             "never more than 5 % of the run (CHECKPOINT_MAX_SHARE).", ""]
    if copy:
        lines += ["## One checkpoint at labour-docs' full size (measured)", "",
                  f"{copy['documents']} documents, {copy['chunks']:,} chunks, snapshot {copy['snapshot_mb']:.0f} MB: "
                  f"one checkpoint (commit, fsync, manifest swap, fresh snapshot copied from it) takes **{copy['seconds']:.2f} s** "
                  f"(median of {len(copy['all'])}: {', '.join(f'{t:.2f}' for t in copy['all'])}).", ""]
        by_chunks = -(-copy["chunks"] // DEFAULT_CHECKPOINT_CHUNKS)
        lines += ["## A full labour-docs ingest at the defaults (computed from the above)", ""]
        for wall in FULL_INGEST_SECONDS:
            count = by_chunks + int(wall // DEFAULT_CHECKPOINT_SECONDS)  # the two triggers never both fire more than this
            lines.append(f"- a {wall // 60:.0f}-min run: at most {by_chunks} checkpoints by chunks + {int(wall // DEFAULT_CHECKPOINT_SECONDS)} "
                         f"by time, each at most the full-size {copy['seconds']:.2f} s: <= {count * copy['seconds']:.0f} s = "
                         f"<= {100 * count * copy['seconds'] / wall:.1f} % of the run")
        lines.append("")
    if runs:
        lines += [f"## {files} labour-docs files, `kb ingest` end to end (measured, interleaved)", "",
                  "The wall times swing with the machine's load (below), so the cost is read in each run itself: the seconds "
                  "spent in IndexWriter.checkpoint over the run's wall time.", "",
                  "| checkpoints | runs | wall s, median | min-max | chunks | checkpoints taken | seconds in them (median) | share of the run (max) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for mode in MODES:
            mine = [r for r in runs if r["mode"] == mode]
            walls = [r["wall"] for r in mine]
            lines.append(f"| {mode} ({MODES[mode]['KB_CHECKPOINT_CHUNKS']} chunks / {MODES[mode]['KB_CHECKPOINT_SECONDS']} s) | {len(mine)} "
                         f"| {statistics.median(walls):.1f} | {min(walls):.1f}-{max(walls):.1f} | {mine[0]['chunks']} "
                         f"| {statistics.median(r['checkpoints'] for r in mine):.0f} | {statistics.median(r['checkpoint_s'] for r in mine):.2f} "
                         f"| {100 * max(r['checkpoint_s'] / r['wall'] for r in mine):.2f} % |")
        lines += ["", "Load average (1, 5, 15 min) before and after each run, in order:", ""]
        lines += [f"- round {r['round']} {r['mode']}: {r['load_before']} -> {r['load_after']} ({r['wall']:.1f} s)" for r in runs]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: copy, ingest")
    args = parser.parse_args()
    skip = set(args.skip.split(",")) - {""}
    copy = None
    if "copy" not in skip:
        if not (LABOUR_INDEX / "manifest.json").exists():
            print(f"no labour-docs index at {LABOUR_INDEX}: run `kb ingest ../shared/data/labour-docs --index {LABOUR_INDEX}`")
        else:
            copy = one_checkpoint(LABOUR_INDEX)
            print(json.dumps(copy), flush=True)
    runs = ingests(args.files, args.rounds) if "ingest" not in skip else []
    text = report(copy, runs, args.files)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
