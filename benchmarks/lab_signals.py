"""Scratch: raw confidence signals per question (hybrid), pickled for quick variant trials."""

from __future__ import annotations

import math
import pickle
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.confidence import in_fit_half, load
from kb import KnowledgeBase, Settings
from kb.embed import cache_root
from kb.languages import analysis_languages
from kb.records import Filters
from kb.search.query import dense_chunks, evidence, keyword_chunks, retrieve


def doc_order(ranked, chunk_doc):
    out = []
    for c, _ in ranked:
        d = chunk_doc.get(c)
        if d is not None and d not in out:
            out.append(d)
    return out


def searched(kb, q, countries=False):
    """What every lab's row starts from: (reader, the hits kb shows, what retrieve found, the evidence, the
    question's analyses)."""
    reader = kb.reader()
    hits = kb.search(q["query"], k=10, mode="hybrid").hits
    found = retrieve(reader, q["query"], k=10, mode="hybrid", filters=Filters(), encode=kb.embedder.encode)
    ev = evidence(reader, hits, found, kb.settings.model_languages, document_gap=True, countries=countries)
    return reader, hits, found, ev, analysis_languages(found.language)


def question_sets(corpus_index: Path) -> list[tuple[str, KnowledgeBase, list[dict]]]:
    """(name, knowledge base, questions) of corpus/ (its index built at `corpus_index` if missing) and labour-docs."""
    corpus = KnowledgeBase(Settings(index_dir=corpus_index))
    if not (corpus_index / "manifest.json").exists():
        corpus.ingest([ROOT / "corpus"])
    labour = KnowledgeBase(Settings(index_dir=cache_root() / "bench" / "labour-docs"), embedder=corpus.embedder)
    return [("corpus/", corpus, load(ROOT / "tests" / "data" / "questions")),
            ("labour-docs", labour, load(ROOT / "benchmarks" / "data" / "labour_questions.jsonl")),
            ("labour-docs, added", labour, load(ROOT / "benchmarks" / "data" / "labour_confidence_questions.jsonl"))]


def signals(kb, q):
    reader, hits, found, ev, langs = searched(kb, q)
    dense = dense_chunks(reader, found.query_vector, None, 200)
    kw = keyword_chunks(reader, found.terms, None, 200, langs)
    chunk_doc = reader.chunk_documents({c for c, _ in dense} | {c for c, _ in kw})
    idf_sum = reader.keyword.idf_sum(found.terms, langs)
    ceiling = 2.0 * idf_sum
    dd, kd = doc_order(dense, chunk_doc), doc_order(kw, chunk_doc)
    index = reader.keyword
    per_term = {}
    for t in found.terms:
        toks = index._tokens([t], langs)
        dfs = [index.searcher.doc_freq("body", tok) for tok in toks]
        per_term[t] = (reader.keyword.idf_sum([t], langs), dfs)
    top10 = [chunk_doc.get(c) for c, _ in dense[:10]]
    return {
        "set": q["set"], "qid": q["id"], "query": q["query"], "answerable": bool(q["relevant"]), "fit": in_fit_half(q["id"]),
        "kind": q.get("kind"), "ev": ev, "cos": [s for _, s in dense], "kw": [s for _, s in kw], "ceiling": ceiling,
        "kw_best": (kw[0][1] / ceiling if kw and ceiling else 0.0), "fused": found.docs[0].score if found.docs else 0.0,
        "dense_docs": dd[:50], "kw_docs": kd[:50], "per_term": per_term, "n_docs": index.docs,
        "conc": sum(d == top10[0] for d in top10) / max(len(top10), 1) if top10 else 0.0,
        "top_hit": hits[0].doc_id if hits else None, "hit_docs": [h.doc_id for h in hits],
        "fused_docs": [(c.doc_id, c.score) for c in found.docs[:20]],
        "kw_in_dense_top": [(c, s / ceiling if ceiling else 0) for c, s in kw[:50]],
        "dense_top_chunks": dense[:50], "chunk_doc": {c: chunk_doc[c] for c, _ in dense[:50] + kw[:50] if c in chunk_doc},
    }


def main():
    out = Path(sys.argv[1])
    which = sys.argv[2] if len(sys.argv) > 2 else "corpus,labour"
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, kb, qs in question_sets(Path(scratch) / "c"):
            name = name.replace(", added", "+")
            if name.rstrip("+").split("-")[0].rstrip("/") not in which:
                continue
            for q in qs:
                rows.append(signals(kb, {**q, "set": name}))
    out.write_bytes(pickle.dumps(rows))
    print(len(rows), math.nan)


if __name__ == "__main__":
    main()
