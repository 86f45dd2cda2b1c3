"""What embedding short questions together saves: CPU time of one ONNX call for 1, 2, 4 and 8 real questions.

    python benchmarks/embed_batches.py [--rounds 40]

The query model as the server opens it (ONNX fp32, one thread a call); the questions of benchmarks/load.py,
drawn at random; the sizes interleaved round by round. CPU time of the calling thread (ONNX Runtime runs a
one-thread session on it), so other work on the machine changes the figures less than it changes wall time.
Prints the median per call and per question. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import questions

from kb.config import DEFAULT_MODEL
from kb.embed import load_embedder
from kb.service import QUERY_THREADS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    pool = questions()
    model = load_embedder(DEFAULT_MODEL, "onnx", "fp32", threads=QUERY_THREADS)
    model.encode(pool[:8])
    tokens = sorted(len(e.ids) for e in model._tokenizer.encode_batch(pool))
    print(f"{len(pool)} questions, tokens median {statistics.median(tokens):g}, p90 {tokens[int(0.9 * len(tokens))]}, max {tokens[-1]}")
    rng = random.Random(0)
    times: dict[int, list[float]] = {n: [] for n in (1, 2, 4, 8)}
    for _ in range(args.rounds):
        for n, taken in times.items():
            batch = rng.sample(pool, n)
            started = time.thread_time()
            model.encode(batch)
            taken.append(time.thread_time() - started)
    for n, taken in times.items():
        median = statistics.median(taken) * 1000
        print(f"batch of {n}: {median:6.2f} ms CPU a call, {median / n:5.2f} ms a question")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
