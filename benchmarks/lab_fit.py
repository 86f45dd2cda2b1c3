"""Scratch: try feature sets on the pickled signals (fitting half only unless --held)."""

from __future__ import annotations

import itertools
import math
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from confidence import newton_logistic

SHORT_TERMS = 4


def rank_feature(rank):
    return 1.0 / (1 + rank) if rank is not None else 0.0


def feats(r):
    ev = r["ev"]
    n = r["n_docs"]
    maxidf = math.log((n + 0.5) / 0.5)
    total = sum(v[0] for v in r["per_term"].values()) or 1.0
    absent = sum(v[0] for v in r["per_term"].values() if v[1] and all(d == 0 for d in v[1])) / total
    dd, kd = r["dense_docs"], r["kw_docs"]
    rank_dk = kd.index(dd[0]) if dd and dd[0] in kd else None
    rank_kd = dd.index(kd[0]) if kd and kd[0] in dd else None
    dcos = dict(r["dense_top_chunks"])
    dkw = dict(r["kw_in_dense_top"])
    kw_at_dense = max([dkw.get(c, 0.0) for c, _ in r["dense_top_chunks"][:5]] or [0.0])
    cos_at_kw = max([dcos.get(c, 0.0) for c, _ in r["kw_in_dense_top"][:5]] or [0.0])
    joint = max([dcos.get(c, 0.0) + min(dkw.get(c, 0.0), 1.1) for c in set(dcos) | set(dkw)] or [0.0])
    cos = r["cos"]
    arr = np.array(cos) if cos else np.zeros(1)
    docbest = []
    for c, v in r["dense_top_chunks"]:
        d = r["chunk_doc"].get(c)
        if d not in [x for x, _ in docbest]:
            docbest.append((d, v))
    dg = {n: (docbest[0][1] - docbest[min(n - 1, len(docbest) - 1)][1]) if docbest else 0.0 for n in (2, 3, 5, 10)}
    dgap = dg[5]
    return {
        "gap50": float(arr[0] - arr[min(49, len(arr) - 1)]), "gap200": float(arr[0] - arr[-1]),
        "dgap2": dg[2], "dgap3": dg[3], "dgap10": dg[10], "z": float((arr[0] - arr.mean()) / (arr.std() + 1e-6)), "dgap": dgap,
        "kw_at_dense": min(kw_at_dense, 1.1), "cos_at_kw": cos_at_kw, "joint": joint,
        "cosine": ev.cosine or 0.0, "gap": ev.gap, "coverage": ev.coverage, "kw": min(r["kw_best"], 1.1), "fused": r["fused"],
        "absent": absent, "present": 1 - absent, "agree_dk": rank_feature(rank_dk), "agree_kd": rank_feature(rank_kd),
        "agree": float(bool(dd and kd and dd[0] == kd[0])), "conc": r["conc"],
        "agree3": float(rank_dk is not None and rank_dk < 3), "maxidf": maxidf,
    }


def short(r):
    ev = r["ev"]
    return ev.complete and len(ev.terms) <= SHORT_TERMS


def fit_logistic(x, y):
    return newton_logistic(x, y)


def matrix(rows, use):
    return np.array([[1.0] + [feats(r)[f] for f in use] for r in rows])


def loo_auc(rows, use):
    x, y = matrix(rows, use), np.array([r["answerable"] for r in rows], dtype=float)
    s = []
    for i in range(len(rows)):
        m = np.ones(len(rows), bool)
        m[i] = False
        s.append(float(x[i] @ fit_logistic(x[m], y[m])))
    pos = [a for a, b in zip(s, y) if b]
    neg = [a for a, b in zip(s, y) if not b]
    return float(np.mean([1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg]))


def judge(r, use, w, t):
    if short(r):
        return True
    if r["ev"].cosine is None:
        return r["ev"].coverage >= 0.4
    z = float(matrix([r], use)[0] @ w)
    return 1 / (1 + math.exp(-z)) >= t


def rates(rows, use, w, t):
    none = [r for r in rows if not r["answerable"]]
    some = [r for r in rows if r["answerable"]]
    return (sum(not judge(r, use, w, t) for r in none), len(none), sum(not judge(r, use, w, t) for r in some), len(some))


def choose_threshold(rows, use, w, max_flagged=0.025):
    scored = []
    for t in np.arange(0.05, 0.951, 0.025):
        c, n, f, s = rates(rows, use, w, t)
        if f <= max_flagged * s:
            scored.append((c, round(float(t), 3)))
    if not scored:
        return 0.05
    top = max(c for c, _ in scored)
    eq = [t for c, t in scored if c == top]
    return eq[len(eq) // 2]


def main():
    with open(sys.argv[1], "rb") as f:
        rows = pickle.load(f)
    sets = sys.argv[2].split(",") if len(sys.argv) > 2 else ["corpus/", "labour-docs", "labour-docs+"]
    held = "--held" in sys.argv
    rows = [r for r in rows if r["set"] in sets]
    fit = [r for r in rows if r["fit"]]
    undecided = [r for r in fit if not short(r) and r["ev"].cosine is not None]
    print(f"fit rows {len(fit)}, undecided {len(undecided)} ({sum(not r['answerable'] for r in undecided)} no-answer)")
    base = ["cosine", "gap", "coverage", "kw", "fused", "absent", "agree_dk", "agree_kd", "agree", "conc", "agree3", "kw_at_dense", "cos_at_kw", "joint", "gap50", "gap200", "z", "dgap"]
    sets_ = [("cosine",), ("cosine", "gap")]
    for k in (1, 2) if "--pairs" in sys.argv else (1,):
        for extra in itertools.combinations([f for f in base if f not in ("cosine", "gap")], k):
            sets_.append(("cosine", "gap", *extra))
            sets_.append(("cosine", *extra))
    for f in base:
        sets_.append((f,))
    results = []
    if "--only" in sys.argv:
        sets_ = [tuple(x.split("+")) for x in sys.argv[sys.argv.index("--only") + 1].split(",")]
    for use in dict.fromkeys(sets_):
        auc = loo_auc(undecided, use)
        x, y = matrix(undecided, use), np.array([r["answerable"] for r in undecided], dtype=float)
        w = fit_logistic(x, y)
        t = choose_threshold(fit, use, w)
        c, n, f, s = rates(fit, use, w, t)
        results.append((auc, use, w, t, (c, n, f, s)))
    results.sort(key=lambda z: -z[0])
    for auc, use, w, t, (c, n, f, s) in results[:40]:
        line = f"{auc:.3f}  {' + '.join(use):40s} t={t:.3f} fit caught {c}/{n} flagged {f}/{s}  w={np.round(w, 2).tolist()}"
        if held:
            ho = [r for r in rows if not r["fit"]]
            hc, hn, hf, hs = rates(ho, use, w, t)
            line += f" | HELD caught {hc}/{hn} flagged {hf}/{hs}"
        print(line)


if __name__ == "__main__":
    main()
