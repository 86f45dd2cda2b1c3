"""Load test: concurrent clients against a running `kb serve`, on localhost.

    python benchmarks/load.py --index DIR [--clients 16] [--seconds 60] [--workers 1]

Starts `kb serve` on a free port, waits for /health, then runs CLIENTS connections for SECONDS, each
asking GET /search for questions drawn at random from the repo's question sets (real questions,
mostly distinct, so the query embedding is computed on nearly every request). Prints queries per
second, latency percentiles, errors, and the server's resident memory sampled every second (the
first and the last 10 s compared). The clients are plain asyncio sockets with keep-alive, so the
load generator costs as little CPU as it can; it still shares the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = [*sorted((ROOT / "tests" / "data" / "questions").glob("*.jsonl")),
                  ROOT / "benchmarks" / "data" / "labour_questions.jsonl"]


def questions() -> list[str]:
    found = []
    for file in QUESTION_FILES:
        if file.is_file():
            found += [json.loads(line)["query"] for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(found))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def family(pid: int) -> list[int]:
    """A process and every process under it (uvicorn's workers, kb's search processes and their helpers), whichever
    of its threads started them."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children have used, from /proc: a cost per request that other
    work on the machine changes less than it changes the wall-clock figures."""
    total = 0
    for p in family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn workers), from /proc."""
    total = 0
    for p in family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)  # questions sent so far (the warm-up's included)
    repeats: list[float] = field(default_factory=list)  # latencies of questions asked before in this run
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def client(port: int, pool: list[str], stop_at: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    reader = writer = None
    while time.monotonic() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            question = rng.choice(pool)
            repeat = question in tally.asked
            tally.asked.add(question)
            q = urllib.parse.quote(question)
            started = time.perf_counter()
            writer.write(f"GET /search?q={q}&k=10 HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            tally.latencies.append(time.perf_counter() - started)
            if repeat:
                tally.repeats.append(tally.latencies[-1])
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError) as exc:
            tally.errors.append(f"{type(exc).__name__}: {exc}")
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def sample_rss(pid: int, stop_at: float, samples: list[tuple[float, int]]) -> None:
    start = time.monotonic()
    while time.monotonic() < stop_at:
        samples.append((time.monotonic() - start, rss_bytes(pid)))
        await asyncio.sleep(1.0)


async def run(port: int, pid: int, clients: int, seconds: float, pool: list[str],
              warmed: list[str]) -> tuple[Tally, list[tuple[float, int]], float]:
    tally = Tally(asked=set(warmed))
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(sample_rss(pid, stop_at, samples),
                         *(client(port, pool, stop_at, tally, seed) for seed in range(clients)))
    return tally, samples, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def start_server(index: Path, port: int, workers: int, code: Path = ROOT) -> subprocess.Popen:
    """`kb serve` from the kb package under `code` (another checkout's, to compare two versions)."""
    env = {**os.environ, "PYTHONPATH": str(code), "KB_RATE_LIMIT": "0"}  # the load is one client address
    server = subprocess.Popen([sys.executable, "-m", "kb", "serve", "--index", str(index), "--port", str(port),
                               "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"kb serve exited: {server.stderr.read().decode(errors='replace')}") from None
            time.sleep(0.3)
    server.kill()
    raise SystemExit("kb serve did not answer /health within 120 s")


def load_test(index: Path, clients: int = 16, seconds: float = 60, workers: int = 1, warm_all: bool = False,
              code: Path = ROOT) -> dict:
    """Run the load against a fresh server; the figures as a dict.

    Before the clock starts, 20 questions warm the model session, the page cache and first-request
    paths; with `warm_all`, every question is asked once first (so a result cache holds them all).
    """
    pool = questions()
    port = free_port()
    server = start_server(index, port, workers, code)
    warmed = pool if warm_all else pool[:20]
    try:
        for q in warmed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q={urllib.parse.quote(q)}&k=10", timeout=30).read()
        idle_rss = rss_bytes(server.pid)
        cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
        tally, samples, took = asyncio.run(run(port, server.pid, clients, seconds, pool, warmed))
        server_cpu, own_cpu = cpu_seconds(server.pid) - cpu_before, time.process_time() - own_before
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    ok = tally.statuses.get(200, 0)
    first = [r for t, r in samples if t < 10]
    last = [r for t, r in samples if t >= seconds - 10]
    lat = tally.latencies or [0.0]
    p99 = percentile(lat, 99)
    return {
        "clients": clients, "seconds": round(took, 1), "workers": workers, "questions": len(pool), "warm_all": warm_all,
        "requests": len(tally.latencies), "ok": ok,
        "errors": len(tally.errors) + sum(n for s, n in tally.statuses.items() if s != 200),
        "statuses": tally.statuses, "error_samples": tally.errors[:3],
        "qps": round(len(tally.latencies) / took, 1),
        "p50_ms": round(percentile(lat, 50) * 1000, 1), "p95_ms": round(percentile(lat, 95) * 1000, 1),
        "p99_ms": round(percentile(lat, 99) * 1000, 1), "max_ms": round(max(lat) * 1000, 1),
        "mean_ms": round(statistics.fmean(lat) * 1000, 1),
        # With a result cache, what its p99 is made of: the questions' first askings in the run, and the rest.
        "first_askings": len(tally.latencies) - len(tally.repeats),
        "p99_repeats_ms": round(percentile(tally.repeats or [0.0], 99) * 1000, 1),
        "slowest_1pct": sum(x >= p99 for x in lat),
        "first_askings_in_slowest_1pct": sum(x >= p99 for x in lat) - sum(x >= p99 for x in tally.repeats),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(tally.latencies)), 2),
        "client_cpu_ms_per_request": round(own_cpu * 1000 / max(1, len(tally.latencies)), 2),
        "rss_idle_mb": round(idle_rss / 2**20, 1),
        "rss_first10_mb": round(max(first, default=0) / 2**20, 1),
        "rss_last10_mb": round(max(last, default=0) / 2**20, 1),
        "rss_peak_mb": round(max((r for _, r in samples), default=0) / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm-all", action="store_true", help="ask every question once before the clock starts")
    args = parser.parse_args()
    print(json.dumps(load_test(args.index, args.clients, args.seconds, args.workers, args.warm_all), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
