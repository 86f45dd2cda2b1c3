"""Fusion experiments on cached candidates: each variant of the hybrid scored in seconds, not a re-run.

    python benchmarks/fusion_lab.py collect      # per query: dense and keyword top-200 chunks, idf sum, chunk -> doc
    python benchmarks/fusion_lab.py compare      # kb's fusion, the one before, each retriever: all, tuning, held-out half
    python benchmarks/fusion_lab.py grid         # the chunk-level hybrid's two constants on a grid, by the tuning half

Sets: SciFact test (300), the labour-docs questions (54 judged), the corpus/ questions (tests/data/questions).
Indexes use the default keyword engine; an FTS5 index already cached is converted (same chunks, same vectors,
the default engine's keyword side) instead of embedding everything again. Candidates are what
kb.search.query.retrieve sees (kb's own typed reader methods), so fusion.fuse on them ranks as kb.rank does.

Split: a query is in the tuning half when the first byte of sha256(its id) is even; the held-out half (odd) is
never looked at while choosing. Nothing here is tuned per query.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb.config import cache_root
from kb.embed import Embedder, load_embedder
from kb.evaluate import eval_index_dir, load_beir
from kb.index.keyword import DEFAULT_ENGINE
from kb.index.store import IndexWriter, open_reader, read_manifest
from kb.languages import analysis_languages, question_language
from kb.search.query import CANDIDATE_CHUNKS, dense_chunks, keyword_chunks
from kb.search.snippets import query_terms

SHARED = ROOT.parent / "shared" / "data"
LAB = cache_root() / "fusion-lab"


@dataclass
class Query:
    """One question's cached candidates and judgements."""

    qid: str
    text: str
    kind: str
    relevant: dict[str, int]
    dense: list[tuple[int, float]]
    keyword: list[tuple[int, float]]
    idf_sum: float
    term_idfs: list[float]
    vector: object  # the query's embedding (numpy float32)
    keyword_cosine: dict[int, float]  # the cosine of each keyword candidate (exact stored vectors)


def tuning_half(qid: str) -> bool:
    """The split: fixed by a hash of the query id (even first byte = tuning, odd = held out)."""
    return hashlib.sha256(qid.encode()).digest()[0] % 2 == 0


def convert(source: Path, target: Path) -> None:
    """target = source's documents, chunks and vectors with the default keyword engine's index (no embedding)."""
    manifest = read_manifest(source)
    started = time.perf_counter()
    with open_reader(source) as reader, IndexWriter(target, manifest.model, manifest.chunker, manifest.topics,
                                                    index_kind=manifest.index.requested, keyword_engine=DEFAULT_ENGINE) as writer:
        for doc in reader.all_documents():
            chunks = reader.chunks_of(doc.doc_id)
            writer.add_document(doc, reader.document_root(doc.doc_id), chunks, reader.vectors_by_id([c.chunk_id for c in chunks]))
        writer.commit()
    print(f"converted {source} -> {target} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _ready(target: Path, fts5_copy: Path | None) -> bool:
    if (target / "manifest.json").exists():
        return True
    if fts5_copy is not None and (fts5_copy / "manifest.json").exists() and read_manifest(fts5_copy).keyword == "fts5":
        convert(fts5_copy, target)
        return True
    return False


def scifact_set(settings: Settings, embedder: Embedder) -> tuple[Path, list[dict]]:
    folder = SHARED / "beir" / "scifact"
    corpus, queries, qrels = load_beir(folder)
    index = eval_index_dir(folder, replace(settings, keyword_engine=DEFAULT_ENGINE), embedder)
    fts5 = [d for d in sorted(index.parent.glob("scifact-*")) if (d / "manifest.json").exists()
            and read_manifest(d).keyword == "fts5" and read_manifest(d).counts.get("documents") == len(corpus)]
    if not _ready(index, fts5[0] if fts5 else None):
        from kb.ingest.pipeline import ingest_records

        ingest_records(corpus, f"beir:{folder.resolve()}", replace(settings, index_dir=index), embedder)
    return index, [{"id": q, "query": t, "kind": "scifact", "relevant": qrels[q]} for q, t in queries.items()]


def labour_set(settings: Settings, embedder: Embedder) -> tuple[Path, list[dict]]:
    """The labour-docs index of benchmarks/relevance.py (by engine) and its questions, no-answer ones included."""
    index = cache_root() / "bench" / f"labour-docs-{DEFAULT_ENGINE}"
    if not _ready(index, cache_root() / "bench" / "labour-docs"):
        KnowledgeBase(replace(settings, index_dir=index), embedder=embedder).ingest([SHARED / "labour-docs"])
    lines = (ROOT / "benchmarks" / "data" / "labour_questions.jsonl").read_text(encoding="utf-8").splitlines()
    return index, [json.loads(line) for line in lines if line.strip()]


def corpus_set(settings: Settings, embedder: Embedder) -> tuple[Path, list[dict]]:
    index = LAB / "corpus"
    shutil.rmtree(index, ignore_errors=True)  # built afresh: an index keeps the keyword analysis it was made with
    KnowledgeBase(replace(settings, index_dir=index, keyword_engine=DEFAULT_ENGINE), embedder=embedder).ingest([ROOT / "corpus"])
    questions = []
    for file in sorted((ROOT / "tests" / "data" / "questions").glob("*.jsonl")):
        questions += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return index, questions


SETS = {"scifact": scifact_set, "labour": labour_set, "corpus": corpus_set}


def collect_set(index: Path, questions: list[dict], embedder: Embedder) -> dict:
    """Every question's candidates, as retrieve() gathers them, plus the chunk -> document map."""
    out: list[Query] = []
    with open_reader(index) as reader:
        vectors = embedder.encode([q["query"] for q in questions])
        for q, vector in zip(questions, vectors):
            languages = analysis_languages(question_language(q["query"]))  # as retrieve() matches the words
            terms = query_terms(q["query"], languages)
            out.append(Query(q["id"], q["query"], q["kind"], q["relevant"],
                             dense_chunks(reader, vector, None, CANDIDATE_CHUNKS),
                             keyword_chunks(reader, terms, None, CANDIDATE_CHUNKS, languages),
                             reader.keyword.idf_sum(terms, languages),
                             [reader.keyword.idf_sum([t], languages) for t in terms], vector, {}))
            ids = [c for c, _ in out[-1].keyword]
            if ids:
                out[-1].keyword_cosine = dict(zip(ids, (reader.vectors_by_id(ids) @ vector).tolist()))
        chunk_doc = reader.chunk_documents({c for q in out for c, _ in q.dense + q.keyword})
        snapshot = reader.snapshot
    return {"index": str(index), "snapshot": snapshot, "queries": out, "chunk_doc": chunk_doc}


def cached(name: str) -> dict:
    with open(LAB / f"{name}.pkl", "rb") as fh:
        data = pickle.load(fh)
    return data | {"queries": [Query(**q) for q in data["queries"]]}


def collect(names: list[str]) -> None:
    settings = Settings.from_env()
    embedder = load_embedder(settings.model, settings.backend, settings.precision, settings.batch_size)
    LAB.mkdir(parents=True, exist_ok=True)
    for name in names:
        started = time.perf_counter()
        index, questions = SETS[name](settings, embedder)
        data = collect_set(index, questions, embedder)
        with open(LAB / f"{name}.pkl", "wb") as fh:
            pickle.dump(data | {"queries": [asdict(q) for q in data["queries"]]}, fh)  # plain data, whoever loads it
        print(f"{name}: {len(questions)} questions from {index} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# -- scoring variants on cached candidates ------------------------------------------------------------

def ndcg(ranking: list[str], relevant: dict[str, int]) -> float:
    from kb.evaluate import ndcg_at

    return ndcg_at(ranking, relevant)


def current(q: Query, chunk_doc: dict[int, str]) -> list[str]:
    """What kb.rank does today: fusion.fuse over the cached candidates."""
    from kb.search.fusion import fuse, keyword_ceiling

    docs = fuse([q.dense, q.keyword], chunk_doc, "hybrid", keyword_ceiling(q.idf_sum))
    return [d.doc_id for d in docs]


def single(pairs: list[tuple[int, float]], chunk_doc: dict[int, str]) -> list[str]:
    seen: dict[str, None] = {}
    for chunk, _ in pairs:
        seen.setdefault(chunk_doc[chunk])
    return list(seen)


def score_sets(rank, data: dict[str, dict], judged_only: bool = True) -> dict[str, dict[str, float]]:
    """{set: {"all", "tune", "held", and per kind: mean nDCG@10}} of a ranking function rank(q, chunk_doc)."""
    out = {}
    for name, d in data.items():
        rows = [(q, ndcg(rank(q, d["chunk_doc"]), q.relevant)) for q in d["queries"] if q.relevant]
        groups: dict[str, list[float]] = {"all": [], "tune": [], "held": []}
        for q, value in rows:
            groups["all"].append(value)
            groups["tune" if tuning_half(q.qid) else "held"].append(value)
            groups.setdefault(q.kind, []).append(value)
            if q.qid[:1] in "lab" and q.qid[1:].isdigit() and int(q.qid[1:]) <= ORIGINAL[q.qid[0]]:
                groups.setdefault("original", []).append(value)
        out[name] = {k: sum(v) / len(v) for k, v in groups.items() if v} | {"n_" + k: len(v) for k, v in groups.items()}
    return out


# The question sets as they were before this work added to them (ids up to these): "original" rows.
ORIGINAL = {"l": 60, "a": 29, "b": 28}


def load_all() -> dict[str, dict]:
    return {name: cached(name) for name in SETS if (LAB / f"{name}.pkl").exists()}


def previous(q: Query, chunk_doc: dict[int, str], ceiling: float = 3.3) -> list[str]:
    """The fusion before this lab: best cosine of a document + best bm25 / (3.3 x idf sum), each of any chunk."""
    best_dense: dict[str, float] = {}
    best_keyword: dict[str, float] = {}
    for chunk, score in q.dense:
        best_dense.setdefault(chunk_doc[chunk], max(0.0, score))
    for chunk, score in q.keyword:
        best_keyword.setdefault(chunk_doc[chunk], score / (ceiling * q.idf_sum) if q.idf_sum > 0 else 0.0)
    fused = {d: 0.5 * best_dense.get(d, 0.0) + 0.5 * best_keyword.get(d, 0.0) for d in {*best_dense, *best_keyword}}
    return sorted(fused, key=lambda d: (-fused[d], d))


def chunk_hybrid(ceiling: float, floor: float):
    """The chunk-level family kb uses now, with its two constants as parameters (for the grid)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        scale = ceiling * q.idf_sum
        fused: dict[int, float] = {c: 0.5 * max(0.0, s) for c, s in q.dense}
        for chunk, score in q.keyword:
            fused[chunk] = fused.get(chunk, 0.0) + (0.5 * max(0.0, score / scale - floor) if scale > 0 else 0.0)
        docs: dict[str, float] = {}
        for chunk, score in fused.items():
            docs[chunk_doc[chunk]] = max(score, docs.get(chunk_doc[chunk], 0.0))
        return sorted(docs, key=lambda d: (-docs[d], d))
    return rank


def _row(name: str, scores: dict[str, dict[str, float]]) -> str:
    cells = []
    for values in scores.values():
        cells += [f"{values[k]:.3f}" if k in values else "" for k in ("all", "tune", "held", "original")]
    return f"| {name} | " + " | ".join(cells) + " |"


def compare() -> None:
    """The table of benchmarks/results/relevance.md: kb's fusion now, the one before, each retriever alone."""
    data = load_all()
    systems = {"kb hybrid now (kb.search.fusion.fuse)": current, "hybrid before (document-level sum)": previous,
               "dense alone": lambda q, cd: single(q.dense, cd), "keyword alone": lambda q, cd: single(q.keyword, cd)}
    scored = {name: score_sets(rank, data) for name, rank in systems.items()}
    head = " | ".join(f"{s} {k}" for s in data for k in ("all", "tune", "held out", "original"))
    print(f"| system | {head} |\n|---|" + "---:|" * (4 * len(data)))
    for name, scores in scored.items():
        print(_row(name, scores))
    counts = {s: (v["n_all"], v["n_tune"], v["n_held"], v.get("n_original", 0)) for s, v in next(iter(scored.values())).items()}
    print("\nquestions (all, tune, held out, original):", counts)
    for name in ("labour", "corpus"):
        if name in data:
            kinds = sorted(k for k in scored["dense alone"][name] if not k.startswith("n_") and k not in ("all", "tune", "held", "original"))
            print(f"\n{name} by kind (nDCG@10, all questions): | system | " + " | ".join(kinds) + " |")
            for system, scores in scored.items():
                print(f"| {system} | " + " | ".join(f"{scores[name][k]:.3f}" for k in kinds) + " |")


def grid() -> None:
    """The last grid: KEYWORD_CEILING x KEYWORD_FLOOR of the chunk-level hybrid, by the tuning half's summed nDCG@10."""
    data = load_all()
    rows = []
    for ceiling in (1.6, 1.8, 2.0, 2.2, 2.5):
        for floor in (0.04, 0.06, 0.08, 0.1, 0.12):
            scores = score_sets(chunk_hybrid(ceiling, floor), data)
            rows.append((sum(v["tune"] for v in scores.values()), ceiling, floor, scores))
    for total, ceiling, floor, scores in sorted(rows, key=lambda r: -r[0]):
        print(f"ceiling {ceiling} floor {floor}: tuning sum {total:.3f} | "
              + " | ".join(f"{s} tune {v['tune']:.3f} held {v['held']:.3f}" for s, v in scores.items()))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compare"
    if command == "collect":
        collect(sys.argv[2:] or list(SETS))
    elif command == "grid":
        grid()
    else:
        compare()
