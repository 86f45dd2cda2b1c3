"""Document-level fusion experiments (issue 15): the whole index held in memory, so that a variant can use what
the candidate lists alone do not hold: a document's other chunks' words and vectors, deeper candidate lists.

    python benchmarks/fusion_lab.py collect          # first: the cached candidates of each set
    python benchmarks/doc_lab.py load                # each set's index in memory once: tokens, postings, vectors
    python benchmarks/doc_lab.py                     # document-level variants, by the tuning half's summed nDCG@10
    python benchmarks/doc_lab.py more | more2 | more3 | more4   # depth, keyword feedback (RM3), agreement gate, dense floor
    python benchmarks/doc_lab.py titles && python benchmarks/doc_lab.py more5   # titles embedded alone
    python benchmarks/doc_lab.py held_out            # the two variants whose held-out half was read (2026-12-06)

The split and the question sets are fusion_lab's (tuning_half, score_sets); nothing here is tuned per query.
Scores are FTS5's BM25 (k1 1.2, b 0.75, kb's keyword scale) recomputed from the tokens the keyword index holds
(title twice, heading path, text); `check` shows how close they come to the index's own (Tantivy's fieldnorms
round a chunk's length).
"""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fusion_lab import LAB, Query, load_all, score_sets, single

from kb.index.keyword.analysis import analyzer, document_language, query_tokens
from kb.index.keyword.tantivy import analysis_version
from kb.index.store import open_reader
from kb.languages import analysis_languages, question_language
from kb.search.snippets import query_terms

K1, B = 1.2, 0.75


@dataclass
class Corpus:
    """One index in memory: per chunk its document, length and vector; postings token -> {chunk: tf}."""

    chunk_doc: dict[int, str]
    length: dict[int, int]
    postings: dict[str, dict[int, int]]
    doc_chunks: dict[str, list[int]]
    row: dict[int, int]  # chunk id -> row of `vectors`
    vectors: np.ndarray
    version: int
    title_tokens: dict[str, list[str]] = field(default_factory=dict)
    chunk_tokens: dict[int, Counter] = field(default_factory=dict)

    @property
    def avgdl(self) -> float:
        return sum(self.length.values()) / len(self.length)


def load_corpus(index: Path) -> Corpus:
    postings: dict[str, dict[int, int]] = defaultdict(dict)
    chunk_doc, length, doc_chunks, titles, counts = {}, {}, defaultdict(list), {}, {}
    with open_reader(index) as reader:
        version = analysis_version(reader.snapshot_dir)
        docs = {d.doc_id: d for d in reader.all_documents()}
        for chunk in reader.all_chunks():
            doc = docs[chunk.doc_id]
            tokens = analyzer(document_language(doc.language, version)).tokens(
                "\n".join((doc.title, doc.title, " ".join(chunk.heading_path), chunk.text)))
            cid = int(chunk.chunk_id)
            chunk_doc[cid], length[cid] = chunk.doc_id, len(tokens)
            doc_chunks[chunk.doc_id].append(cid)
            counts[cid] = Counter(tokens)
            for token, tf in counts[cid].items():
                postings[token][cid] = tf
            titles.setdefault(chunk.doc_id, analyzer(document_language(doc.language, version)).tokens(doc.title))
        ids = sorted(chunk_doc)
        vectors = reader.vectors_by_id(ids)
    return Corpus(chunk_doc, length, dict(postings), dict(doc_chunks), {c: i for i, c in enumerate(ids)},
                  np.asarray(vectors, dtype="float32"), version, titles, counts)


def load() -> None:
    for name, data in load_all().items():
        corpus = load_corpus(Path(data["index"]))
        with open(LAB / f"{name}-corpus.pkl", "wb") as fh:
            pickle.dump(corpus, fh)
        print(name, len(corpus.chunk_doc), "chunks", len(corpus.doc_chunks), "documents", file=sys.stderr)


def corpora() -> dict[str, Corpus]:
    out = {}
    for name in load_all():
        with open(LAB / f"{name}-corpus.pkl", "rb") as fh:
            out[name] = pickle.load(fh)
    return out


def tokens_of(q: Query, version: int) -> list[str]:
    languages = analysis_languages(question_language(q.text))
    return query_tokens(tuple(query_terms(q.text, languages)), tuple(languages), version)


def idf(n: int, total: int) -> float:
    return max(1e-6, math.log((total - n + 0.5) / (n + 0.5)))


def chunk_bm25(corpus: Corpus, tokens: list[str]) -> dict[int, float]:
    """Every matching chunk's bm25 (kb's keyword scale)."""
    total, avgdl, out = len(corpus.length), corpus.avgdl, defaultdict(float)
    for token in tokens:
        post = corpus.postings.get(token, {})
        w = idf(len(post), total)
        for cid, tf in post.items():
            out[cid] += w * tf * (K1 + 1) / (tf + K1 * (1 - B + B * corpus.length[cid] / avgdl))
    return out


def check() -> None:
    """How close the recomputed bm25 is to the index's own, per set (mean |relative difference| on the top 10)."""
    data, cs = load_all(), corpora()
    for name, d in data.items():
        diffs = []
        for q in d["queries"][:60]:
            mine = chunk_bm25(cs[name], tokens_of(q, cs[name].version))
            diffs += [abs(mine.get(c, 0.0) - s) / s for c, s in q.keyword[:10] if s > 0]
        print(name, f"mean rel diff {np.mean(diffs):.4f}, max {np.max(diffs):.4f}")


# -- variants: each a factory(corpus) -> rank(q, chunk_doc) ---------------------------------------------

def fused_chunks(q: Query, ceiling: float = 2.0, floor: float = 0.1, dense_weight: float = 0.5,
                 dense=None, keyword=None) -> tuple[dict[int, float], dict[int, float]]:
    """kb's per-chunk hybrid now: (fused score, keyword part) of every candidate chunk."""
    scale = ceiling * q.idf_sum
    fused = {c: dense_weight * max(0.0, s) for c, s in (q.dense if dense is None else dense)}
    kw: dict[int, float] = {}
    for chunk, score in (q.keyword if keyword is None else keyword):
        kw[chunk] = (1 - dense_weight) * max(0.0, score / scale - floor) if scale > 0 else 0.0
        fused[chunk] = fused.get(chunk, 0.0) + kw[chunk]
    return fused, kw


def best_per_doc(scores: dict[int, float], chunk_doc: dict[int, str]) -> dict[str, tuple[float, int]]:
    best: dict[str, tuple[float, int]] = {}
    for chunk, score in scores.items():
        d = chunk_doc[chunk]
        if d not in best or score > best[d][0]:
            best[d] = (score, chunk)
    return best


def ranked(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda d: (-scores[d], d))


def now(corpus: Corpus, **kw):
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        best = best_per_doc(fused_chunks(q, **kw)[0], chunk_doc)
        return ranked({d: s for d, (s, _) in best.items()})
    return rank


def doc_tf(corpus: Corpus, tokens: list[str], doc_ids) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per document: the query tokens' counts over its chunks (the title's counted once, twice as indexed), its length."""
    tfs: dict[str, dict[str, int]] = {}
    lengths: dict[str, int] = {}
    for d in doc_ids:
        chunks = corpus.doc_chunks[d]
        title = Counter(corpus.title_tokens[d])
        extra = len(chunks) - 1
        lengths[d] = sum(corpus.length[c] for c in chunks) - extra * 2 * sum(title.values())
        tfs[d] = {t: sum(corpus.postings.get(t, {}).get(c, 0) for c in chunks) - extra * 2 * title.get(t, 0)
                  for t in tokens}
    return tfs, lengths


def doc_stats(corpus: Corpus) -> tuple[int, float, dict[str, int]]:
    """Documents, their mean length (title once, twice as indexed) and df per token, over documents."""
    if not hasattr(corpus, "_doc_stats"):
        tfs, lengths = doc_tf(corpus, [], corpus.doc_chunks)
        df: Counter = Counter()
        for token, post in corpus.postings.items():
            df[token] = len({corpus.chunk_doc[c] for c in post})
        corpus._doc_stats = (len(lengths), sum(lengths.values()) / len(lengths), df)  # type: ignore[attr-defined]
    return corpus._doc_stats  # type: ignore[attr-defined]


def doc_bm25(corpus: Corpus, tokens: list[str], doc_ids, doc_idf: bool = True) -> tuple[dict[str, float], float]:
    """BM25 of whole documents (their chunks' words together); and the tokens' idf sum it is scaled by."""
    n_docs, avgdl, df = doc_stats(corpus)
    n_chunks = len(corpus.length)
    weights = {t: idf(df[t], n_docs) if doc_idf else idf(len(corpus.postings.get(t, {})), n_chunks) for t in tokens}
    tfs, lengths = doc_tf(corpus, tokens, doc_ids)
    out = {}
    for d in doc_ids:
        norm = K1 * (1 - B + B * lengths[d] / avgdl)
        out[d] = sum(weights[t] * tf * (K1 + 1) / (tf + norm) for t, tf in tfs[d].items() if tf > 0)
    return out, sum(weights.values())


def doc_keyword(corpus: Corpus, how: str = "extra", weight: float = 0.5, ceiling: float = 2.0, floor: float = 0.1,
                doc_idf: bool = True):
    """Document-level keyword evidence beside the chunk's: 'extra' adds weight x (doc keyword - best chunk's keyword,
    if more); 'max' uses max(chunk keyword, weight x doc keyword) per chunk; 'sum' is the document-level sum."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, kw = fused_chunks(q, ceiling, floor)
        docs = {chunk_doc[c] for c in fused}
        tokens = tokens_of(q, corpus.version)
        bm, idf_sum = doc_bm25(corpus, tokens, docs, doc_idf)
        scale = ceiling * idf_sum
        dk = {d: 0.5 * max(0.0, s / scale - floor) if scale > 0 else 0.0 for d, s in bm.items()}
        if how == "sum":
            cos = best_per_doc({c: 0.5 * max(0.0, s) for c, s in q.dense}, chunk_doc)
            return ranked({d: cos.get(d, (0.0, 0))[0] + dk[d] for d in docs})
        if how == "max":
            scores = {c: s - kw.get(c, 0.0) + max(kw.get(c, 0.0), weight * dk[chunk_doc[c]]) for c, s in fused.items()}
            return ranked({d: s for d, (s, _) in best_per_doc(scores, chunk_doc).items()})
        best = best_per_doc(fused, chunk_doc)
        return ranked({d: s + weight * max(0.0, dk[d] - kw.get(c, 0.0)) for d, (s, c) in best.items()})
    return rank


def term_max(corpus: Corpus, tokens: list[str], doc_ids) -> dict[str, float]:
    """Per document: the sum over the query's tokens of each one's best chunk-level bm25 contribution in it (what
    per-token keyword queries over the candidate documents would give), on the chunk-level scale."""
    total, avgdl = len(corpus.length), corpus.avgdl
    out: dict[str, float] = defaultdict(float)
    for token in tokens:
        post = corpus.postings.get(token, {})
        w = idf(len(post), total)
        for d in doc_ids:
            best = 0.0
            for c in corpus.doc_chunks[d]:
                tf = post.get(c, 0)
                if tf:
                    best = max(best, w * tf * (K1 + 1) / (tf + K1 * (1 - B + B * corpus.length[c] / avgdl)))
            out[d] += best
    return out


def term_max_rank(corpus: Corpus, weight: float = 0.5, ceiling: float = 2.0, floor: float = 0.1):
    """The best chunk + weight x (the document's per-token best keyword evidence - the best chunk's keyword part)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, kw = fused_chunks(q, ceiling, floor)
        best = best_per_doc(fused, chunk_doc)
        tm = term_max(corpus, tokens_of(q, corpus.version), best)
        scale = ceiling * q.idf_sum
        dk = {d: 0.5 * max(0.0, s / scale - floor) if scale > 0 else 0.0 for d, s in tm.items()}
        return ranked({d: s + weight * max(0.0, dk[d] - kw.get(c, 0.0)) for d, (s, c) in best.items()})
    return rank


def other_terms(corpus: Corpus, weight: float = 0.2):
    """The best chunk plus weight x the idf share of the query tokens its document holds elsewhere but it lacks."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        tokens = tokens_of(q, corpus.version)
        n = len(corpus.length)
        w = {t: idf(len(corpus.postings.get(t, {})), n) for t in tokens}
        total = sum(w.values()) or 1.0
        out = {}
        for d, (s, c) in best_per_doc(fused, chunk_doc).items():
            others = set(corpus.doc_chunks[d]) - {c}
            missing = [t for t in tokens if c not in corpus.postings.get(t, {})
                       and any(o in corpus.postings.get(t, {}) for o in others)]
            out[d] = s + weight * sum(w[t] for t in missing) / total
        return ranked(out)
    return rank


def doc_dense(corpus: Corpus, how: str = "mean", weight: float = 0.1):
    """A document-level dense signal beside the best chunk: 'mean' the cosine of its mean chunk vector, 'second'
    its second-best chunk's cosine (exact, over all its chunks); added as weight x (signal - best cosine)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        out = {}
        v = np.asarray(q.vector, dtype="float32")
        for d, (s, _) in best_per_doc(fused, chunk_doc).items():
            rows = [corpus.row[x] for x in corpus.doc_chunks[d]]
            cos = corpus.vectors[rows] @ v
            if how == "mean":
                m = corpus.vectors[rows].mean(axis=0)
                signal = float(m @ v / (np.linalg.norm(m) or 1.0))
            else:
                signal = float(np.sort(cos)[-2]) if len(cos) > 1 else float(cos[0])
            out[d] = s + weight * 0.5 * (signal - float(cos.max()))
        return ranked(out)
    return rank


def exact_lists(corpus: Corpus, q: Query, depth: int, tokens=None, weights=None):
    """Dense and keyword top `depth` chunks recomputed over the whole index (exact cosines, recomputed bm25;
    `weights`: per-token query weights for a weighted keyword query)."""
    cos = corpus.vectors @ np.asarray(q.vector, dtype="float32")
    ids = np.fromiter(corpus.row, dtype="int64")
    rows = np.fromiter(corpus.row.values(), dtype="int64")
    top = np.argsort(-cos[rows])[:depth]
    dense = [(int(ids[i]), float(cos[rows[i]])) for i in top]
    bm = chunk_bm25_weighted(corpus, tokens or tokens_of(q, corpus.version), weights)
    keyword = sorted(bm.items(), key=lambda kv: (-kv[1], kv[0]))[:depth]
    return dense, keyword


def chunk_bm25_weighted(corpus: Corpus, tokens: list[str], weights=None) -> dict[int, float]:
    total, avgdl, out = len(corpus.length), corpus.avgdl, defaultdict(float)
    for token in tokens:
        post = corpus.postings.get(token, {})
        w = idf(len(post), total) * (weights.get(token, 1.0) if weights else 1.0)
        for cid, tf in post.items():
            out[cid] += w * tf * (K1 + 1) / (tf + K1 * (1 - B + B * corpus.length[cid] / avgdl))
    return out


def depth_rank(corpus: Corpus, depth: int):
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        dense, keyword = exact_lists(corpus, q, depth)
        fused, _ = fused_chunks(q, dense=dense, keyword=keyword)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, corpus.chunk_doc).items()})
    return rank


def rm3(corpus: Corpus, fb_chunks: int = 10, terms: int = 10, lam: float = 0.5, max_df: float = 0.1,
        same_scale: bool = False):
    """Keyword pseudo-relevance feedback: the expansion terms of the hybrid's top chunks (their token share,
    weighted by fused score; tokens in more than max_df of the chunks left out), a second weighted keyword query
    (original tokens 1 - lam, expansion lam, normalised), fused per chunk as now on that query's idf scale."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        top = sorted(fused, key=lambda c: -fused[c])[:fb_chunks]
        n = len(corpus.length)
        model: Counter = Counter()
        for c in top:
            toks = corpus.chunk_tokens[c]
            size = sum(toks.values())
            for t, tf in toks.items():
                if len(corpus.postings.get(t, {})) <= max_df * n and len(t) > 2 and not t.isdigit():
                    model[t] += fused[c] * tf / size
        original = tokens_of(q, corpus.version)
        expansion = dict(model.most_common(terms))
        mass = sum(expansion.values()) or 1.0
        weights = {t: (1 - lam) / max(1, len(original)) for t in original}
        for t, v in expansion.items():
            weights[t] = weights.get(t, 0.0) + lam * v / mass
        top_w = max(weights.values()) if weights else 1.0
        weights = {t: w / top_w for t, w in weights.items()}
        _, keyword = exact_lists(corpus, q, 200, list(weights), weights)
        n_idf = sum(idf(len(corpus.postings.get(t, {})), n) * w for t, w in weights.items())
        if same_scale:  # the original query's scale: expansion only adds evidence
            n_idf = q.idf_sum
        q2 = Query(q.qid, q.text, q.kind, q.relevant, q.dense, keyword, n_idf, [], q.vector, {})
        fused2, _ = fused_chunks(q2)
        return ranked({d: s for d, (s, _) in best_per_doc(fused2, chunk_doc | corpus.chunk_doc).items()})
    return rank


def agreement(corpus: Corpus, low: float = 0.5, top: int = 10, ceiling: float = 2.0, floor: float = 0.1):
    """The keyword side weighted by how far the two retrievers agree: x (low + (1 - low) x the share of the keyword
    top `top` documents that are also in the dense top `top`); a question put in other words agrees little."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        def docs(pairs):
            seen: dict[str, None] = {}
            for c, _ in pairs:
                if len(seen) >= top:
                    break
                seen.setdefault(chunk_doc[c])
            return set(seen)
        k = docs(q.keyword)
        share = len(k & docs(q.dense)) / len(k) if k else 0.0
        m = low + (1 - low) * share
        fused, kw = fused_chunks(q, ceiling, floor)
        scores = {c: s - kw.get(c, 0.0) * (1 - m) for c, s in fused.items()}
        return ranked({d: s for d, (s, _) in best_per_doc(scores, chunk_doc).items()})
    return rank


def more3() -> None:
    data, cs = load_all(), corpora()
    for low in (0.3, 0.5, 0.7, 0.85):
        for top in (5, 10, 20):
            for ceiling in (1.6, 2.0):
                show(f"agreement low {low} top {top} ceiling {ceiling}",
                     run(partial(agreement, low=low, top=top, ceiling=ceiling), cs, data))


def held_out() -> None:
    """Read once, for the two best variants by the tuning half (2026-12-06): all, tuning and held-out halves."""
    data, cs = load_all(), corpora()
    systems = {"hybrid now": now, "dense alone": lambda c: lambda q, cd: single(q.dense, cd),
               "keyword alone": lambda c: lambda q, cd: single(q.keyword, cd),
               "now, recomputed lists (depth 200)": lambda c: depth_rank(c, 200),
               "doc keyword extra w 0.5 (doc idf)": lambda c: doc_keyword(c, "extra", 0.5),
               "rm3 same scale fb 10 terms 10 lam 0.1": lambda c: rm3(c, 10, 10, 0.1, same_scale=True)}
    for label, factory in systems.items():
        scores = run(factory, cs, data)
        print(f"| {label} | " + " | ".join(f"{v['all']:.3f} | {v['tune']:.3f} | {v['held']:.3f}" for v in scores.values()) + " |",
              flush=True)


def dense_floor(corpus: Corpus, floor: float = 0.2, ceiling: float = 2.0, kw_floor: float = 0.1, power: float = 1.0):
    """The dense side rescaled like the keyword side: max(0, (cosine - floor) / (1 - floor)) ** power."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        dense = [(c, max(0.0, (s - floor) / (1 - floor)) ** power) for c, s in q.dense]
        fused, _ = fused_chunks(q, ceiling, kw_floor, dense=dense)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, chunk_doc).items()})
    return rank


def more4() -> None:
    data = load_all()
    cs = dict.fromkeys(data)
    for floor in (0.0, 0.1, 0.2, 0.3):
        for ceiling in (1.6, 2.0, 2.5, 3.0):
            for power in (1.0, 1.5):
                show(f"dense floor {floor} ceiling {ceiling} power {power}",
                     run(partial(dense_floor, floor=floor, ceiling=ceiling, power=power), cs, data))


def run(factory, cs: dict[str, Corpus], data: dict[str, dict]) -> dict[str, dict[str, float]]:
    out = {}
    for name, d in data.items():
        out |= score_sets(factory(cs[name]), {name: d})
    return out


def show(label: str, scores: dict[str, dict[str, float]]) -> None:
    tune = sum(v["tune"] for v in scores.values())
    print(f"{label:48s} tune sum {tune:.3f} | " + " | ".join(
        f"{s} tune {v['tune']:.3f}" for s, v in scores.items()), flush=True)  # the held-out half is not shown


def variants() -> None:
    data, cs = load_all(), corpora()
    show("now", run(now, cs, data))
    for how, weights in (("extra", (0.25, 0.5, 1.0)), ("max", (0.5, 0.8, 1.0)), ("sum", (1.0,))):
        for weight in weights:
            for doc_idf in (True, False):
                show(f"doc keyword {how} w {weight} doc_idf {doc_idf}",
                     run(partial(doc_keyword, how=how, weight=weight, doc_idf=doc_idf), cs, data))
    for weight in (0.25, 0.5, 1.0):
        show(f"term max w {weight}", run(partial(term_max_rank, weight=weight), cs, data))
    for weight in (0.05, 0.1, 0.2, 0.3):
        show(f"other terms w {weight}", run(partial(other_terms, weight=weight), cs, data))
    for how in ("mean", "second"):
        for weight in (0.1, 0.2, 0.4):
            show(f"doc dense {how} w {weight}", run(partial(doc_dense, how=how, weight=weight), cs, data))


def more() -> None:
    """Candidate depth (recomputed lists) and keyword feedback."""
    data, cs = load_all(), corpora()
    for depth in (100, 200, 400, 1000):
        show(f"depth {depth} (recomputed lists)", run(partial(depth_rank, depth=depth), cs, data))
    for fb, terms, lam in ((5, 10, 0.3), (10, 10, 0.3), (10, 20, 0.5), (20, 10, 0.3), (10, 10, 0.1)):
        show(f"rm3 fb {fb} terms {terms} lam {lam}", run(partial(rm3, fb_chunks=fb, terms=terms, lam=lam), cs, data))


def more2() -> None:
    """Keyword feedback on the original query's scale."""
    data, cs = load_all(), corpora()
    for fb, terms, lam in ((5, 10, 0.1), (10, 10, 0.1), (10, 10, 0.3), (10, 5, 0.2)):
        show(f"rm3 same scale fb {fb} terms {terms} lam {lam}", run(partial(rm3, fb_chunks=fb, terms=terms, lam=lam, same_scale=True), cs, data))


def title_vectors() -> None:
    """Each document's title embedded alone (the model kb uses), for the title-signal variants."""
    from kb import Settings
    from kb.embed import load_embedder

    settings = Settings.from_env()
    embedder = load_embedder(settings.model, settings.backend, settings.precision, settings.batch_size)
    for name, data in load_all().items():
        with open_reader(Path(data["index"])) as reader:
            docs = reader.all_documents()
        vectors = embedder.encode([d.title or "" for d in docs])
        with open(LAB / f"{name}-titles.pkl", "wb") as fh:
            pickle.dump({d.doc_id: np.asarray(v, dtype="float32") for d, v in zip(docs, vectors)}, fh)
        print(name, len(docs), "titles", file=sys.stderr)


def title_signal(titles: dict[str, np.ndarray], weight: float = 0.1, how: str = "add"):
    """The best chunk + weight x 0.5 x the title's own cosine ('add'), or x max(0, title cosine - best cosine) ('excess')."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        cos = best_per_doc({c: max(0.0, s) for c, s in q.dense}, chunk_doc)
        v = np.asarray(q.vector, dtype="float32")
        out = {}
        for d, (s, _) in best_per_doc(fused, chunk_doc).items():
            t = float(titles[d] @ v)
            out[d] = s + weight * 0.5 * (t if how == "add" else max(0.0, t - cos.get(d, (0.0, 0))[0]))
        return ranked(out)
    return rank


def more5() -> None:
    data = load_all()
    titles = {}
    for name in data:
        with open(LAB / f"{name}-titles.pkl", "rb") as fh:
            titles[name] = pickle.load(fh)
    for how in ("add", "excess"):
        for weight in (0.05, 0.1, 0.2, 0.4):
            show(f"title cosine {how} w {weight}", run(partial(title_signal, weight=weight, how=how), titles, data))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "variants"
    {"load": load, "check": check, "more": more, "more2": more2, "more3": more3, "more4": more4, "more5": more5, "titles": title_vectors, "held_out": held_out}.get(command, variants)()
