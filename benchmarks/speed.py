"""`make bench`: kb's speed against the naive way, side by side in one run on this machine.

    python benchmarks/speed.py [--files N] [--load-seconds S] [--ann-n N] [--skip ann,load,...]

Each row is measured now, beside its baseline, so the ratio holds even on a shared, noisy machine:

1. ingest: the naive pipeline (pypdf text -> sentence-transformers encode -> FAISS add, one process)
   against `kb ingest`, on N files of ../shared/data/labour-docs (PDFs, Markdown and HTML alike);
   peak RSS of each process;
2. relevance cost of the fast path: dense nDCG@10 on a SciFact sample (all test queries, their relevant
   abstracts plus random others), embedded by sentence-transformers (torch fp32) and by kb's ONNX fp32 and
   int8 paths;
3. a cold `kb search --json`, whole process, warm disk cache, bytecode cached, against a one-shot script
   that imports sentence-transformers (median of 9 each);
4. the API under 16 concurrent clients (benchmarks/load.py) on a labour-docs index: queries/s, p99, errors,
   server RSS at the start and end, for real questions drawn at random from a pool of ~120: with the
   result cache warm (every question asked once before the clock starts), starting empty (the first
   asking of each question is computed under load), and off (every request computed);
5. the keyword engines, FTS5 beside Tantivy, at 100k and 1M synthetic chunks made of real text
   (benchmarks/keyword.py; its indexes are built once and cached);
6. 1M synthetic vectors: exact flat search against kb's approximate index (benchmarks/ann.py).

Prints a table and writes benchmarks/results/bench.md (and .json). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
LABOUR = SHARED / "labour-docs"
SCIFACT = SHARED / "beir" / "scifact"
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
sys.path.insert(0, str(ROOT))

from kb.index.store import open_reader

NAIVE_INGEST = r'''
import json, os, sys, faiss
from pypdf import PdfReader
from sentence_transformers import SentenceTransformer
from kb.embed import packaged_model_path
texts = []
for f in sys.argv[1:]:
    if f.endswith(".pdf"):
        text = " ".join(p.extract_text() or "" for p in PdfReader(f).pages)
    else:
        text = open(f, encoding="utf-8", errors="replace").read()
    words = text.split()
    texts += [" ".join(words[i:i + 150]) for i in range(0, len(words), 150)]  # ~200-token pieces
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
index = faiss.IndexFlatIP(vectors.shape[1]); index.add(vectors)
print(len(texts))
if os.environ.get("NAIVE_PIECES"):  # for the bench's token count, after the work
    json.dump(texts, open(os.environ["NAIVE_PIECES"], "w"))
'''

NAIVE_SEARCH = r'''
import sys, faiss
from sentence_transformers import SentenceTransformer
from kb.embed import packaged_model_path
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
index = faiss.IndexFlatIP(384)
print(index.search(model.encode([sys.argv[1]], normalize_embeddings=True), 10)[1][0][:3])
'''


RSS_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)")


def run_timed(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes of the command's process, and its stdout (a small wrapper process
    reports the peak, so each command's own figure is measured)."""
    started = time.perf_counter()
    done = subprocess.run([PY, "-c", RSS_WRAPPER, *cmd], check=True, capture_output=True, env=env, text=True)
    took = time.perf_counter() - started
    return took, int(done.stderr.strip().splitlines()[-1]) * 1024, done.stdout


def pick_files(n: int) -> list[Path]:
    """A fixed, mixed sample: PDFs first (the bulk of real ingest time), then Markdown and HTML."""
    pdfs = sorted(LABOUR.rglob("*.pdf"))
    others = sorted(p for p in LABOUR.rglob("*") if p.suffix in (".md", ".html"))
    rng = random.Random(7)
    return rng.sample(pdfs, min(len(pdfs), n * 2 // 3)) + rng.sample(others, min(len(others), n - n * 2 // 3))


def token_counts(naive_pieces: list[str], index: Path) -> dict:
    """Model tokens each side embedded: the naive pieces as the model reads them (cut at its 256), and
    kb's inputs (context line + chunk text) as its index records them; special tokens included on both."""
    from kb.embed import Embedder, packaged_model_path

    model = Embedder(str(packaged_model_path()))
    lengths, most = model.count_tokens(naive_pieces), model.max_seq_length
    with open_reader(index) as reader:
        kb_tokens = sum(chunk.n_tokens for chunk in reader.all_chunks())
    return {"naive_tokens": sum(min(n, most) for n in lengths), "naive_tokens_cut": sum(max(0, n - most) for n in lengths),
            "naive_pieces_cut": sum(n > most for n in lengths), "kb_tokens": kb_tokens}


def bench_ingest(work: Path, n: int, env: dict) -> dict:
    files = pick_files(n)
    docs = work / "docs"
    docs.mkdir()
    for f in files:
        shutil.copyfile(f, docs / f.name)
    pieces = work / "naive-pieces.json"
    naive_s, naive_rss, naive_out = run_timed([PY, "-c", NAIVE_INGEST, *map(str, sorted(docs.iterdir()))],
                                              {**env, "NAIVE_PIECES": str(pieces)})
    kb_s, kb_rss, kb_out = run_timed([PY, "-m", "kb", "ingest", str(docs), "--index", str(work / "index"), "--json"], env)
    report = json.loads(kb_out)
    tokens = token_counts(json.loads(pieces.read_text(encoding="utf-8")), work / "index")
    # An update: one Markdown file gets a sentence in its middle, one PDF is renamed. The naive pipeline
    # has no update: it would run again from scratch.
    markdown = next(p for p in sorted(docs.iterdir()) if p.suffix == ".md" and p.stat().st_size > 20_000)
    text = markdown.read_text(encoding="utf-8")
    middle = text.index("\n\n", len(text) // 2)
    markdown.write_text(text[:middle] + " This sentence was added for the update benchmark." + text[middle:], encoding="utf-8")
    pdf = next(p for p in sorted(docs.iterdir()) if p.suffix == ".pdf")
    pdf.rename(pdf.with_name("renamed-" + pdf.name))
    update_s, _, update_out = run_timed([PY, "-m", "kb", "ingest", str(docs), "--index", str(work / "index"), "--json"], env)
    update = json.loads(update_out)
    with open_reader(work / "index") as reader:
        changed_chunks = len(reader.chunk_ids_of([markdown.name, "renamed-" + pdf.name]))
    return {"files": len(files), "naive_s": naive_s, "kb_s": kb_s, "naive_rss": naive_rss, "kb_rss": kb_rss, **tokens,
            "naive_chunks": int(naive_out.split()[-1]), "kb_chunks": report["chunks_embedded"],
            "update_s": update_s, "update_embedded": update["chunks_embedded"], "update_chunks": changed_chunks,
            "update_files": [markdown.name, pdf.name]}


def bench_relevance(n_docs: int) -> dict:
    """Dense nDCG@10 on a SciFact sample, the same texts embedded three ways."""
    import numpy as np

    from kb.embed import load_embedder
    from kb.evaluate import load_beir, ndcg_at

    corpus, queries, qrels = load_beir(SCIFACT, "test")
    docs = {d.doc_id: f"{d.title}. {d.text}".strip(". ") for d in corpus}
    relevant = {d for rel in qrels.values() for d in rel}
    others = sorted(set(docs) - relevant)
    sample = sorted(relevant) + random.Random(11).sample(others, max(0, n_docs - len(relevant)))
    qids = sorted(q for q in qrels if q in queries)
    out = {"docs": len(sample), "queries": len(qids)}
    for name, backend, precision in (("torch fp32", "torch", "fp32"), ("onnx fp32", "onnx", "fp32"), ("onnx int8", "onnx", "int8")):
        embedder = load_embedder("all-MiniLM-L6-v2", backend, precision)
        ids = sorted(sample, key=lambda d: len(docs[d]))  # length-sorted, as kb's ingest batches them
        started = time.perf_counter()
        dvecs = embedder.encode([docs[d] for d in ids])
        took = time.perf_counter() - started
        qvecs = embedder.encode([queries[q] for q in qids])
        scores = qvecs @ dvecs.T
        ndcg = [ndcg_at([ids[j] for j in np.argsort(-row)[:10]], qrels[q]) for q, row in zip(qids, scores)]
        out[name] = {"ndcg10": float(np.mean(ndcg)), "docs_per_s": len(sample) / took}
    return out


def bench_cold_search(index: str, env: dict, runs: int = 9) -> dict:
    query = "minimum age for hazardous work"
    kb_cmd = [PY, "-m", "kb", "search", "--index", index, "--json", query]
    # Both sides may cache their modules' bytecode, as every normal install does (some sandboxes turn it off
    # with PYTHONDONTWRITEBYTECODE; kb, installed editable, would then compile its own modules on every run).
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    def wall(cmd: list[str]) -> float:  # timed from here: no wrapper process measuring memory
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        return time.perf_counter() - started

    # As a person runs it: on a terminal (script(1) gives it one), printing through rich, at a fixed width.
    term_cmd = ["script", "-qc", shlex.join([c for c in kb_cmd if c != "--json"]), "/dev/null"]
    has_terminal = shutil.which("script") is not None
    env = {**env, "COLUMNS": "100"}
    wall(kb_cmd)  # the first ever run may optimise and cache the ONNX graph, and writes bytecode
    kb, term = [], []
    for _ in range(runs):  # interleaved, so a noisy moment weighs on both alike
        kb.append(wall(kb_cmd))
        if has_terminal:
            term.append(wall(term_cmd))
    naive = [wall([PY, "-c", NAIVE_SEARCH, query]) for _ in range(runs)]
    out = {"kb_s": statistics.median(kb), "naive_s": statistics.median(naive), "runs": runs,
           "kb_all_s": [round(t, 3) for t in sorted(kb)]}
    if term:
        out |= {"terminal_s": statistics.median(term), "terminal_all_s": [round(t, 3) for t in sorted(term)]}
    return out


def bench_query_profile(index: Path) -> tuple[dict, str]:
    """Each stage of an uncached query on the labour-docs index (benchmarks/query_profile.py): figures and table."""
    import query_profile

    found = query_profile.profile(index, query_profile.QUESTIONS)
    table = query_profile.table(found)
    rest, whole = found["times"]["all but the embedding"], found["times"]["run_search"]
    return {"engine": found["engine"], "questions": found["questions"], "run_search_ms": statistics.median(whole),
            "rest_ms": statistics.median(rest), "rest_p90_ms": query_profile.p90(rest)}, table


def labour_index(env: dict) -> Path:
    """The whole labour-docs corpus ingested once and kept in the cache (rebuilding it takes ~10 min)."""
    cache = Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb") / "bench" / "labour-docs"
    if not (cache / "manifest.json").is_file():
        print(f"building the labour-docs index in {cache} (once; about 10 minutes) ...", flush=True)
    subprocess.run([PY, "-m", "kb", "ingest", str(LABOUR), "--index", str(cache), "-q"], check=True, env=env,
                   capture_output=True)
    from kb.index.keyword import DEFAULT_ENGINE
    from kb.index.store import read_manifest

    if read_manifest(cache).keyword != DEFAULT_ENGINE:  # an index cached before the default changed: the figures are the default's
        subprocess.run([PY, "-m", "kb", "reindex", "--index", str(cache), "--keyword-engine", DEFAULT_ENGINE], check=True, env=env,
                       capture_output=True)
    return cache


def bench_load(index: Path, seconds: float) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load import load_test

    os.environ["KB_RESULT_CACHE"] = "1024"
    warm = load_test(index, clients=16, seconds=seconds, warm_all=True)
    cold = load_test(index, clients=16, seconds=seconds)
    cold_two = load_test(index, clients=16, seconds=seconds, workers=2)
    os.environ["KB_RESULT_CACHE"] = "0"
    uncached = load_test(index, clients=16, seconds=seconds)
    two = load_test(index, clients=16, seconds=seconds, workers=2)  # a process per core: the Python side is one core's
    del os.environ["KB_RESULT_CACHE"]
    from kb.api.serve import auto_workers
    from kb.config import Settings

    return {"cache warm": warm, "cache starting empty": cold, "cache starting empty, 2 workers": cold_two,
            "cache off": uncached, "cache off, 2 workers": two, "default_workers": auto_workers(Settings(index_dir=index))[0]}


def bench_ann(n: int, env: dict) -> str:
    script = ROOT / "benchmarks" / "ann.py"
    if not script.is_file():
        return "(benchmarks/ann.py not present)"
    subprocess.run([PY, str(script), "--n", str(n)], check=True, env=env, capture_output=True)
    return (RESULTS / "ann.md").read_text(encoding="utf-8")


def bench_keyword(env: dict) -> str:
    """The keyword engines at 100k and 1M synthetic chunks, side by side (benchmarks/keyword.py; indexes cached)."""
    subprocess.run([PY, str(ROOT / "benchmarks" / "keyword.py"), "--engines", "fts5,tantivy"], check=True, env=env,
                   capture_output=True)
    return (RESULTS / "keyword.md").read_text(encoding="utf-8")


def _last_run(name: str) -> str:
    """benchmarks/results/NAME.md as a section of bench.md when this run skipped it: its title line replaced by a note."""
    body = (RESULTS / f"{name}.md").read_text(encoding="utf-8").split("\n", 1)[-1]
    return f"# (title)\n(not re-run: the last benchmarks/{name}.py results)\n{body}"


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n else "n/a"


# What issue 17 asks of each API row (16 clients, labour-docs).
LOAD_TARGETS = {"cache off": "≥ 75 q/s, p99 ≤ 250 ms, 0 errors", "cache off, 2 workers": "≥ 75 q/s, p99 ≤ 250 ms, 0 errors",
                "cache starting empty": "p99 ≤ 50 ms, 0 errors", "cache starting empty, 2 workers": "p99 ≤ 50 ms, 0 errors",
                "cache warm": "0 errors"}


def table(r: dict) -> str:
    lines = ["| figure | baseline (same run) | kb | ratio | target |", "|---|---|---|---|---|"]
    if "ingest" in r:
        i = r["ingest"]
        lines.append(f"| ingest, {i['files']} labour-docs files, end to end | naive {i['naive_s']:.1f} s ({i['naive_chunks']} chunks) "
                     f"| {i['kb_s']:.1f} s ({i['kb_chunks']} chunks) | {i['naive_s'] / i['kb_s']:.2f}x | ≥ 3x |")
        if "kb_tokens" in i:
            lines.append(f"| ingest, model tokens embedded per second | naive {i['naive_tokens'] / i['naive_s']:,.0f} "
                         f"({i['naive_tokens']:,} tokens; {i['naive_pieces_cut']} of its pieces cut at 256, {i['naive_tokens_cut']:,} tokens never read) "
                         f"| {i['kb_tokens'] / i['kb_s']:,.0f} ({i['kb_tokens']:,} tokens: all the text, with each chunk's context line) "
                         f"| {i['kb_tokens'] / i['kb_s'] / (i['naive_tokens'] / i['naive_s']):.2f}x | |")
        lines.append(f"| ingest peak RSS | naive {mb(i['naive_rss'])} | {mb(i['kb_rss'])} | | report |")
        if "update_s" in i:
            lines.append(f"| update: a sentence added to one Markdown file, one PDF renamed | naive: a full run again, "
                         f"{i['naive_s']:.1f} s | {i['update_s']:.1f} s, {i['update_embedded']} of the {i['update_chunks']} chunks "
                         f"of the two files embedded | {i['naive_s'] / i['update_s']:.1f}x | |")
    if "relevance" in r:
        v = r["relevance"]
        base = v["torch fp32"]["ndcg10"]
        for name in ("onnx fp32", "onnx int8"):
            lines.append(f"| SciFact sample dense nDCG@10 ({v['docs']} docs, {v['queries']} q), {name} | torch fp32 {base:.4f} "
                         f"| {v[name]['ndcg10']:.4f} | {v[name]['ndcg10'] - base:+.4f} | within 0.005 |")
        for name in ("onnx fp32", "onnx int8"):
            lines.append(f"| embedding rate, {name} | torch fp32 {v['torch fp32']['docs_per_s']:.1f} docs/s "
                         f"| {v[name]['docs_per_s']:.1f} docs/s | {v[name]['docs_per_s'] / v['torch fp32']['docs_per_s']:.2f}x | |")
    if "cold" in r:
        c = r["cold"]
        lines.append(f"| `kb search --json` cold, whole process (median of {c.get('runs', 5)}) | one-shot sentence-transformers {c['naive_s']:.2f} s "
                     f"| {c['kb_s']:.2f} s | {c['naive_s'] / c['kb_s']:.1f}x | ≤ 0.5 s (≥ 10x) |")
        if "terminal_s" in c:
            lines.append(f"| `kb search` cold on a terminal (rich output, 100 columns), median of {c['runs']} | `--json` "
                         f"{c['kb_s']:.2f} s | {c['terminal_s']:.2f} s | {c['terminal_s'] / c['kb_s']:.2f}x | ≤ 0.4 s |")
    if "profile" in r:
        p = r["profile"]
        lines.append(f"| uncached query CPU, all but the embedding ({p['engine']}, {p['questions']} questions; "
                     f"benchmarks/query_profile.py) | run_search {p['run_search_ms']:.1f} ms | median "
                     f"{p['rest_ms']:.2f} ms, p90 {p['rest_p90_ms']:.2f} ms | | ≤ 5 ms |")
    if "load" in r:
        for kind, l in ((k, v) for k, v in r["load"].items() if isinstance(v, dict)):
            lines.append(f"| API, 16 clients, {l['seconds']:.0f} s, labour-docs, result {kind} "
                         f"| — | {l['qps']:.0f} q/s, p50 {l['p50_ms']:.0f} ms, p99 {l['p99_ms']:.0f} ms, {l['errors']} errors "
                         f"| | {LOAD_TARGETS.get(kind, '0 errors')} |")
            lines.append(f"| server RSS ({kind}) | — | idle {l['rss_idle_mb']:.0f} MB, first 10 s {l['rss_first10_mb']:.0f} MB, "
                         f"last 10 s {l['rss_last10_mb']:.0f} MB | | stable |")
        if "default_workers" in r["load"]:
            lines.append(f"| `kb serve` default here (`--workers auto`) | — | {r['load']['default_workers']} workers | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24, help="labour-docs files in the ingest comparison")
    parser.add_argument("--scifact-docs", type=int, default=800)
    parser.add_argument("--load-seconds", type=float, default=45)
    parser.add_argument("--ann-n", type=int, default=1_000_000)
    parser.add_argument("--labour-index", type=Path, help="an existing labour-docs index (default: build one in the cache)")
    parser.add_argument("--skip", default="", help="comma-separated: ingest,relevance,cold,profile,load,keyword,ann")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if not LABOUR.is_dir():
        print(f"no data at {LABOUR}; nothing to measure")
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    results: dict = {}
    profile = ""
    started = time.perf_counter()
    try:
        if "ingest" not in skip:
            print("ingest: naive vs kb ...", flush=True)
            results["ingest"] = bench_ingest(work, args.files, env)
        if "relevance" not in skip and SCIFACT.is_dir():
            print("relevance cost on SciFact ...", flush=True)
            results["relevance"] = bench_relevance(args.scifact_docs)
        index = args.labour_index or (labour_index(env) if {"cold", "load", "profile"} - skip else None)
        if "cold" not in skip:
            print("cold search ...", flush=True)
            results["cold"] = bench_cold_search(str(index), env)
        if "profile" not in skip:
            print("query profile ...", flush=True)
            results["profile"], profile = bench_query_profile(index)
        if "load" not in skip:
            print("API load ...", flush=True)
            results["load"] = bench_load(index, args.load_seconds)
        keyword = ""
        if "keyword" not in skip:
            print("keyword engines at 100k and 1M chunks ...", flush=True)
            try:
                keyword = bench_keyword(env)
            except subprocess.CalledProcessError as exc:  # keep the rows measured so far
                keyword = f"(benchmarks/keyword.py failed: {exc.stderr.decode(errors='replace')[-1500:] if exc.stderr else exc})\n"
        elif (RESULTS / "keyword.md").is_file():
            keyword = _last_run("keyword")
        if "ann" not in skip:
            print("1M vectors ...", flush=True)
            try:
                ann = bench_ann(args.ann_n, env)
            except subprocess.CalledProcessError as exc:  # keep the rows measured so far
                ann = f"(benchmarks/ann.py failed: {exc.stderr.decode(errors='replace')[-1500:] if exc.stderr else exc})\n"
        elif (RESULTS / "ann.md").is_file():
            ann = _last_run("ann")
        else:
            ann = ""
    finally:
        shutil.rmtree(work, ignore_errors=True)
    took = time.perf_counter() - started
    now = dt.datetime.now().isoformat(timespec="minutes")
    for part in results.values():
        part["measured_at"] = now
    # Parts skipped in this run keep their last measurement, which says when it was taken.
    previous = json.loads((RESULTS / "bench.json").read_text(encoding="utf-8")) if (RESULTS / "bench.json").is_file() else {}
    carried = {k: v for k, v in previous.items() if k not in results and k in skip and isinstance(v, dict)}
    results = {**carried, **results}
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    head = (f"# kb speed — {dt.datetime.now().isoformat(timespec='minutes')} on {cpu}, {os.cpu_count()} cores, "
            f"{platform.python_version()}; `make bench` took {took / 60:.1f} min\n")
    text = head + "\n" + table(results) + "\n"
    if carried:
        text += "\nNot re-run this time, from earlier runs: " + ", ".join(
            f"{k} ({v.get('measured_at', 'date not recorded')})" for k, v in carried.items()) + ".\n"
    if profile:
        text += "\n## An uncached query, stage by stage (benchmarks/query_profile.py)\n\n" + profile + "\n"
    if keyword:
        text += "\n## Keyword engines at 100k and 1M chunks (benchmarks/keyword.py)\n\n" + keyword.split("\n", 1)[-1]
    if ann:
        text += "\n## 1M vectors (benchmarks/ann.py)\n\n" + ann.split("\n", 1)[-1]
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.md").write_text(text, encoding="utf-8")
    (RESULTS / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
