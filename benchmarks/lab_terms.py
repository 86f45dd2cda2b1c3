"""Scratch (branch conf2): term signals over the top hits' whole documents, and logistic variants on them.

    python benchmarks/lab_terms.py collect /tmp/terms.pkl   # search every question (hybrid), keep the signals
    python benchmarks/lab_terms.py fit /tmp/terms.pkl       # LOO AUC on the fitting half; held-out rates for the record

Signals: the IDF share of the question's terms the top hit's whole document holds (dcov1) or the best of the top 3
(dcov3); the IDF share of terms no chunk of the index holds (absent); the dense top document among the keyword
top 3 (a3) or the keyword top document (a1); a country the question names that no top-3 hit mentions (country;
not counted when a top hit is in another language). The fit and threshold follow benchmarks/confidence.py
(class-balanced L2 logistic; threshold: most caught with at most 2.5 % of the fitting half's answerable flagged).
"""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.confidence import in_fit_half, loo_auc_rows, newton_logistic
from benchmarks.lab_signals import doc_order, question_sets, searched
from kb.search.query import dense_chunks, keyword_chunks


def row(kb, q, name):
    reader, hits, found, ev, langs = searched(kb, q, countries=True)
    index = reader.keyword
    per_term = {t: {"idf": index.idf_sum([t], langs), "df": [index._doc_freq(x) for x in index._tokens([t], langs)]}
                for t in found.terms}
    top = [h.doc_id for h in hits[:3]]
    held = {d: {t for t in per_term if index.holds(t, {d}, langs)} for d in top}
    dense = dense_chunks(reader, found.query_vector, None, 200) if found.query_vector is not None else []
    kw = keyword_chunks(reader, found.terms, None, 200, langs)
    cd = reader.chunk_documents({c for c, _ in dense[:50]} | {c for c, _ in kw[:50]})
    return {"set": name, "qid": q["id"], "query": q["query"], "answerable": bool(q["relevant"]), "fit": in_fit_half(q["id"]),
            "ev": ev, "per_term": per_term, "top": top, "held": held, "dense_docs": doc_order(dense, cd), "kw_docs": doc_order(kw, cd)}


def collect(out: Path) -> None:
    sets = question_sets(out.parent / "lab-corpus-index")
    out.write_bytes(pickle.dumps([row(kb, q, name) for name, kb, qs in sets for q in qs]))


def _share(r, docs):
    pt = r["per_term"]
    total = sum(v["idf"] for v in pt.values()) or 1.0
    return max([sum(pt[t]["idf"] for t in r["held"][d]) / total for d in docs] or [0.0])


def feature(r, name):
    ev, pt = r["ev"], r["per_term"]
    dd, kd = r["dense_docs"], r["kw_docs"]
    return {"cosine": lambda: ev.cosine or 0.0, "gap": lambda: ev.gap, "doc_gap": lambda: ev.doc_gap,
            "coverage": lambda: ev.coverage, "dcov1": lambda: _share(r, r["top"][:1]), "dcov3": lambda: _share(r, r["top"]),
            "absent": lambda: sum(v["idf"] for v in pt.values() if v["df"] and min(v["df"]) == 0)
            / (sum(v["idf"] for v in pt.values()) or 1.0),
            "a3": lambda: float(bool(dd) and dd[0] in kd[:3]), "a1": lambda: float(bool(dd and kd) and dd[0] == kd[0]),
            "country": lambda: float(bool(ev.absent_countries))}[name]()


def short(r):
    return r["ev"].complete and len(r["ev"].terms) <= 4


def judge(r, use, w, t):
    if not r["ev"].hits:
        return False
    if short(r):
        return True
    if r["ev"].cosine is None:
        return r["ev"].coverage >= 0.4
    return 1 / (1 + math.exp(-float(np.dot([1.0, *(feature(r, u) for u in use)], w)))) >= t


def rates(rows, use, w, t):
    none, some = [r for r in rows if not r["answerable"]], [r for r in rows if r["answerable"]]
    return (sum(not judge(r, use, w, t) for r in none), len(none), sum(not judge(r, use, w, t) for r in some), len(some))


def loo_auc(rows, use):
    return loo_auc_rows(np.array([[1.0, *(feature(r, u) for u in use)] for r in rows]), [r["answerable"] for r in rows])


def fit(path: Path) -> None:
    rows = pickle.loads(path.read_bytes())
    train, held = [r for r in rows if r["fit"]], [r for r in rows if not r["fit"]]
    undecided = [r for r in train if not short(r) and r["ev"].cosine is not None]
    grid = [round(float(t), 3) for t in np.arange(0.05, 0.951, 0.025)]
    uses = [("cosine",), ("cosine", "gap"), *[("cosine", "gap", x) for x in ("dcov1", "dcov3", "a3", "a1", "absent", "country")],
            *[("cosine", x) for x in ("dcov1", "dcov3", "a3", "a1", "absent", "country")]]
    for use in uses:
        x = np.array([[1.0, *(feature(r, u) for u in use)] for r in undecided])
        w = newton_logistic(x, np.array([r["answerable"] for r in undecided], dtype=float))
        allowed = [(rates(train, use, w, t)[0], t) for t in grid if rates(train, use, w, t)[2] <= 0.025 * rates(train, use, w, t)[3]]
        best = max(c for c, _ in allowed)
        t = [t for c, t in allowed if c == best][len([1 for c, _ in allowed if c == best]) // 2]
        c, n, f, s = rates(train, use, w, t)
        hc, hn, hf, hs = rates(held, use, w, t)
        print(f"{' + '.join(use):28s} AUC {loo_auc(undecided, use):.3f} w {np.round(w, 2).tolist()} t {t} "
              f"fit {c}/{n} {f}/{s} | held out (record only) {hc}/{hn} {hf}/{hs}")


if __name__ == "__main__":
    {"collect": collect, "fit": fit}[sys.argv[1]](Path(sys.argv[2]))
