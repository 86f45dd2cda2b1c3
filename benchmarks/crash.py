"""SIGKILL `kb ingest` at random moments and print one summary line (the harness of tests/test_crash.py).

    python benchmarks/crash.py [--kills 20] [--seed 2024] [--keep] [--verbose]

Kills attempted, kills that landed mid-run, phases hit (by what existed on disk at the kill),
checks passed, wall time. Exit status 1 when a check failed. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash_harness import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=None, help="number of kills (default $KB_CRASH_KILLS or 20)")
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default $KB_CRASH_SEED or 2024)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (index, docs, one log per kill)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print one line per kill")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-crash-"))
    try:
        summary = run(work, kills=args.kills, seed=args.seed)
    finally:
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.verbose:
        print("\n".join(summary.rounds))
    print(summary.line())
    for problem in summary.problems:
        print(f"  FAILED {problem}")
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
