"""A cold `kb search` as a person runs it, old code against new: the same output, and the whole process timed.

    python benchmarks/cold_search.py same OLD NEW [--index DIR]
    python benchmarks/cold_search.py time OLD NEW [--index DIR] [--runs 25] [--busy N]

OLD and NEW are folders holding a `kb` package (e.g. `git -C /work/main archive HEAD | tar -x -C /tmp/kb-old`);
each run is `python -m kb search` with PYTHONPATH set to one of them. `same` prints the stdout of each on a terminal
(script(1), COLUMNS=100) and as --json for the first 20 questions of tests/data/questions/part_a.jsonl and a few
more (filters, a French question, keyword and dense modes, a question with no answer, an unknown country), the
timings masked, and diffs them (stderr and exit status too). `time` runs both, interleaved (the order alternating
run by run, so a noisy minute weighs on both alike), on a terminal and as --json, warm disk cache and bytecode
cached, as bench_cold_search in benchmarks/speed.py does, and prints medians, quartiles and the extremes. --busy N
keeps N other processes spinning meanwhile (the machine is shared: a quiet minute and a busy one differ).
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "data" / "questions" / "part_a.jsonl"
INDEX = Path.home() / ".cache" / "kb" / "bench" / "labour-docs"
QUERY = "minimum age for hazardous work"  # bench_cold_search's
MORE = (
    ["minimum age for hazardous work", "--country", "Somalia"],
    ["child labour", "--type", "report", "--since", "2020"],
    ["salaire minimum des travailleurs domestiques"],
    ["forced labour in fishing", "--mode", "keyword"],
    ["apprenticeships for women", "-k", "3", "--mode", "dense"],
    ["zzqx vortex nonsense"],
    ["minimum age", "--country", "Atlantis"],
)
TIMING = re.compile(r'("took_ms": |search, )[0-9.]+')  # the one part of the output that differs run to run


def _env(code: str) -> dict[str, str]:
    # Bytecode cached, as in every normal install (some sandboxes set PYTHONDONTWRITEBYTECODE). PYTHONSAFEPATH: `python
    # -m` would otherwise put the working folder first on sys.path, and run from a checkout, both sides would run its kb.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPATH": code, "HF_HUB_OFFLINE": "1", "COLUMNS": "100", "PYTHONSAFEPATH": "1"}


def _command(index: Path, args: list[str], terminal: bool) -> list[str]:
    command = [sys.executable, "-m", "kb", "search", "--index", str(index), *args]
    return ["script", "-qc", shlex.join(command), "/dev/null"] if terminal else [*command, "--json"]


def _output(code: str, index: Path, args: list[str], terminal: bool) -> tuple[str, str, int]:
    done = subprocess.run(_command(index, args, terminal), capture_output=True, env=_env(code))
    return TIMING.sub(r"\1X", done.stdout.decode()), done.stderr.decode(), done.returncode


def same(old: str, new: str, index: Path) -> int:
    """How many outputs differ between old and new (each difference printed)."""
    questions = [json.loads(line)["query"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[:20]]
    jobs = [(args, terminal) for args in [[q] for q in questions] + [list(m) for m in MORE] for terminal in (True, False)]

    def both(job: tuple[list[str], bool]) -> tuple[tuple[str, str, int], tuple[str, str, int]]:
        return _output(old, index, *job), _output(new, index, *job)

    differ, size = 0, 0
    with ThreadPoolExecutor(2) as pool:
        for (args, terminal), (before, after) in zip(jobs, pool.map(both, jobs)):
            size += len(after[0])
            if before != after:
                differ += 1
                print("DIFFERS", "terminal" if terminal else "--json", args)
                print("".join(list(difflib.unified_diff(before[0].splitlines(True), after[0].splitlines(True)))[:40]))
    print(f"{len(jobs)} outputs compared ({len(jobs) // 2} searches, on a terminal and as --json), {differ} differ; "
          f"{size:,} characters of output")
    return differ


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def timed(old: str, new: str, index: Path, runs: int) -> dict[str, list[float]]:
    """Seconds of each run of each side and output, interleaved."""
    sides = [(name, code, terminal) for name, code in (("old", old), ("new", new)) for terminal in (True, False)]
    for _, code, terminal in sides:  # the first run may write bytecode
        _wall(_command(index, [QUERY], terminal), _env(code))
    found: dict[str, list[float]] = {f"{name} {'terminal' if t else '--json'}": [] for name, _, t in sides}
    for run in range(runs):
        for name, code, terminal in sides if run % 2 == 0 else sides[::-1]:
            found[f"{name} {'terminal' if terminal else '--json'}"].append(_wall(_command(index, [QUERY], terminal), _env(code)))
    return found


def report(found: dict[str, list[float]]) -> None:
    for name, seconds in sorted(found.items(), key=lambda item: (item[0].split()[1], item[0])):
        s = sorted(seconds)
        q1, _, q3 = statistics.quantiles(s, n=4)
        print(f"{name:14} median {statistics.median(s):.3f} s  quartiles {q1:.3f}-{q3:.3f}  "
              f"range {s[0]:.3f}-{s[-1]:.3f}  ({len(s)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("same", "time"))
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--index", type=Path, default=INDEX)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--busy", type=int, default=0, help="processes kept spinning meanwhile")
    args = parser.parse_args()
    if args.action == "same":
        sys.exit(1 if same(args.old, args.new, args.index) else 0)
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        report(timed(args.old, args.new, args.index, args.runs))
    finally:
        for process in spinning:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
