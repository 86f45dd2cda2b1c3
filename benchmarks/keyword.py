"""Keyword engines side by side at 100k and 1M chunks: FTS5 (today), Tantivy, bm25s, in one run.

    python benchmarks/keyword.py [--sizes 100000,1000000] [--repeats 5] [--engines fts5,tantivy,bm25s]

The corpora are synthetic but made of real text: every synthetic document copies a real document's title
and chunk count, every chunk a real chunk's heading path and length in words, and its text is real sentences
drawn at random from the chunks of the labour-docs and corpus/ indexes (recombined sentences, so the words,
their frequencies and the chunk lengths are real, the topics of a chunk mixed).

kb's two engines are written the way kb writes them (IndexWriter: documents, chunks, keyword rows, with
8-dimensional stand-in vectors) and read through IndexReader.keyword; bm25s (no incremental adds or deletes)
is indexed from the same text. The questions are the bench's real ones (benchmarks/data/labour_questions.jsonl,
tests/data/questions/*.jsonl), analysed like kb's query_terms (lowercased, stop words dropped, OR of the
terms), k = 200 chunks as kb asks. The machine is shared: engines take turns per question (round-robin),
each question is repeated, a question's time is the median of its repeats; p50/p99 are over questions.

Built indexes are cached in ~/.cache/kb/bench/keyword/. Writes benchmarks/results/keyword.md.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.index.store import IndexReader, IndexWriter, open_reader
from kb.records import Chunk, Document
from kb.search.snippets import query_terms

CACHE = Path.home() / ".cache" / "kb" / "bench" / "keyword"
LABOUR_INDEX = Path.home() / ".cache" / "kb" / "bench" / "labour-docs"
CORPUS_INDEX = CACHE / "corpus-index"
RESULTS = ROOT / "benchmarks" / "results" / "keyword.md"
KEYWORD = ROOT / "kb" / "index" / "keyword"
QUESTION_FILES = [ROOT / "benchmarks" / "data" / "labour_questions.jsonl", *sorted((ROOT / "tests" / "data" / "questions").glob("*.jsonl"))]
BM25S_VERSION = "bm25s-v1"  # bump when the Bm25s class below changes how it indexes
GENERATOR = "sentences-v1"  # bump when the generator changes: the cached indexes are keyed by it
SEED = 17
K = 200  # kb.search.query.CANDIDATE_CHUNKS
DIM = 8
MODEL = {"name": "bench-stand-in", "path": "", "sha256": "0" * 64, "dimension": DIM, "max_seq_length": 256,
         "backend": "none", "precision": "fp32"}
INCREMENT = 1000
FILTER_DOCS = 20
NOTES = "## What the figures say"
SENTENCE = re.compile(r"(?<=[.!?;:])\s+")


# -- the real text the corpora are made of --------------------------------------------------------------------

def source_chunks() -> tuple[list[tuple[str, list[tuple[tuple[str, ...], int]]]], list[str]]:
    """([(title, [(heading path, words) per chunk]) per real document], [real sentences])."""
    if not (CORPUS_INDEX / "manifest.json").exists():
        subprocess.run([str(Path(sys.executable).parent / "kb"), "ingest", str(ROOT / "corpus"), "--index", str(CORPUS_INDEX)], check=True)
    documents, sentences = [], set[str]()
    for index in (LABOUR_INDEX, CORPUS_INDEX):
        if not (index / "manifest.json").exists():
            continue
        with open_reader(index) as reader:
            titles = {d.doc_id: d.title for d in reader.all_documents()}
            shapes: dict[str, list[tuple[tuple[str, ...], int]]] = {}
            for chunk in reader.all_chunks():
                shapes.setdefault(chunk.doc_id, []).append((chunk.heading_path, len(chunk.text.split())))
                sentences.update(s for s in SENTENCE.split(chunk.text) if len(s.split()) >= 3)
        documents += [(titles[d], shape) for d, shape in sorted(shapes.items())]
    return documents, sorted(sentences)


class Generator:
    """Synthetic documents of real titles, heading paths, lengths and sentences (seeded: the same every run)."""

    def __init__(self, documents, sentences: list[str], seed: int) -> None:
        self.documents, self.sentences, self.rng = documents, sentences, random.Random(seed)

    def text(self, words: int) -> str:
        out: list[str] = []
        while len(out) < words:
            out += self.rng.choice(self.sentences).split()
        return " ".join(out[:words])

    def documents_of(self, chunks: int, prefix: str) -> Iterator[tuple[Document, list[Chunk]]]:
        """Documents until `chunks` chunks are made (the last one cut short)."""
        made, n = 0, 0
        while made < chunks:
            title, shape = self.rng.choice(self.documents)
            shape = shape[: chunks - made]
            doc_id = f"{prefix}{n:07d}"
            doc = Document(doc_id=doc_id, title=title, type="report", date=None, language="en", source=doc_id,
                           format="txt", content_hash=doc_id)
            yield doc, [Chunk(doc_id=doc_id, ordinal=i, text=self.text(w), n_tokens=w, heading_path=h) for i, (h, w) in enumerate(shape)]
            made, n = made + len(shape), n + 1


# -- kb's engines, written and read the way kb does ------------------------------------------------------------

class Timed:
    """A KeywordWriter that adds up the time spent in it: the engine's own share of a write."""

    def __init__(self, inner) -> None:
        self.inner, self.seconds = inner, 0.0

    def __getattr__(self, name: str) -> Callable:
        method = getattr(self.inner, name)

        def timed(*args):
            started = time.perf_counter()
            try:
                return method(*args)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


def write(index_dir: Path, engine: str, add: Iterator[tuple[Document, list[Chunk]]] = iter(()), remove: Sequence[str] = ()) -> dict:
    """One snapshot through kb's IndexWriter; the seconds of the whole write and of the keyword engine's part."""
    import numpy as np

    started = time.perf_counter()
    with IndexWriter(index_dir, MODEL, {"bench": GENERATOR}, index_kind="flat", keyword_engine=engine) as writer:
        writer.keyword = timed = Timed(writer.keyword)
        writer.remove_documents(remove)
        for doc, chunks in add:
            writer.add_document(doc, "bench", chunks, np.ones((len(chunks), DIM), dtype="float32"))
        writer.commit()
    return {"write_s": time.perf_counter() - started, "keyword_s": timed.seconds}


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def keyword_bytes(index_dir: Path, engine: str) -> int:
    """The engine's own bytes in the current snapshot: the tantivy/ folder, or FTS5's tables inside kb.sqlite."""
    with open_reader(index_dir) as reader:
        folder = reader.snapshot_dir
    if engine == "tantivy":
        return folder_bytes(folder / "tantivy")
    import sqlite3

    db = sqlite3.connect(f"file:{folder / 'kb.sqlite'}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'chunks_fts%'").fetchone()[0])
    finally:
        db.close()


# -- bm25s: sparse precomputed scores, no incremental adds or deletes ------------------------------------------

class Bm25s:
    """bm25s over the same text kb indexes (title twice, heading path, text), stemmed by the same Snowball English."""

    def __init__(self, folder: Path) -> None:
        import bm25s
        import Stemmer

        self.folder, self.stemmer = folder, Stemmer.Stemmer("english")
        self.model = bm25s.BM25.load(str(folder), load_vocab=True, show_progress=False) if (folder / "params.index.json").exists() else None
        self.ids = json.loads((folder / "chunk_ids.json").read_text()) if self.model else []

    def build(self, bodies: list[str], ids: list[int]) -> dict:
        """Tokenize and index everything (what every add or delete costs bm25s: it has no incremental update)."""
        import bm25s

        started = time.perf_counter()
        tokens = bm25s.tokenize(bodies, stopwords=None, stemmer=self.stemmer, show_progress=False)
        tokenized = time.perf_counter()
        self.model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.model.index(tokens, show_progress=False)
        indexed = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.model.save(str(self.folder), show_progress=False)
        (self.folder / "chunk_ids.json").write_text(json.dumps(ids))
        self.ids = ids
        return {"keyword_s": indexed - started, "tokenize_s": tokenized - started, "index_s": indexed - tokenized}

    def search(self, terms: Sequence[str], k: int, allowed_rows=None) -> list[tuple[int, float]]:
        assert self.model is not None
        vocab = self.model.vocab_dict
        tokens = [t for t in dict.fromkeys(self.stemmer.stemWords([t.lower() for t in terms])) if t in vocab]
        if not tokens:
            return []
        docs, scores = self.model.retrieve([tokens], k=k, show_progress=False, n_threads=1, weight_mask=allowed_rows)
        return [(self.ids[d], float(s)) for d, s in zip(docs[0].tolist(), scores[0].tolist()) if s > 0]


def body(doc: Document, chunk: Chunk) -> str:
    return "\n".join((doc.title, doc.title, " ".join(chunk.heading_path), chunk.text))


# -- building (cached) --------------------------------------------------------------------------------------------

def cache_dir(size: int, documents, sentences) -> Path:
    import hashlib

    key = json.dumps([GENERATOR, SEED, size, len(documents), len(sentences), sentences[:3]])
    return CACHE / f"{size}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def engine_version(engine: str) -> str:
    """A digest of the engine's code: a cached index is rebuilt when the code that wrote it changed."""
    import hashlib

    if engine == "bm25s":
        return BM25S_VERSION
    files = {"fts5": [KEYWORD / "fts5.py"], "tantivy": [KEYWORD / "tantivy.py", KEYWORD / "analysis.py"]}[engine]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]


def build(size: int, engines: Sequence[str], documents, sentences) -> tuple[Path, dict]:
    """The corpus of `size` chunks in each engine, built once per version of the engine's code; {engine: figures}."""
    import shutil

    folder = cache_dir(size, documents, sentences)
    stats_file = folder / "build.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    for engine in engines:
        if stats.get(engine, {}).get("version") == engine_version(engine):
            continue
        shutil.rmtree(folder / engine, ignore_errors=True)
        print(f"  building {size:,} chunks into {engine} ...", flush=True)
        corpus = Generator(documents, sentences, SEED).documents_of(size, "doc")
        if engine == "bm25s":
            with open_reader(folder / "fts5") as reader:  # the same chunks, with the chunk ids kb gave them
                docs = {d.doc_id: d for d in reader.all_documents()}
                pairs = [(int(c.chunk_id or 0), body(docs[c.doc_id], c)) for c in reader.all_chunks()]
            figures = Bm25s(folder / "bm25s").build([b for _, b in pairs], [i for i, _ in pairs])
            figures["bytes"] = folder_bytes(folder / "bm25s")
        else:
            figures = write(folder / engine, engine, corpus)
            figures["bytes"] = keyword_bytes(folder / engine, engine)
        stats[engine] = figures | {"version": engine_version(engine)}
        folder.mkdir(parents=True, exist_ok=True)
        stats_file.write_text(json.dumps(stats, indent=2))
    return folder, stats


# -- timing ---------------------------------------------------------------------------------------------------------

def questions() -> list[list[str]]:
    """The bench's real questions as kb's keyword side sees them: query_terms of each (those with any)."""
    texts = [json.loads(line)["query"] for f in QUESTION_FILES for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [terms for terms in map(query_terms, texts) if terms]


def searchers(folder: Path, engines: Sequence[str], allowed: set[str]) -> tuple[dict[str, Callable], dict[str, Callable], list]:
    """({engine: search(terms)}, {engine: search(terms) within the allowed documents}, things to close)."""
    import numpy as np

    plain: dict[str, Callable] = {}
    filtered: dict[str, Callable] = {}
    opened: list[IndexReader] = []
    for engine in engines:
        if engine == "bm25s":
            model = Bm25s(folder / "bm25s")
            with open_reader(folder / "fts5") as reader:
                allowed_ids = set(reader.chunk_ids_of(allowed))
            rows = np.asarray([r for r, i in enumerate(model.ids) if i in allowed_ids])

            def masked(terms, model=model, rows=rows):
                mask = np.zeros(len(model.ids), dtype="float32")  # built per question, as a filter would be
                mask[rows] = 1.0
                return model.search(terms, K, mask)
            plain[engine], filtered[engine] = partial(model.search, k=K), masked
            continue
        reader = IndexReader(folder / engine)
        opened.append(reader)
        plain[engine] = partial(reader.keyword.search, k=K)
        filtered[engine] = partial(reader.keyword.search, k=K, allowed=allowed)
    return plain, filtered, opened


def round_robin(functions: dict[str, Callable], queries: list[list[str]], repeats: int) -> dict[str, list[float]]:
    """{engine: per-question median ms}: every question asked of every engine in turn, `repeats` times."""
    names = list(functions)
    times: dict[str, list[list[float]]] = {n: [[] for _ in queries] for n in names}
    for repeat in range(repeats):
        for qi, terms in enumerate(queries):
            shift = (qi + repeat) % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter()
                functions[name](terms)
                times[name][qi].append((time.perf_counter() - started) * 1000)
    return {n: [statistics.median(t) for t in per_question] for n, per_question in times.items()}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def idf_first_ask(folder: Path, engines: Sequence[str], queries: list[list[str]]) -> dict[str, float]:
    """p50 ms of idf_sum on a fresh reader (FTS5 counts each term's rows on its first ask, then remembers)."""
    out = {}
    for engine in (e for e in engines if e != "bm25s"):
        with open_reader(folder / engine) as reader:
            ms = []
            for terms in queries:
                started = time.perf_counter()
                reader.keyword.idf_sum(terms)
                ms.append((time.perf_counter() - started) * 1000)
        out[engine] = percentile(ms, 50)
    return out


def increments(folder: Path, engines: Sequence[str], documents, sentences) -> dict[str, dict]:
    """{engine: seconds to add INCREMENT chunks as one new snapshot, then delete them in another}."""
    out = {}
    stamp = dt.datetime.now().strftime("%H%M%S")
    for engine in (e for e in engines if e != "bm25s"):
        extra = list(Generator(documents, sentences, SEED + 1).documents_of(INCREMENT, f"extra{stamp}-"))
        added = write(folder / engine, engine, iter(extra))
        deleted = write(folder / engine, engine, remove=[d.doc_id for d, _ in extra])
        out[engine] = {"add": added, "delete": deleted}
    return out


# -- the run and its report -------------------------------------------------------------------------------------------

def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def measure(size: int, engines: Sequence[str], repeats: int, documents, sentences, queries) -> dict:
    """Every figure of one corpus size."""
    folder, stats = build(size, engines, documents, sentences)
    with open_reader(folder / "fts5") as reader:
        doc_ids = sorted(d.doc_id for d in reader.all_documents())
    allowed = set(random.Random(SEED).sample(doc_ids, FILTER_DOCS))
    plain, filtered, opened = searchers(folder, engines, allowed)
    round_robin(plain, queries, 1)  # warm-up: the files in the page cache, lazy structures built
    timed = round_robin(plain, queries, repeats)
    timed_filtered = round_robin(filtered, queries, repeats)
    tops = {e: [[c for c, _ in plain[e](q)[:10]] for q in queries] for e in engines}
    agreement = {e: statistics.mean(len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(tops[e], tops["fts5"])) for e in engines}
    for reader in opened:
        reader.close()
    return {"size": size, "documents": len(doc_ids), "build": stats, "ms": timed, "filtered_ms": timed_filtered, "agreement": agreement,
            "idf_ms": idf_first_ask(folder, engines, queries), "increments": increments(folder, engines, documents, sentences)}


def table(run: dict, engines: Sequence[str]) -> list[str]:
    lines = [f"### {run['size']:,} chunks ({run['documents']:,} documents)", "",
             "| engine | p50 ms | p99 ms | filtered to 20 docs p50 / p99 ms | idf_sum first ask p50 ms | build s (engine / whole write) "
             "| keyword index MB | add 1,000 chunks s (engine / whole write) | delete 1,000 chunks s (engine / whole write) "
             "| top-10 shared with fts5 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for e in engines:
        ms, fms, build = run["ms"][e], run["filtered_ms"][e], run["build"][e]
        inc = run["increments"].get(e)
        whole = f" / {build['write_s']:.0f}" if "write_s" in build else " (tokenize + index)"
        add = f"{inc['add']['keyword_s']:.2f} / {inc['add']['write_s']:.1f}" if inc else f"full rebuild ≈ {build['keyword_s']:.0f}"
        delete = f"{inc['delete']['keyword_s']:.2f} / {inc['delete']['write_s']:.1f}" if inc else f"full rebuild ≈ {build['keyword_s']:.0f}"
        idf = f"{run['idf_ms'][e]:.2f}" if e in run["idf_ms"] else "–"
        lines.append(f"| {e} | {percentile(ms, 50):.1f} | {percentile(ms, 99):.1f} | {percentile(fms, 50):.1f} / {percentile(fms, 99):.1f} "
                     f"| {idf} | {build['keyword_s']:.0f}{whole} | {build['bytes'] / 1e6:.0f} | {add} | {delete} "
                     f"| {run['agreement'][e]:.0%} |")
    return lines + [""]


def report(runs: list[dict], engines: Sequence[str], meta: dict) -> str:
    lines = ["# Keyword engines at 100k and 1M chunks (benchmarks/keyword.py)", "",
             f"Run {meta['date']} on {meta['cores']} cores, shared with other work. Load before: `{meta['load_before']}`; "
             f"after: `{meta['load_after']}`.", "",
             f"Corpora: recombined real sentences ({meta['sentences']:,} distinct sentences of {meta['source_chunks']:,} real chunks "
             f"in {meta['source_documents']:,} documents of the labour-docs and corpus/ indexes); each synthetic document copies a "
             f"real one's title and chunk count, each chunk a real chunk's heading path and length in words (mean "
             f"{meta['mean_words']:.0f}). Questions: {meta['questions']} real ones, as kb's query_terms (OR of the terms), "
             f"k = {K}; engines in turn per question, {meta['repeats']} repeats, a question's time the median of its repeats, "
             f"p50/p99 over questions. Adds and deletes: {INCREMENT:,} chunks as one new snapshot each, through kb's IndexWriter "
             f"(the whole write includes copying kb.sqlite into the new snapshot and writing the vectors).", ""]
    for run in runs:
        lines += table(run, engines)
    return "\n".join(lines)


def kept_notes(path: Path) -> str:
    """The hand-written reading of the figures at the end of the results file (from NOTES on): a rerun keeps it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    return "\n" + old[old.index(NOTES):] if NOTES in old else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engines", default="fts5,tantivy,bm25s")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    engines = ["fts5", *[e for e in args.engines.split(",") if e != "fts5"]]  # fts5 first: bm25s reads its chunks
    meta = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "cores": __import__("os").cpu_count(), "load_before": load(),
            "repeats": args.repeats}
    documents, sentences = source_chunks()
    queries = questions()
    meta |= {"sentences": len(sentences), "source_documents": len(documents), "questions": len(queries),
             "source_chunks": sum(len(s) for _, s in documents),
             "mean_words": statistics.mean(w for _, s in documents for _, w in s)}
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        runs.append(measure(size, engines, args.repeats, documents, sentences, queries))
        meta["load_after"] = load()
        args.out.write_text(report(runs, engines, meta) + "\n" + kept_notes(args.out), encoding="utf-8")
        print("\n".join(table(runs[-1], engines)), flush=True)
    (args.out.with_suffix(".json")).write_text(json.dumps({"meta": meta, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
