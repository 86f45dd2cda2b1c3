"""Scratch (branch conf3): are the question's words that no top hit holds present anyway by meaning?

    python benchmarks/lab_meaning.py collect /tmp/conf3/meaning.pkl   # search every question (hybrid), keep vectors
    python benchmarks/lab_meaning.py show /tmp/conf3/meaning.pkl      # per question: absent words and their cosines
    python benchmarks/lab_meaning.py fit /tmp/conf3/meaning.pkl       # logistic variants: LOO AUC on the fitting half
    python benchmarks/lab_meaning.py rules /tmp/conf3/meaning.pkl     # the meaning rule at each bar, the same way
    python benchmarks/lab_meaning.py cost 7                           # ms the lifts add to a labour-docs search

Absent words: the question's terms no top-3 hit's document holds (KeywordIndex.holds). Signals tried on them:
the word alone embedded and compared with the top-3 hits' shown passages ("passages"), the top-k dense chunks
("dense@k") or the question ("without": the question without the word against the question); the lowest over the
absent words, 1.0 when none. The contribution ("contrib"): the best top-passage cosine of the question less that of
the question without the word (its lowest, highest or sum over the absent words, x10); kb/search/query.py computes
its negative as the lift. Query-performance predictors on the candidate lists: nqc_kw@k (std of the top-k bm25 over
the fusion's keyword ceiling), wig_kw@k (their mean over the ceiling), cv_X@k (std over mean of the bm25, fused or
cosine lists). The fit follows benchmarks/confidence.py (class-balanced L2 logistic; threshold: most caught with at
most 2.5 % of the fitting half's answerable flagged); held-out rates are printed for the record, nothing is chosen
on them.
"""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.confidence import in_fit_half, load, loo_auc_rows, newton_logistic
from benchmarks.lab_signals import question_sets, searched
from kb import KnowledgeBase, Settings
from kb.embed import cache_root
from kb.languages import analysis_languages
from kb.records import Filters
from kb.search.evidence import _without
from kb.search.fusion import keyword_ceiling
from kb.search.query import keyword_chunks, retrieve


def row(kb, q, name):
    reader, hits, found, ev, langs = searched(kb, q, countries=True)
    top = [h.doc_id for h in hits[:3]]
    terms = list(found.terms)
    held = {t: reader.keyword.holds(t, set(top), langs) for t in terms}
    df = {t: [reader.keyword._doc_freq(x) for x in reader.keyword._tokens([t], langs)] for t in terms}
    idf = {t: reader.keyword.idf_sum([t], langs) for t in terms}
    passages = [p.chunk_id for h in hits[:3] for p in h.passages]
    dense = sorted(found.cosine.items(), key=lambda kv: -kv[1])[:50]
    ids = passages + [c for c, _ in dense]
    vectors = reader.vectors_by_id(ids) if ids and len(reader.vectors) else np.zeros((0, 384), "float32")
    words = kb.embedder.encode(terms) if terms else np.zeros((0, 384), "float32")
    # The question without each word (case kept: only that word's occurrences removed), as kb's meaning rule makes it.
    wo = kb.embedder.encode([_without(q["query"], t, langs) for t in terms]) if terms else np.zeros((0, 384), "float32")
    kw = keyword_chunks(reader, terms, None, 200, langs)
    return {"kw": [s for _, s in kw], "ceiling": keyword_ceiling(reader.keyword.idf_sum(terms, langs)),
            "fused": [c.score for c in found.docs[:100]], "all_cos": sorted(found.cosine.values(), reverse=True),
            "set": name, "qid": q["id"], "query": q["query"], "answerable": bool(q["relevant"]),
            "fit": in_fit_half(q["id"]), "ev": ev, "terms": terms, "held": held, "df": df, "idf": idf,
            "top": top, "n_passages": len(passages), "vectors": vectors, "dense_cos": [s for _, s in dense],
            "words": words, "without": wo, "qvec": found.query_vector, "lang": found.language}


def collect(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [row(kb, q, name) for name, kb, qs in question_sets(out.parent / "lab-corpus-index") for q in qs]
    out.write_bytes(pickle.dumps(rows))
    print(len(rows), "rows", file=sys.stderr)


def word_scores(r, against="passages", k=10):
    """{absent word: its best cosine against the chosen vectors}."""
    n = r["n_passages"]
    vecs = {"passages": r["vectors"][:n], "dense": r["vectors"][n:n + k], "both": r["vectors"][:n + k]}.get(against)
    out = {}
    for i, t in enumerate(r["terms"]):
        if r["held"][t]:
            continue
        if against == "without":
            out[t] = float(r["without"][i] @ r["qvec"])
        elif vecs is not None and len(vecs):
            out[t] = float((vecs @ r["words"][i]).max())
        else:
            out[t] = 0.0
    return out


def meaning(r, against="passages", k=10):
    s = word_scores(r, against, k)
    return min(s.values()) if s else 1.0


def short(r):
    return r["ev"].complete and len(r["ev"].terms) <= 4


def show(path: Path) -> None:
    rows = pickle.loads(path.read_bytes())
    for r in rows:
        if short(r) or r["ev"].cosine is None:
            continue
        p, d, w = word_scores(r, "passages"), word_scores(r, "dense"), word_scores(r, "without")
        tag = "ANS " if r["answerable"] else "NONE"
        half = "fit " if r["fit"] else "held"
        words = ", ".join(f"{t} {p[t]:.2f}/{d[t]:.2f}/{w[t]:.2f}" for t in p)
        print(f"{tag} {half} {r['qid']:5s} cos {r['ev'].cosine:.2f} | {r['query'][:60]:60s} | {words}")


def feature(r, name):
    ev = r["ev"]
    simple = {"cosine": lambda: ev.cosine or 0.0, "gap": lambda: ev.gap, "doc_gap": lambda: ev.doc_gap,
              "coverage": lambda: ev.coverage, "country": lambda: float(bool(ev.absent_countries))}
    if name in simple:
        return simple[name]()
    if name.startswith(("nqc", "wig", "cv")):
        return predictor(r, name)
    if name.startswith("contrib"):
        return contribution(r, name)
    against, _, k = name.partition("@")
    return meaning(r, against, int(k or 10))


def predictor(r, name):
    """Query-performance predictors on the candidate lists: nqc_kw@k = std of the top-k bm25 over the fusion's
    keyword ceiling; cv_X@k = std over mean of list X (kw, fused, cos); wig_kw@k = mean of the top-k bm25 over the
    ceiling."""
    kind, _, k = name.partition("@")
    what, _, lst = kind.partition("_")
    scores = np.array({"kw": r["kw"], "fused": r["fused"], "cos": r["all_cos"]}[lst][:int(k)] or [0.0])
    if what == "nqc":
        return float(scores.std() / r["ceiling"]) * 10 if r["ceiling"] else 0.0
    if what == "wig":
        return float(scores.mean() / r["ceiling"]) if r["ceiling"] else 0.0
    return float(scores.std() / scores.mean()) * 10 if scores.mean() > 0 else 0.0


def contribution(r, name):
    """contrib[0]@P|D: the lowest, over the absent words (of 2+ letters), of the best top-passage cosine of the
    question less that of the question without the word (0 when none is absent; "0": clipped at 0 from above)."""
    n = r["n_passages"]
    vecs = r["vectors"][:n] if name.endswith("P") else r["vectors"][n:n + 10]
    if not len(vecs):
        return 0.0
    q = float((vecs @ r["qvec"]).max())
    d = [q - float((vecs @ r["without"][i]).max()) for i, t in enumerate(r["terms"]) if not r["held"][t] and len(t) > 1]
    if "max" in name:
        return 10 * max(d, default=0.0)
    if "sum" in name:
        return 10 * sum(d)
    low = min(d, default=0.0)
    return 10 * (min(low, 0.0) if "0" in name else low)  # x10: on the 0-1 scale the L2 penalty assumes


def judge(r, use, w, t, rule=None):
    if not r["ev"].hits:
        return False
    if short(r):
        return True
    if r["ev"].absent_countries:
        return False
    if r["ev"].cosine is None:
        return r["ev"].coverage >= 0.4
    if rule is not None and feature(r, rule[0]) < rule[1]:
        return False
    return 1 / (1 + math.exp(-float(np.dot([1.0, *(feature(r, u) for u in use)], w)))) >= t


def rates(rows, use, w, t, rule=None):
    none, some = [r for r in rows if not r["answerable"]], [r for r in rows if r["answerable"]]
    return (sum(not judge(r, use, w, t, rule) for r in none), len(none),
            sum(not judge(r, use, w, t, rule) for r in some), len(some))


def loo_auc(rows, use):
    return loo_auc_rows(np.array([[1.0, *(feature(r, u) for u in use)] for r in rows]), [r["answerable"] for r in rows])


def choose(train, use, w, grid, rule=None):
    allowed = [(rates(train, use, w, t, rule)[0], t) for t in grid
               if rates(train, use, w, t, rule)[2] <= 0.025 * rates(train, use, w, t, rule)[3]]
    if not allowed:
        return None
    best = max(c for c, _ in allowed)
    ties = [t for c, t in allowed if c == best]
    return ties[len(ties) // 2]


def fit(path: Path) -> None:
    rows = pickle.loads(path.read_bytes())
    train, held = [r for r in rows if r["fit"]], [r for r in rows if not r["fit"]]
    undecided = [r for r in train if not short(r) and r["ev"].cosine is not None and not r["ev"].absent_countries]
    grid = [round(float(t), 3) for t in np.arange(0.05, 0.951, 0.025)]
    signals = ["contribmax@P", "contribsum@P", "contribmax@D", "contribsum@D"] if len(sys.argv) > 3 else ["passages", "dense@10", "without", "contrib@P", "contrib@D", "contrib0@P", "contrib0@D",
               *[f"{p}@{k}" for p in ("nqc_kw", "wig_kw", "cv_kw", "cv_fused", "cv_cos") for k in (5, 10, 50, 100)]]
    uses = [("cosine", "gap"), *[("cosine", "gap", s) for s in signals], *[("cosine", s) for s in signals]]
    for use in uses:
        x = np.array([[1.0, *(feature(r, u) for u in use)] for r in undecided])
        w = newton_logistic(x, np.array([r["answerable"] for r in undecided], dtype=float))
        t = choose(train, use, w, grid)
        c, n, f, s = rates(train, use, w, t)
        hc, hn, hf, hs = rates(held, use, w, t)
        print(f"{' + '.join(use):28s} AUC {loo_auc(undecided, use):.3f} w {np.round(w, 2).tolist()} t {t} "
              f"fit {c}/{n} {f}/{s} | held out (record only) {hc}/{hn} {hf}/{hs}")
    for sig in ("contrib@P", "contrib@D"):
        for use in (("cosine", "gap"), ("cosine",)):
            x = np.array([[1.0, *(feature(r, u) for u in use)] for r in undecided])
            w = newton_logistic(x, np.array([r["answerable"] for r in undecided], dtype=float))
            for bar in [round(-0.01 * i, 3) for i in range(1, 16)]:
                rule = (sig, bar * 10)
                t = choose(train, use, w, grid, rule)
                if t is None:
                    print(f"  rule {sig} < {bar:+.3f}: flags too many on the fitting half")
                    continue
                c, n, f, s = rates(train, use, w, t, rule)
                print(f"  rule {sig} < {bar:+.3f} with {' + '.join(use)} t {t}: fit {c}/{n} {f}/{s}"
                      f" | held out (record only) {'/'.join(map(str, rates(held, use, w, t, rule)))}")




def rule_fires(r, bar, rare=False):
    """An absent word (2+ letters; `rare`: one no chunk of the index holds) whose removal brings the question closer
    to the top passages by more than `bar`."""
    n = r["n_passages"]
    vecs = r["vectors"][:n]
    if not len(vecs) or r["ev"].cosine is None:
        return False
    q = float((vecs @ r["qvec"]).max())
    return any(q - float((vecs @ r["without"][i]).max()) < -bar for i, t in enumerate(r["terms"])
               if not r["held"][t] and len(t) > 1 and (not rare or min(r["df"][t] or [0]) == 0))


def _rt(rows, use, w, t, bar, rare):
    """(caught, no-answer, flagged, answerable) with the meaning rule at `bar` (None: off) before the model."""
    def ok(r):
        return judge(r, use, w, t) and not (bar is not None and rule_fires(r, bar, rare))
    none, some = [r for r in rows if not r["answerable"]], [r for r in rows if r["answerable"]]
    return sum(not ok(r) for r in none), len(none), sum(not ok(r) for r in some), len(some)


def rules(path: Path) -> None:
    """LOO AUC (fitting half, the questions the short rule and the country rule leave open) of cosine + gap with the
    meaning rule at each bar: the questions it decides rank lowest, the logistic is fitted on the others."""
    rows = pickle.loads(path.read_bytes())
    train, held = [r for r in rows if r["fit"]], [r for r in rows if not r["fit"]]
    undecided = [r for r in train if not short(r) and r["ev"].cosine is not None and not r["ev"].absent_countries]
    grid = [round(float(t), 3) for t in np.arange(0.05, 0.951, 0.025)]
    use = ("cosine", "gap")
    for rare in (False, True):
        for bar in (None, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1):
            out = [r for r in undecided if bar is not None and rule_fires(r, bar, rare)]
            rest = [r for r in undecided if r not in out]
            x = np.array([[1.0, *(feature(r, u) for u in use)] for r in rest])
            y = np.array([r["answerable"] for r in rest], dtype=float)
            s = [float(x[i] @ newton_logistic(np.delete(x, i, 0), np.delete(y, i))) for i in range(len(rest))]
            s += [-math.inf] * len(out)
            lab = list(y) + [r["answerable"] for r in out]
            pos, neg = [a for a, b in zip(s, lab) if b], [a for a, b in zip(s, lab) if not b]
            auc = float(np.mean([1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg]))
            w = newton_logistic(x, y)
            allowed = [(_rt(train, use, w, t, bar, rare)[0], t) for t in grid
                       if _rt(train, use, w, t, bar, rare)[2] <= 0.025 * _rt(train, use, w, t, bar, rare)[3]]
            if not allowed:
                print(f"rare={rare} bar={bar}: AUC {auc:.3f}, flags too many")
                continue
            best = max(c for c, _ in allowed)
            ties = [t for c, t in allowed if c == best]
            t = ties[len(ties) // 2]
            fires = [(r["qid"], r["answerable"], r["fit"]) for r in rows if bar is not None and rule_fires(r, bar, rare)]
            print(f"rare={rare} bar={bar}: AUC {auc:.3f} t {t} fit {_rt(train, use, w, t, bar, rare)} | held out "
                  f"(record only) {_rt(held, use, w, t, bar, rare)}"
                  f" | fires on answerable: {[q for q, a, f in fires if a]}")


def cost(rounds_arg: Path) -> None:
    """Milliseconds the meaning evidence (kb/search/query.py _unmatched) adds to a labour-docs search, per question,
    rounds interleaved: the holds lookups, and the one encode call when a word is absent."""
    import statistics
    import time

    from kb.search.evidence import _unmatched

    rounds = int(str(rounds_arg))
    kb = KnowledgeBase(Settings(index_dir=cache_root() / "bench" / "labour-docs"))
    reader = kb.reader()
    qs = [q["query"] for q in load(ROOT / "benchmarks" / "data" / "labour_questions.jsonl")
          + load(ROOT / "benchmarks" / "data" / "labour_confidence_questions.jsonl")]
    prepared = []
    for q in qs:
        hits = kb.search(q).hits
        found = retrieve(reader, q, k=10, mode="hybrid", filters=Filters(), encode=kb.embedder.encode)
        prepared.append((q, hits[:3], found, analysis_languages(found.language)))
    took: dict[str, list[float]] = {q: [] for q in qs}
    absent: dict[str, int] = {}
    for _ in range(rounds):
        for q, top, found, langs in prepared:
            started = time.perf_counter()
            absent[q] = len(_unmatched(reader, found, top, langs, kb.embedder.encode))
            took[q].append((time.perf_counter() - started) * 1000)
    med = {q: statistics.median(v) for q, v in took.items()}
    some = [med[q] for q in qs if absent[q]]
    none = [med[q] for q in qs if not absent[q]]
    print(f"{len(qs)} questions x {rounds} rounds; {len(some)} with an unmatched word: median {statistics.median(some):.2f} ms, "
          f"max {max(some):.2f} ms; {len(none)} without: median {statistics.median(none):.3f} ms, max {max(none):.3f} ms; "
          f"all: median {statistics.median(med.values()):.2f} ms")


if __name__ == "__main__":
    {"collect": collect, "fit": fit, "show": show, "rules": rules, "cost": cost}[sys.argv[1]](Path(sys.argv[2]))
