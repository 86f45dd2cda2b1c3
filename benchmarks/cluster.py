"""A Ray ingest beside a local one: the bench's labour-docs files (benchmarks/speed.py's pick_files, 24 by
default) ingested in this process, then on a local Ray cluster of two nodes (`ray.cluster_utils.Cluster`, 2 CPUs
each), then in this process again (the two local runs bracket the cluster's, as the machine is shared).

    python benchmarks/cluster.py [--files 24] [--repeat 1]

Prints, and writes to benchmarks/results/cluster.md: wall time each way, model tokens embedded per second per
node, Ray's overhead after start-up (target <= 20 %), and the start-up on its own (the cluster, joining it, the
actors opening the model). On one machine the two nodes share its cores, so the cluster gains no cores: the
overhead is the figure. It also checks that both ways built the same index.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np
from speed import pick_files

from kb import KnowledgeBase, Settings
from kb.embed import Embedder, load_embedder
from kb.ingest.progress import Silent
from kb.records import IngestReport

NODES = 2
CPUS_PER_NODE = 2


class Clock(Silent):
    """Remembers when the run started and when the executor said its actors were up."""

    def __init__(self) -> None:
        self.started = 0.0
        self.actors_up: float | None = None
        self.cluster_seen: tuple[int, int] | None = None

    def start(self, files: int) -> None:
        self.started = time.perf_counter()

    def cluster(self, nodes: int, actors: int) -> None:
        if self.actors_up is None:
            self.actors_up, self.cluster_seen = time.perf_counter() - self.started, (nodes, actors)


class CpuMeter:
    """CPU seconds used by this process and all its descendants while it runs (the forked readers; the local
    cluster's daemons, workers and actors), sampled from /proc: a figure the machine's other load barely moves."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.done = threading.Event()

    def _sample(self) -> None:
        parents: dict[int, int] = {}
        used: dict[int, float] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended meanwhile
            pid = int(stat.parent.name)
            parents[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / self.TICK
        ours = {os.getpid()}
        grew = True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in ours} - ours
            grew, ours = bool(more), ours | more
        starting = not self.last  # a process there from the start counts from now; a later one from its birth
        for pid in ours:
            self.first.setdefault(pid, used[pid] if starting else 0.0)
            self.last[pid] = used[pid]

    def _run(self) -> None:
        while not self.done.wait(0.2):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def ingest(index: Path, docs: Path, embedder: Embedder, **settings) -> tuple[float, IngestReport, Clock, KnowledgeBase, float]:
    kb = KnowledgeBase(Settings(index_dir=index, **settings), embedder=embedder)
    clock = Clock()
    started = time.perf_counter()
    with CpuMeter() as cpu:
        report = kb.ingest([docs], progress=clock)
    took = time.perf_counter() - started
    assert not report.failed, report.failed
    return took, report, clock, kb, cpu.seconds


def tokens(kb: KnowledgeBase) -> int:
    """Model tokens embedded: each chunk's input (context line and text) as the index records it."""
    return sum(chunk.n_tokens for chunk in kb.reader().all_chunks())


def differences(local: KnowledgeBase, on_ray: KnowledgeBase) -> tuple[bool, float]:
    """Whether both indexes hold the same documents and chunks, and the largest difference between their vectors."""
    def content(kb: KnowledgeBase):
        reader = kb.reader()
        chunks = {(c.doc_id, c.ordinal): c for c in reader.all_chunks()}
        vectors = dict(zip(chunks, reader.vectors_by_id([c.chunk_id for c in chunks.values()])))
        shown = {key: (c.text, c.page, c.heading_path) for key, c in chunks.items()}
        return {d.doc_id: d for d in reader.all_documents()}, shown, vectors

    docs_l, chunks_l, vectors_l = content(local)
    docs_r, chunks_r, vectors_r = content(on_ray)
    same = docs_l == docs_r and chunks_l == chunks_r
    worst = max(float(np.abs(vectors_l[k] - vectors_r[k]).max()) for k in vectors_l) if same else float("nan")
    return same, worst


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run(files: int, repeat: int, work: Path) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    docs = work / "docs"
    docs.mkdir()
    for file in pick_files(files):
        shutil.copyfile(file, docs / file.name)
    embedder = load_embedder("all-MiniLM-L6-v2")
    embedder.encode(["warm up"])
    out: dict = {"files": files, "load_before": load(), "local": [], "ray": [], "actors": [], "local_cpu": [], "ray_cpu": []}
    print(f"{files} files; load {out['load_before']}", flush=True)
    took, report, _, local, cpu = ingest(work / "local-0", docs, embedder)
    out["local"].append(took)
    out["local_cpu"].append(cpu)
    out["chunks"], out["tokens"] = report.chunks_embedded, tokens(local)
    print(f"local: {took:.1f} s, {cpu:.1f} CPU s, {report.chunks_embedded} chunks", flush=True)

    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": CPUS_PER_NODE})
    for _ in range(NODES - 1):
        cluster.add_node(num_cpus=CPUS_PER_NODE)
    cluster.wait_for_nodes(timeout=120)
    out["cluster_s"] = time.perf_counter() - started
    started = time.perf_counter()
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)  # the executor uses this connection
    out["join_s"] = time.perf_counter() - started
    print(f"cluster of {NODES} nodes up in {out['cluster_s']:.1f} s, joined in {out['join_s']:.1f} s", flush=True)
    try:
        for i in range(repeat):
            took, report, clock, on_ray, cpu = ingest(work / f"ray-{i}", docs, embedder, ray_address=cluster.address)
            out["ray"].append(took)
            out["ray_cpu"].append(cpu)
            out["actors"].append(clock.actors_up)
            out["seen"] = clock.cluster_seen
            print(f"ray: {took:.1f} s, {cpu:.1f} CPU s, actors up after {clock.actors_up:.1f} s, {report.chunks_embedded} chunks",
                  flush=True)
    finally:
        ray.shutdown()
        cluster.shutdown()
    out["same"], out["worst"] = differences(local, on_ray)
    for i in range(1, repeat + 1):
        took, _, _, _, cpu = ingest(work / f"local-{i}", docs, embedder)
        out["local"].append(took)
        out["local_cpu"].append(cpu)
        print(f"local: {took:.1f} s", flush=True)
    out["load_after"] = load()
    return out


def table(r: dict) -> str:
    local, on_ray, actors = statistics.median(r["local"]), statistics.median(r["ray"]), statistics.median(r["actors"])
    after_start = on_ray - actors
    cpu_local, cpu_ray = statistics.median(r["local_cpu"]), statistics.median(r["ray_cpu"])
    overhead = after_start / local - 1
    rows = [
        ("wall time, end to end", f"{local:.1f} s (runs: {', '.join(f'{t:.1f}' for t in r['local'])})",
         f"{on_ray:.1f} s (runs: {', '.join(f'{t:.1f}' for t in r['ray'])})", ""),
        ("model tokens embedded per second per node", f"{r['tokens'] / local:,.0f} (1 node)",
         f"{r['tokens'] / on_ray / NODES:,.0f} ({NODES} nodes; {r['tokens'] / on_ray:,.0f} in all)", ""),
        ("Ray's overhead after start-up (wall minus the actors' start, vs local)", "",
         f"{after_start:.1f} s: {overhead:+.0%}", "≤ +20 %"),
        ("CPU seconds, this process and all its descendants (the cluster's daemons too)",
         f"{cpu_local:.0f} (runs: {', '.join(f'{t:.0f}' for t in r['local_cpu'])})",
         f"{cpu_ray:.0f} (runs: {', '.join(f'{t:.0f}' for t in r['ray_cpu'])}): {cpu_ray / cpu_local - 1:+.0%}", "report"),
        ("start-up: the cluster (head + node), once", "", f"{r['cluster_s']:.1f} s", "report"),
        ("start-up: joining it (ray.init), once per process", "", f"{r['join_s']:.1f} s", "report"),
        ("start-up: actors opening the model, each run", "", f"{actors:.1f} s ({r['seen'][1]} actors on {r['seen'][0]} nodes)", "report"),
        ("same index both ways", "", f"{'yes' if r['same'] else 'NO'}; vectors differ by at most {r['worst']:.1e}", "≤ 1e-6"),
    ]
    lines = ["| figure | local (this process) | Ray, local 2-node cluster | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if cpu_ray < cpu_local:
        lines += ["", "The cluster added no cores, yet used fewer CPU seconds than the local run. Likely (this bench does not isolate it): its actors each run a "
                      "one-thread ONNX session, while the local run's one two-thread session loses time to its threads "
                      "waiting on each other on a machine this loaded."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=24, help="labour-docs files, as benchmarks/speed.py picks them")
    parser.add_argument("--repeat", type=int, default=1, help="Ray runs (and local runs after the cluster's)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kb-bench-cluster-") as work:
        results = run(args.files, args.repeat, Path(work))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    head = (f"# kb on a Ray cluster — {dt.datetime.now().isoformat(timespec='minutes')} on {cpu}, {os.cpu_count()} cores; "
            f"took {(time.perf_counter() - started) / 60:.1f} min\n\n"
            f"{results['files']} labour-docs files ({results['chunks']:,} chunks, {results['tokens']:,} model tokens); "
            f"a local Ray cluster of {NODES} nodes with {CPUS_PER_NODE} CPUs each on this one machine (each node: one "
            f"embedding actor, one CPU kept for reading). The machine is shared: load average (1 / 5 / 15 min) "
            f"{results['load_before']} before, {results['load_after']} after. Two nodes on one {os.cpu_count()}-core "
            f"machine share its cores, so the cluster gains no cores here; the overhead is the figure.\n\n")
    text = head + table(results) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cluster.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
