"""Approximate (ivf) against exact (flat) vector search at a million chunks: latency, recall, memory.

    python benchmarks/ann.py [--n 1000000] [--queries 500] [--tune-queries 200]

Vectors: synthetic, but shaped like real sentence embeddings. The seeds are real chunk vectors:
kb ingests two Markdown folders of ../shared/data/labour-docs with its own model (once; cached in
$KB_CACHE or ~/.cache/kb). Each synthetic vector mixes a seed with one of its ten nearest seeds and
adds noise along the seeds' own principal directions (so clusters are anisotropic, as real ones
are). The noise scale is chosen so that the nearest-neighbour cosines of a synthetic sample match
those of the real vectors; both distributions are printed.

Queries: held-out synthetic vectors (never added to the index), plus the 60 real questions of
benchmarks/data/labour_questions.jsonl embedded by the same model. nprobe is tuned on a separate
set of synthetic queries. Ground truth: exact search (faiss IndexFlatIP).

The approximate kind is built, stored, loaded and searched by kb's own functions (kb.index.vectors,
kb.index.ann): what `kb ingest` writes and what `kb search` runs, without the SQLite side. The exact
baseline is FAISS's flat index (kb's flat kind computes the same sums with numpy).
Writes benchmarks/results/ann.md (one section per --n) and prints the section. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb.index.store import open_reader
from kb.index.vectors import ivf as ann
from kb.index.vectors.arrays import StoredVectors, write_arrays
from kb.search import CANDIDATE_CHUNKS

DATA = ROOT.parent / "shared" / "data" / "labour-docs"
SEED_FOLDERS = ("ilo_conventions_md", "unstats_gender_metadata_md")
QUESTIONS = ROOT / "benchmarks" / "data" / "labour_questions.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "ann.md"
K = 10  # recall@K
NEIGHBOUR_SEEDS = 10
SPREADS = (0.25, 0.3, 0.35, 0.4, 0.5, 0.7)
CALIBRATION_SIZE = 3000
NPROBES = (4, 8, 12, 16, 24, 32, 48, 64)
TARGET_RECALL = 0.95
FLAT_SIZES = (25_000, 50_000, 100_000, 200_000)


# -- real vectors ----------------------------------------------------------------------------------

def real_vectors() -> tuple[np.ndarray, np.ndarray]:
    """(chunk vectors, question vectors) from kb's model over labour-docs (the index is cached)."""
    cache = Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb") / "bench" / "ann-seeds"
    kb = KnowledgeBase(Settings(index_dir=cache))
    if not (cache / "manifest.json").exists():
        print(f"embedding the seed chunks once (cached in {cache}) ...", flush=True)
        kb.ingest([DATA / folder for folder in SEED_FOLDERS])
    with open_reader(cache) as reader:
        ids = [chunk.chunk_id for chunk in reader.all_chunks()]
        chunks = reader.vectors_by_id(ids)
    questions = [json.loads(line)["query"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return chunks, kb.embedder.encode(questions)


def nearest_cosines(vectors: np.ndarray, rank: int = 1) -> np.ndarray:
    """Each vector's cosine to its rank-th nearest other vector in the set."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return -np.partition(-sims, rank - 1, axis=1)[:, rank - 1]


# -- synthetic vectors ---------------------------------------------------------------------------

class Generator:
    """Unit vectors on the seeds' manifold: a seed mixed with a near seed, plus anisotropic noise."""

    def __init__(self, seeds: np.ndarray, spread: float = 0.0) -> None:
        self.seeds = seeds
        self.spread = spread
        sims = seeds @ seeds.T
        np.fill_diagonal(sims, -np.inf)
        self.neighbours = np.argpartition(-sims, NEIGHBOUR_SEEDS, axis=1)[:, :NEIGHBOUR_SEEDS]
        _, scales, directions = np.linalg.svd(seeds - seeds.mean(axis=0), full_matrices=False)
        self.noise_basis = (scales[:, None] / np.sqrt(len(seeds))) * directions  # rows: principal axes x std

    def sample(self, n: int, rng: np.random.Generator, batch: int = 100_000) -> np.ndarray:
        out = np.empty((n, self.seeds.shape[1]), dtype="float32")
        for start in range(0, n, batch):
            size = min(batch, n - start)
            first = rng.integers(len(self.seeds), size=size)
            second = self.neighbours[first, rng.integers(NEIGHBOUR_SEEDS, size=size)]
            mix = rng.uniform(0.0, 0.5, size=(size, 1)).astype("float32")
            base = (1 - mix) * self.seeds[first] + mix * self.seeds[second]
            noise = rng.standard_normal((size, len(self.noise_basis)), dtype="float32") @ self.noise_basis
            block = base + self.spread * noise
            out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
        return out


def calibrated(seeds: np.ndarray) -> tuple[Generator, list[str]]:
    """The generator whose samples' nearest-neighbour cosines best match the real vectors', and a report.

    Both sides are compared at the same size (CALIBRATION_SIZE vectors): NN cosines grow with density.
    """
    size = min(CALIBRATION_SIZE, len(seeds))
    real_sample = seeds[np.random.default_rng(3).choice(len(seeds), size, replace=False)]
    real = np.median(nearest_cosines(real_sample))
    generator, medians = Generator(seeds), {}
    for spread in SPREADS:
        generator.spread = spread
        medians[spread] = np.median(nearest_cosines(generator.sample(size, np.random.default_rng(1))))
    generator.spread = min(SPREADS, key=lambda s: abs(medians[s] - real))
    lines = ["| vectors | NN cosine p10 | p50 | p90 | 10th-NN cosine p50 | random-pair cosine mean |", "|---|---|---|---|---|---|"]
    rng = np.random.default_rng(2)
    chosen_sample = generator.sample(size, np.random.default_rng(1))
    for name, vectors in ((f"real chunks ({size} of {len(seeds)})", real_sample),
                          (f"synthetic ({size}, noise spread {generator.spread})", chosen_sample)):
        nn, tenth = nearest_cosines(vectors), nearest_cosines(vectors, 10)
        pairs = rng.integers(len(vectors), size=(5000, 2))
        random_pairs = np.einsum("ij,ij->i", vectors[pairs[:, 0]], vectors[pairs[:, 1]])
        lines.append(f"| {name} | {np.percentile(nn, 10):.3f} | {np.median(nn):.3f} | {np.percentile(nn, 90):.3f} "
                     f"| {np.median(tenth):.3f} | {random_pairs.mean():.3f} |")
    lines.append("")
    lines.append("Noise spreads tried (median NN cosine): " + ", ".join(f"{s}: {m:.3f}" for s, m in medians.items()))
    return generator, lines


def write_flat(path: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
    """The exact baseline: FAISS's flat inner-product index over every vector, keyed by chunk id. (kb's own
    flat kind computes the same sums with numpy over vectors.npy, so that `kb search` need not import FAISS;
    at 1M chunks both read every vector for every query.)"""
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(path))


# -- measuring -------------------------------------------------------------------------------------

def rss_bytes() -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) * 1024


def measure_memory(folder: Path) -> None:
    """In a fresh process: RSS growth from loading the index as a reader does, after 100 queries,
    and (ivf) after 100 queries filtered to the allowed.npy chunks. Prints JSON."""
    spec = json.loads((folder / "spec.json").read_text())
    queries, allowed = np.load(folder / "queries.npy"), np.load(folder / "allowed.npy")
    start = rss_bytes()
    if spec["kind"] == "flat":
        index = faiss.read_index(str(folder / "vectors.faiss"))

        def search(query, allowed=None):
            return index.search(query.reshape(1, -1), CANDIDATE_CHUNKS)
    else:
        index, stored = ann.read_ivf(folder / ann.IVF_FILE, spec["nprobe"]), StoredVectors(folder)

        def search(query, allowed=None):
            return ann.search_ivf(index, spec["nprobe"], query, CANDIDATE_CHUNKS, allowed, stored.get)
    loaded = rss_bytes()
    for query in queries:
        search(query)
    queried = rss_bytes()
    for query in queries if spec["kind"] == "ivf" else []:
        search(query, allowed)
    print(json.dumps({"loaded": loaded - start, "queried": queried - start, "filtered": rss_bytes() - start}))


def memory_of(folder: Path, spec: dict, queries: np.ndarray, allowed: np.ndarray) -> dict[str, int]:
    (folder / "spec.json").write_text(json.dumps(spec))
    np.save(folder / "queries.npy", queries)
    np.save(folder / "allowed.npy", allowed)
    out = subprocess.run([sys.executable, __file__, "--measure-memory", str(folder)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    """Mean share of the true top-K among the first K found."""
    return float(np.mean([len(set(f[:K].tolist()) & set(t[:K].tolist())) / K for f, t in zip(found, truth)]))


def timed_queries(search, queries: np.ndarray, threads: int) -> tuple[float, float, list[np.ndarray]]:
    """(median ms, p99 ms, chunk ids found per query), one query at a time with `threads` threads."""
    faiss.omp_set_num_threads(threads)
    times, found = [], []
    search(queries[0])  # warm-up
    for query in queries:
        started = time.perf_counter()
        ids = search(query)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids)
    return float(np.median(times)), float(np.percentile(times, 99)), found


def exact_top(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Ground truth: the k best chunk ids per query by exact inner product (faiss IndexFlatIP)."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    _, rows = index.search(queries, k)
    return ids[rows]


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


# -- the run -----------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="chunks in the index")
    parser.add_argument("--queries", type=int, default=500, help="reported synthetic queries")
    parser.add_argument("--tune-queries", type=int, default=200, help="separate queries that choose nprobe")
    parser.add_argument("--flat-queries", type=int, default=20, help="queries timed on the slow flat index")
    parser.add_argument("--measure-memory", type=Path, help=argparse.SUPPRESS)  # the child process of memory_of
    args = parser.parse_args()
    if args.measure_memory:
        measure_memory(args.measure_memory)
        return 0
    started = time.perf_counter()
    default_threads = faiss.omp_get_max_threads()
    load_before = load_average()

    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        """Record the seconds since the previous phase ended."""
        phases[name] = time.perf_counter() - started - sum(phases.values())
        print(f"  {name}: {phases[name]:.0f} s", flush=True)

    seeds, all_questions = real_vectors()
    generator, realism = calibrated(seeds)
    phase("real vectors and calibration")
    vectors = generator.sample(args.n, np.random.default_rng(0))
    ids = np.arange(1, args.n + 1, dtype="int64") * 3  # chunk ids are SQLite rowids: ascending, with gaps
    # Tuning: synthetic queries of their own and the odd-numbered real questions; reported: the rest.
    tune = generator.sample(args.tune_queries, np.random.default_rng(10))
    queries = generator.sample(args.queries, np.random.default_rng(11))
    tune_questions, questions = all_questions[1::2], all_questions[0::2]
    parts = [tune, tune_questions, queries, questions]
    truth_tune, truth_tune_questions, truth_queries, truth_questions = np.split(
        exact_top(vectors, ids, np.vstack(parts)), np.cumsum([len(p) for p in parts])[:-1])
    phase("synthetic vectors and ground truth")

    work = Path(tempfile.mkdtemp(prefix="kb-ann-"))
    rows = []

    # flat: what the writer stores and the reader loads for the flat kind
    small_filter = np.sort(np.random.default_rng(5).choice(ids, min(ann.EXACT_FILTER_MAX_CHUNKS, args.n // 100), replace=False))
    t = time.perf_counter()
    write_flat(work / "vectors.faiss", ids, vectors)
    flat_build = time.perf_counter() - t
    flat_file = (work / "vectors.faiss").stat().st_size
    flat_memory = memory_of(work, {"kind": "flat"}, queries[:10], small_filter)
    flat = faiss.read_index(str(work / "vectors.faiss"))

    def flat_search(query, params=None, flat=flat):
        _, found = flat.search(query.reshape(1, -1), CANDIDATE_CHUNKS, params=params)
        return found[0]

    timing = {threads: timed_queries(flat_search, queries[:args.flat_queries], threads) for threads in (1, default_threads)}
    rows.append(("flat (exact)", flat_build, flat_file, flat_memory, timing,
                 recall(timing[1][2], truth_queries[:args.flat_queries]), 1.0))
    flat_by_size = []
    faiss.omp_set_num_threads(1)
    for size in (s for s in FLAT_SIZES if s < args.n):
        part = faiss.IndexFlatIP(vectors.shape[1])
        part.add(vectors[:size])
        def search_part(query, part=part):
            return part.search(query.reshape(1, -1), CANDIDATE_CHUNKS)[1][0]
        median, p99, _ = timed_queries(search_part, queries[:30], 1)
        flat_by_size.append((size, median, p99, timed_queries(search_part, queries[:30], default_threads)[0]))
        del part
    flat_by_size.append((args.n, timing[1][0], timing[1][1], timing[default_threads][0]))

    # the filtered case: a random tenth, hundredth and thousandth of the chunks allowed
    filters = {}
    for share in (0.1, 0.01, 0.001):
        allowed = np.sort(np.random.default_rng(int(share * 1000)).choice(ids, int(share * args.n), replace=False))
        mask = np.isin(ids, allowed)
        filters[share] = (allowed, exact_top(vectors[mask], ids[mask], queries[:100]))
    flat_filtered = {}
    for share, (allowed, truth_allowed) in filters.items():
        def search_allowed(query, allowed=allowed):
            selector = faiss.IDSelectorBatch(allowed)
            return flat_search(query, faiss.SearchParameters(sel=selector))
        median, p99, found = timed_queries(search_allowed, queries[:20], 1)
        flat_filtered[share] = (median, p99, recall(found, truth_allowed[:20]))
    del flat
    phase("flat")
    gc.collect()

    # ivf: built by the function the writer uses, stored and loaded as the writer and reader do
    faiss.omp_set_num_threads(default_threads)
    t = time.perf_counter()
    index, params = ann.build_ivf(ids, vectors)
    spec = {"kind": "ivf", "ntotal": int(index.ntotal), **params}
    ivf_build = time.perf_counter() - t
    phase("ivf build")
    faiss.write_index(index, str(work / ann.IVF_FILE))
    write_arrays(work, ids, vectors)
    del index
    (work / "vectors.faiss").unlink()
    gc.collect()
    ivf_memory = memory_of(work, spec, queries[:100], small_filter)
    index = ann.read_ivf(work / ann.IVF_FILE, spec["nprobe"])
    ivf_file = (work / ann.IVF_FILE).stat().st_size

    faiss.omp_set_num_threads(1)
    tuning = []
    for nprobe in (p for p in NPROBES if p <= spec["nlist"]):
        trial_spec = {**spec, "nprobe": nprobe}

        def trial(query, trial_spec=trial_spec):
            return ann.search_ivf(index, trial_spec["nprobe"], query, CANDIDATE_CHUNKS)[1]
        median, _, found = timed_queries(trial, tune, 1)
        _, _, found_questions = timed_queries(trial, tune_questions, 1)
        tuning.append((nprobe, recall(found, truth_tune), recall(found_questions, truth_tune_questions), median))
    tuned = next((p for p, r, rq, _ in tuning if min(r, rq) >= TARGET_RECALL), None)
    phase("ivf: memory, nprobe tuning")

    def ivf_search(query):
        return ann.search_ivf(index, spec["nprobe"], query, CANDIDATE_CHUNKS)[1]

    timing = {threads: timed_queries(ivf_search, queries, threads) for threads in (1, default_threads)}
    _, _, found_questions = timed_queries(ivf_search, questions, 1)
    rows.append((f"ivf (nlist {spec['nlist']}, nprobe {spec['nprobe']}, SQ8)", ivf_build, ivf_file, ivf_memory, timing,
                 recall(timing[1][2], truth_queries), recall(found_questions, truth_questions)))
    scores, found = ann.search_ivf(index, spec["nprobe"], queries[0], K)
    score_error = float(np.abs(scores - vectors[np.searchsorted(ids, found)] @ queries[0]).max())

    stored = StoredVectors(work)
    ivf_filtered = {}
    for share, (allowed, truth_allowed) in filters.items():
        def search_allowed(query, allowed=allowed):
            return ann.search_ivf(index, spec["nprobe"], query, CANDIDATE_CHUNKS, allowed, stored.get)[1]
        median, p99, found = timed_queries(search_allowed, queries[:100], 1)
        ivf_filtered[share] = (median, p99, recall(found, truth_allowed))
    stored.close()
    shutil.rmtree(work, ignore_errors=True)
    phase("ivf: queries")

    # -- the report --------------------------------------------------------------------------------
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    lines = [
        f"## n = {args.n:,}",
        "",
        (f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {cpu.group(1) if cpu else platform.machine()}, "
         f"{os.cpu_count()} cores, faiss {faiss.__version__}; load average before {load_before}, after {load_average()} "
         f"(the machine is shared). {args.queries} synthetic queries, {len(questions)} real questions; "
         f"{CANDIDATE_CHUNKS} candidates per query, as kb's dense retriever asks; one query at a time. "
         f"Run took {time.perf_counter() - started:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in phases.items())})."),
        "",
        (f"| index | build s | file B/chunk | RSS B/chunk loaded / after queries | p50 ms 1 thread | p99 ms 1 thread "
         f"| p50 ms {default_threads} threads | p99 ms {default_threads} threads | recall@{K} synthetic "
         f"| recall@{K} real questions |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, build, size, memory, timing, r_synthetic, r_questions in rows:
        one, many = timing[1], timing[default_threads]
        lines.append(f"| {name} | {build:.1f} | {size / args.n:.0f} | {memory['loaded'] / args.n:.0f} / "
                     f"{memory['queried'] / args.n:.0f} | {one[0]:.2f} | {one[1]:.2f} "
                     f"| {many[0]:.2f} | {many[1]:.2f} | {r_synthetic:.3f} | {r_questions:.3f} |")
    lines += [
        "",
        (f"Build: flat: a FAISS IndexFlatIP, including writing the file; ivf: the kb function the writer calls, "
         f"ann.build_ivf, k-means on {min(args.n, ann.TRAIN_POINTS_PER_LIST * spec['nlist']):,} points, then add; "
         f"writing its files is not counted). "
         f"RSS: growth of a fresh process that loads the index as kb's reader does, then runs queries (flat 10, ivf 100); "
         f"after 100 more filtered to {len(small_filter):,} chunks (exact path, rows read from vectors.npy): "
         f"{ivf_memory['filtered'] / args.n:.0f} B/chunk. "
         f"Flat latency is over the first {args.flat_queries} queries. ivf cosines are those of the 8-bit codes: "
         f"largest error in one query's top {K}: {score_error:.4f}."),
        "",
        "Filtered (allowed chunks chosen at random; 1 thread):",
        "",
        f"| allowed | flat p50 ms | flat p99 ms | ivf p50 ms | ivf p99 ms | ivf recall@{K} | ivf path |",
        "|---|---|---|---|---|---|---|",
    ]
    for share, (allowed, _) in filters.items():
        f, i = flat_filtered[share], ivf_filtered[share]
        path = "exact over the allowed vectors" if len(allowed) <= ann.EXACT_FILTER_MAX_CHUNKS else "ivf, more lists probed"
        lines.append(f"| {len(allowed):,} ({share:.1%}) | {f[0]:.1f} | {f[1]:.1f} | {i[0]:.2f} | {i[1]:.2f} | {i[2]:.3f} | {path} |")
    lines += [
        "",
        (f"nprobe, chosen on {args.tune_queries} synthetic tuning queries and the {len(tune_questions)} odd-numbered "
         f"real questions (the tables above report the others); recall@{K} ≥ {TARGET_RECALL} on both first at "
         f"nprobe {tuned} (kb's default: {ann.NPROBE}):"),
        "",
        f"| nprobe | recall@{K} synthetic | recall@{K} real questions | p50 ms 1 thread |",
        "|---|---|---|---|",
        *[f"| {p} | {r:.3f} | {rq:.3f} | {m:.2f} |" for p, r, rq, m in tuning],
        "",
        "Flat (exact) query time by index size (where `auto` switches):",
        "",
        f"| chunks | p50 ms | p99 ms | p50 ms {default_threads} threads |",
        "|---|---|---|---|",
        *[f"| {size:,} | {m:.2f} | {p:.2f} | {m2:.2f} |" for size, m, p, m2 in flat_by_size],
        "",
        "Realism of the synthetic vectors (cosines; NN = nearest other vector in the same set):",
        "",
        *realism,
    ]
    section = "\n".join(lines)
    print(section)
    save(section, args.n)
    return 0


def save(section: str, n: int) -> None:
    """Put this n's section into benchmarks/results/ann.md, keeping the other sizes' sections."""
    header = "# Approximate vector search — written by benchmarks/ann.py\n"
    sections = {}
    if RESULTS.exists():
        for part in RESULTS.read_text(encoding="utf-8").split("\n## n = ")[1:]:
            size = int(part.split("\n", 1)[0].replace(",", ""))
            sections[size] = "## n = " + part.strip()
    sections[n] = section.strip()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(header + "\n" + "\n\n".join(sections[s] for s in sorted(sections, reverse=True)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
