"""Fusion experiments, issue 15 again (branch rel2): the ideas relevance.md had not measured, on fusion_lab's cached
candidates (and, for the keyword fields, on each index's tokens held in memory).

    python benchmarks/fusion_lab.py collect            # first: the cached candidates of each set
    python benchmarks/evidence_lab.py spread           # a document = its best chunk + small shares of the next ones
    python benchmarks/evidence_lab.py neighbours       # a chunk + a share of its neighbours' (the chunk before/after)
    python benchmarks/evidence_lab.py selfnorm         # each retriever over the query's own top score, with floors
    python benchmarks/evidence_lab.py weight           # the dense weight around 0.5 with the ceiling
    python benchmarks/evidence_lab.py shapes           # per-document blend, keyword gated by cosine, a length prior
    python benchmarks/doc_lab.py load && python benchmarks/evidence_lab.py third   # document BM25 as a third signal
    python benchmarks/evidence_lab.py fields           # the title (and heading path) as keyword fields, or reweighted
    python benchmarks/evidence_lab.py coverage         # the keyword part x the idf share of the words a chunk holds
    python benchmarks/evidence_lab.py short            # short questions (names, keywords) weighted toward keyword
    python benchmarks/evidence_lab.py oracle           # per question the best of hybrid / dense / keyword (a bound)
    python benchmarks/evidence_lab.py held_out         # read once: the one variant that tied kb's fusion

Every choice is made on the tuning half's summed nDCG@10 over the three sets (fusion_lab.tuning_half); `show`
prints the tuning half only. Nothing here is tuned per query.
"""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from doc_lab import best_per_doc, fused_chunks, ranked, tokens_of
from fusion_lab import LAB, Query, load_all, score_sets

from kb.index.keyword.analysis import analyzer, document_language
from kb.index.keyword.tantivy import analysis_version
from kb.index.store import open_reader

K1, B = 1.2, 0.75
OWN = LAB.parent / "rel2-lab"  # this lab's own caches (fusion-lab's are shared and only read here)


def show(label: str, scores: dict[str, dict[str, float]]) -> float:
    tune = sum(v["tune"] for v in scores.values())
    print(f"{label:56s} tune sum {tune:.3f} | " + " | ".join(
        f"{s} {v['tune']:.3f}" for s, v in scores.items()), flush=True)  # the held-out half is not shown
    return tune


def now(q: Query, chunk_doc: dict[int, str]) -> list[str]:
    return ranked({d: s for d, (s, _) in best_per_doc(fused_chunks(q)[0], chunk_doc).items()})


# -- a document's evidence spread over its chunks -------------------------------------------------------------

def spread(shares: tuple[float, ...], over: float = 0.0):
    """A document = its best chunk's fused score + shares[i] x its (i+2)-th best candidate chunk's excess over
    `over` x the best (only what the candidate lists hold: no lookup)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        per_doc: dict[str, list[float]] = defaultdict(list)
        for chunk, score in fused.items():
            per_doc[chunk_doc[chunk]].append(score)
        out = {}
        for d, scores in per_doc.items():
            scores.sort(reverse=True)
            out[d] = scores[0] + sum(w * max(0.0, s - over * scores[0]) for w, s in zip(shares, scores[1:]))
        return ranked(out)
    return rank


def neighbours(share: float, how: str = "max"):
    """A chunk's fused score + share x its neighbours' (the chunks just before and after it in its document, when
    candidates): 'max' the better neighbour, 'sum' both; a document scores its best such chunk."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q)
        scores = {}
        for chunk, score in fused.items():
            near = [fused[n] for n in (chunk - 1, chunk + 1) if n in fused and chunk_doc[n] == chunk_doc[chunk]]
            extra = (max(near) if how == "max" else sum(near)) if near else 0.0
            scores[chunk] = score + share * extra
        return ranked({d: s for d, (s, _) in best_per_doc(scores, chunk_doc).items()})
    return rank


# -- each retriever over the query's own top score ------------------------------------------------------------

def selfnorm(dense_floor: float, keyword_floor: float, weight: float = 0.5, at_least: float = 0.0):
    """Per chunk: weight x max(0, cos / top cos - dense_floor) / (1 - dense_floor) + (1 - weight) x max(0, bm25 /
    max(top bm25, at_least x idf sum) - keyword_floor) / (1 - keyword_floor): each retriever's best chunk scores 1,
    unless (at_least > 0) the keyword top is weaker than at_least x a full match's idf sum."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        top_d = max((s for _, s in q.dense), default=0.0)
        top_k = max(max((s for _, s in q.keyword), default=0.0), at_least * q.idf_sum)
        fused: dict[int, float] = {}
        if top_d > 0:
            for c, s in q.dense:
                fused[c] = weight * max(0.0, s / top_d - dense_floor) / (1 - dense_floor)
        if top_k > 0:
            for c, s in q.keyword:
                fused[c] = fused.get(c, 0.0) + (1 - weight) * max(0.0, s / top_k - keyword_floor) / (1 - keyword_floor)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, chunk_doc).items()})
    return rank


def capped(ceiling: float, floor: float, top_share: float):
    """kb's fixed scale lifted toward the query's own: the keyword divisor is min(ceiling x idf sum, top bm25 /
    top_share), so the query's best keyword chunk scores at least 1 / top_share before the floor."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        top_k = max((s for _, s in q.keyword), default=0.0)
        scale = min(ceiling * q.idf_sum, top_k / top_share) if top_k > 0 else 0.0
        fused = {c: 0.5 * max(0.0, s) for c, s in q.dense}
        for c, s in q.keyword:
            fused[c] = fused.get(c, 0.0) + (0.5 * max(0.0, s / scale - floor) if scale > 0 else 0.0)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, chunk_doc).items()})
    return rank


def run(factory, data: dict[str, dict], extra: dict | None = None) -> dict[str, dict[str, float]]:
    out = {}
    for name, d in data.items():
        rank = factory(extra[name]) if extra is not None else factory
        out |= score_sets(rank, {name: d})
    return out


def do_spread() -> None:
    data = load_all()
    show("now", run(now, data))
    for shares in ((0.02,), (0.05,), (0.02, 0.02), (0.05, 0.05), (0.03, 0.02, 0.01), (0.05, 0.03, 0.02),
                   (0.1, 0.05, 0.02), (0.01, 0.01, 0.01, 0.01, 0.01)):
        for over in (0.0, 0.5, 0.8):
            show(f"spread {shares} over {over}", run(spread(shares, over), data))


def do_neighbours() -> None:
    data = load_all()
    show("now", run(now, data))
    for how in ("max", "sum"):
        for share in (0.02, 0.05, 0.1, 0.2, 0.3):
            show(f"neighbours {how} {share}", run(neighbours(share, how), data))


def do_selfnorm() -> None:
    data = load_all()
    show("now", run(now, data))
    for df in (0.0, 0.5, 0.7, 0.8):
        for kf in (0.0, 0.2, 0.4):
            for at_least in (0.0, 0.6, 1.0):
                show(f"selfnorm dense floor {df} kw floor {kf} at least {at_least}", run(selfnorm(df, kf, 0.5, at_least), data))
    for top_share in (0.6, 0.8, 1.0):
        for ceiling in (2.0, 2.5, 3.0):
            for floor in (0.05, 0.1, 0.15):
                show(f"capped ceiling {ceiling} floor {floor} top share {top_share}", run(capped(ceiling, floor, top_share), data))


def weighted(weight: float, ceiling: float, floor: float):
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, _ = fused_chunks(q, ceiling, floor, weight)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, chunk_doc).items()})
    return rank


def do_weight() -> None:
    data = load_all()
    for weight in (0.4, 0.45, 0.5, 0.55, 0.6):
        for ceiling in (1.6, 2.0, 2.5):
            for floor in (0.05, 0.1, 0.15):
                show(f"dense weight {weight} ceiling {ceiling} floor {floor}", run(weighted(weight, ceiling, floor), data))


# -- other shapes of the sum ----------------------------------------------------------------------------------

def blend(alpha: float):
    """(1 - alpha) x the best chunk's fused score + alpha x (the document's best dense part + its best keyword
    part, each of any chunk): between kb's per-chunk fusion (0) and the floor's per-document sum (1)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, kw = fused_chunks(q)
        dense_best: dict[str, float] = {}
        for c, s in q.dense:
            dense_best[chunk_doc[c]] = max(dense_best.get(chunk_doc[c], 0.0), 0.5 * max(0.0, s))
        kw_best: dict[str, float] = {}
        for c, s in kw.items():
            kw_best[chunk_doc[c]] = max(kw_best.get(chunk_doc[c], 0.0), s)
        best = best_per_doc(fused, chunk_doc)
        return ranked({d: (1 - alpha) * s + alpha * (dense_best.get(d, 0.0) + kw_best.get(d, 0.0))
                       for d, (s, _) in best.items()})
    return rank


def gated(gamma: float, exact: bool = True):
    """The keyword part of a chunk x (its cosine / the query's top cosine) ** gamma: keyword evidence counts as far
    as the chunk is about the question's meaning (a keyword-only chunk's cosine: exact, a vector lookup; or 0)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        fused, kw = fused_chunks(q)
        cos = dict(q.keyword_cosine) if exact else {}
        cos.update(q.dense)
        top = max((s for _, s in q.dense), default=1.0) or 1.0
        scores = {c: s - kw.get(c, 0.0) * (1 - min(1.0, max(0.0, cos.get(c, 0.0)) / top) ** gamma)
                  for c, s in fused.items()}
        return ranked({d: s for d, (s, _) in best_per_doc(scores, chunk_doc).items()})
    return rank


def length_prior(lam: float, counts: dict[str, int]):
    """The best chunk's fused score - lam x log(the document's chunks): a long document's best chunk is the best
    of many draws."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        best = best_per_doc(fused_chunks(q)[0], chunk_doc)
        return ranked({d: s - lam * math.log(counts[d]) for d, (s, _) in best.items()})
    return rank


def do_shapes() -> None:
    import doc_lab

    data = load_all()
    show("now", run(now, data))
    for alpha in (0.05, 0.1, 0.2, 0.3):
        show(f"blend alpha {alpha}", run(blend(alpha), data))
    for gamma in (0.5, 1.0, 2.0, 4.0):
        for exact in (True, False):
            show(f"keyword gated by cosine share ** {gamma} exact {exact}", run(gated(gamma, exact), data))
    sys.modules["__main__"].Corpus = doc_lab.Corpus  # type: ignore[attr-defined]
    counts = {name: {d: len(c) for d, c in corpus.doc_chunks.items()} for name, corpus in doc_lab.corpora().items()}
    for lam in (0.002, 0.005, 0.01, 0.02):
        show(f"length prior {lam}", run(lambda c, lam=lam: length_prior(lam, c), data, counts))


def doc_third(corpus, weight: float, ceiling: float = 2.0, floor: float = 0.1):
    """A third signal: the best chunk's fused score + weight x the document's own BM25 (its chunks' words
    together, document idf, N and lengths: doc_lab.doc_bm25) on the keyword side's scale and floor."""
    from doc_lab import doc_bm25

    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        best = best_per_doc(fused_chunks(q)[0], chunk_doc)
        bm, idf_sum = doc_bm25(corpus, tokens_of(q, corpus.version), best)
        scale = ceiling * idf_sum
        return ranked({d: s + weight * (max(0.0, bm[d] / scale - floor) if scale > 0 else 0.0) for d, (s, _) in best.items()})
    return rank


def do_third() -> None:
    import doc_lab

    data = load_all()
    sys.modules["__main__"].Corpus = doc_lab.Corpus  # type: ignore[attr-defined]
    cs = doc_lab.corpora()
    show("now", run(now, data))
    for weight in (0.05, 0.1, 0.2, 0.3):
        for floor in (0.1, 0.2):
            show(f"document BM25 as a third signal w {weight} floor {floor}", run(partial(doc_third, weight=weight, floor=floor), data, cs))


# -- the title and the heading path as keyword fields of their own -------------------------------------------

class Fields:
    """One index's chunks as three keyword fields (title once, heading path, text): per field the postings
    token -> {chunk: tf} and each chunk's length."""

    def __init__(self, index: Path) -> None:
        self.postings: dict[str, dict[str, dict[int, int]]] = {f: defaultdict(dict) for f in ("title", "heading", "text")}
        self.length: dict[str, dict[int, int]] = {f: {} for f in self.postings}
        with open_reader(index) as reader:
            self.version = analysis_version(reader.snapshot_dir)
            docs = {d.doc_id: d for d in reader.all_documents()}
            for chunk in reader.all_chunks():
                doc = docs[chunk.doc_id]
                tokens = analyzer(document_language(doc.language, self.version)).tokens
                cid = int(chunk.chunk_id)
                for name, text in (("title", doc.title), ("heading", " ".join(chunk.heading_path)), ("text", chunk.text)):
                    found = tokens(text)
                    self.length[name][cid] = len(found)
                    for token, tf in Counter(found).items():
                        self.postings[name][token][cid] = tf
        self.postings = {f: dict(p) for f, p in self.postings.items()}
        self.n = len(self.length["text"])
        self.avgdl = {f: max(1e-9, sum(v.values()) / self.n) for f, v in self.length.items()}

    def holds(self, token: str, chunk: int) -> bool:
        return any(chunk in self.postings[f].get(token, ()) for f in self.postings)

    def idf_one(self, token: str) -> float:
        """The token's idf in the one body field (chunks holding it in any field)."""
        n = len(set().union(*(self.postings[f].get(token, {}).keys() for f in self.postings)))
        return max(1e-6, math.log((self.n - n + 0.5) / (n + 0.5)))

    def idf(self, field: str, token: str) -> float:
        n = len(self.postings[field].get(token, {}))
        return max(1e-6, math.log((self.n - n + 0.5) / (n + 0.5)))

    def bm25(self, field: str, tokens: list[str], out: dict[int, float], boost: float) -> float:
        """Adds boost x the field's BM25 of each chunk to out; returns boost x the tokens' idf sum in the field."""
        total = 0.0
        if boost == 0:
            return total
        length, avgdl = self.length[field], self.avgdl[field]
        for token in tokens:
            post = self.postings[field].get(token, {})
            if not post:
                continue
            w = boost * self.idf(field, token)
            total += w
            for cid, tf in post.items():
                out[cid] = out.get(cid, 0.0) + w * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length[cid] / avgdl))
        return total


def fields_of(name: str, index: Path) -> Fields:
    OWN.mkdir(parents=True, exist_ok=True)
    path = OWN / f"{name}-fields.pkl"
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    fields = Fields(index)
    with open(path, "wb") as fh:
        pickle.dump(fields, fh)
    return fields


def field_rank(fields: Fields, title: float, heading: float, scale_by: str = "fields", depth: int = 200,
               ceiling: float = 2.0, floor: float = 0.1):
    """The keyword side as a sum of per-field BM25s (text 1, heading path `heading`, title `title`: Tantivy's
    per-field boosts), top `depth` chunks, fused as now; its scale: the boosted idf sums of the fields ('fields')
    or the one-field index's idf sum ('index', fusion_lab's)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        tokens = tokens_of(q, fields.version)
        scores: dict[int, float] = {}
        idf_sum = sum(fields.bm25(f, tokens, scores, w) for f, w in (("text", 1.0), ("heading", heading), ("title", title)))
        keyword = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:depth]
        q2 = Query(q.qid, q.text, q.kind, q.relevant, q.dense, keyword, idf_sum if scale_by == "fields" else q.idf_sum,
                   [], q.vector, {})
        fused, _ = fused_chunks(q2, ceiling, floor)
        # keyword-only chunks of the new lists may be missing from the cached candidates' map
        return ranked({d: s for d, (s, _) in best_per_doc(fused, fields.chunk_doc).items()})  # type: ignore[attr-defined]
    return rank


def load_fields() -> tuple[dict[str, dict], dict[str, Fields]]:
    import doc_lab

    data = load_all()
    out = {}
    # doc_lab's and this lab's pickles name their classes as __main__'s
    sys.modules["__main__"].Corpus = doc_lab.Corpus  # type: ignore[attr-defined]
    sys.modules["__main__"].Fields = Fields  # type: ignore[attr-defined]
    for name, d in data.items():
        fields = fields_of(name, Path(d["index"]))
        with open(LAB / f"{name}-corpus.pkl", "rb") as fh:
            fields.chunk_doc = pickle.load(fh).chunk_doc  # type: ignore[attr-defined]
        out[name] = fields
    return data, out


def do_fields() -> None:
    data, fields = load_fields()
    show("now (index lists)", run(now, data))
    for title_times, heading_times in ((2, 1), (0, 1), (1, 1), (3, 1), (4, 1), (2, 0), (2, 2), (1, 0), (3, 2)):
        show(f"one field, title x {title_times}, heading x {heading_times}",
             run(lambda f, t=title_times, h=heading_times: field_rank_twice(f, t, h), data, fields))
    for title in (0.5, 1.0, 2.0, 3.0):
        for heading in (0.0, 0.5, 1.0):
            for scale_by in ("fields", "index"):
                show(f"fields title {title} heading {heading} scale {scale_by}",
                     run(partial(field_rank, title=title, heading=heading, scale_by=scale_by), data, fields))
    for title in (0.2, 0.3):
        for heading in (0.3, 0.6):
            for ceiling in (1.6, 2.0, 2.5):
                show(f"fields title {title} heading {heading} ceiling {ceiling}",
                     run(partial(field_rank, title=title, heading=heading, ceiling=ceiling), data, fields))


def field_rank_twice(fields: Fields, title: int = 2, heading: int = 1):
    """One BM25 over title x `title` + heading path x `heading` + text, as the index's one body field holds them
    (2, 1: the index's own model recomputed, a check; other weights would need a re-ingest)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        tokens = tokens_of(q, fields.version)
        length = {c: title * fields.length["title"][c] + heading * fields.length["heading"][c] + fields.length["text"][c]
                  for c in fields.length["text"]}
        avgdl = sum(length.values()) / len(length)
        tf: dict[str, Counter] = {t: Counter() for t in tokens}
        for f, w in (("title", title), ("heading", heading), ("text", 1)):
            for t in tokens:
                for c, n in fields.postings[f].get(t, {}).items():
                    tf[t][c] += w * n
        scores: dict[int, float] = defaultdict(float)
        for t in tokens:
            if not tf[t]:
                continue
            w = max(1e-6, math.log((fields.n - len(tf[t]) + 0.5) / (len(tf[t]) + 0.5)))
            for c, n in tf[t].items():
                scores[c] += w * n * (K1 + 1) / (n + K1 * (1 - B + B * length[c] / avgdl))
        keyword = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:200]
        q2 = Query(q.qid, q.text, q.kind, q.relevant, q.dense, keyword, q.idf_sum, [], q.vector, {})
        fused, _ = fused_chunks(q2)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, fields.chunk_doc).items()})  # type: ignore[attr-defined]
    return rank


def coverage_rank(fields: Fields, gamma: float, floor: float = 0.1):
    """The keyword part x (the idf share of the query's tokens the chunk holds) ** gamma: a chunk matching all the
    question's words counts fully, one matching a single word heavily less (index lists; presence from the fields)."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        tokens = tokens_of(q, fields.version)
        weights = {t: fields.idf_one(t) for t in tokens}
        total = sum(weights.values()) or 1.0
        fused, kw = fused_chunks(q, floor=floor)
        scores = {}
        for c, s in fused.items():
            if kw.get(c):
                share = sum(w for t, w in weights.items() if fields.holds(t, c)) / total
                s -= kw[c] * (1 - min(1.0, share) ** gamma)
            scores[c] = s
        return ranked({d: s for d, (s, _) in best_per_doc(scores, chunk_doc).items()})
    return rank


def do_coverage() -> None:
    data, fields = load_fields()
    show("now", run(now, data))
    for gamma in (0.5, 1.0, 2.0):
        for floor in (0.0, 0.05, 0.1):
            show(f"keyword x coverage ** {gamma} floor {floor}", run(partial(coverage_rank, gamma=gamma, floor=floor), data, fields))


def short_rank(fields: Fields, most: int, weight: float, ceiling: float = 2.0, floor: float = 0.1):
    """A question of at most `most` index tokens (a name, a few keywords) fused with dense weight `weight`; a longer
    one as now."""
    def rank(q: Query, chunk_doc: dict[int, str]) -> list[str]:
        short = len(tokens_of(q, fields.version)) <= most
        fused, _ = fused_chunks(q, ceiling if short else 2.0, floor if short else 0.1, weight if short else 0.5)
        return ranked({d: s for d, (s, _) in best_per_doc(fused, chunk_doc).items()})
    return rank


def do_short() -> None:
    data, fields = load_fields()
    show("now", run(now, data))
    for most in (1, 2, 3, 4):
        for weight in (0.2, 0.3, 0.4, 0.6):
            for floor in (0.0, 0.1):
                show(f"short (<= {most} tokens) dense weight {weight} floor {floor}",
                     run(partial(short_rank, most=most, weight=weight, floor=floor), data, fields))


def oracle() -> None:
    """A diagnostic, not a choice: per question the best of hybrid, dense and keyword (and of hybrid and dense), the
    most a per-question switch among these rankings could reach (a fusion mixes them: not its bound)."""
    from fusion_lab import ndcg, single, tuning_half

    for name, d in load_all().items():
        rows = []
        for q in (q for q in d["queries"] if q.relevant):
            rankings = (now(q, d["chunk_doc"]), single(q.dense, d["chunk_doc"]), single(q.keyword, d["chunk_doc"]))
            rows.append((tuning_half(q.qid), *(ndcg(r, q.relevant) for r in rankings)))
        for part, chosen in (("all", rows), ("held out", [r for r in rows if not r[0]])):
            hybrid, dense, two, three = (sum(f(r) for r in chosen) / len(chosen) for f in
                                         (lambda r: r[1], lambda r: r[2], lambda r: max(r[1:3]), lambda r: max(r[1:])))
            print(f"{name} {part} ({len(chosen)}): hybrid {hybrid:.3f} dense {dense:.3f}"
                  f" best of (hybrid, dense) {two:.3f} best of the three {three:.3f}")


def held_out() -> None:
    """Read once (2026-12-06, rel2), for the one variant that tied kb's fusion on the tuning half (a tie, not a
    choice: nothing here beat it): all, tuning and held-out halves, beside kb's fusion and dense alone."""
    from fusion_lab import single

    data = load_all()
    systems = {"hybrid now": now, "dense alone": lambda q, cd: single(q.dense, cd),
               "spread (0.05,) over 0.5": spread((0.05,), 0.5)}
    for label, rank in systems.items():
        scores = run(rank, data)
        print(f"| {label} | " + " | ".join(f"{v['all']:.3f} | {v['tune']:.3f} | {v['held']:.3f}" for v in scores.values()) + " |")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "spread"
    {"spread": do_spread, "neighbours": do_neighbours, "selfnorm": do_selfnorm, "weight": do_weight, "fields": do_fields, "shapes": do_shapes, "third": do_third, "held_out": held_out, "coverage": do_coverage, "oracle": oracle, "short": do_short}[command]()
