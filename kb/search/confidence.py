"""Whether a search found a confident match, and why, from several signals that do not depend on fusion.

The signals (an `Evidence`): how close in meaning the best dense candidate is (its cosine), how far it stands
above the tenth (the gap), how far the best document stands above the fifth best by meaning (the document gap:
one document that stands out, rather than many about as close), how much of the question's weight in rare
words the best shown passage holds (its IDF-weighted coverage), the countries the question names that no top hit
is about (the countries its metadata names, or those its document mentions when it names none), and the question's
words no top hit's document holds, each with how much closer the question comes to the top passages without it
(its lift). A logistic model combines those its fit chose; a short question whose every word a passage of a top hit
holds is always confident; when the fit chose the country rule, a question naming a country no top hit is about is
not ("maternity leave in Norway" answered by conventions that never name Norway, "child labour in Tanzania" by the
Burundi report); when it chose the meaning rule, nor is one with a word the top passages neither hold nor mean (its
lift above MEANING_BAR: "child labour in cobalt mines" comes closer to them as "child labour in mines"); keyword
mode, which has no cosine, decides on coverage alone (and so does a question in a language the embedding model
does not understand: its cosines say little).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kb.search.phrases import holds, words
from kb.search.snippets import query_terms, stem, stems_held

# The passages of this many top hits are read for the question's words (the hits a user looks at first).
CONFIDENCE_HITS = 3
# The gap is the best cosine minus the GAP_RANK-th best: a passage that stands out from the crowd.
GAP_RANK = 10
# The document gap is the best document's best cosine minus the DOC_GAP_RANK-th best document's.
DOC_GAP_RANK = 5
# A question of at most SHORT_TERMS terms is confident when one passage holds all of them (names, keywords).
SHORT_TERMS = 4

# Logistic model: P(answerable) = sigmoid(BIAS + W_COSINE x cosine + W_GAP x gap + W_DOC_GAP x document gap
# + W_COVERAGE x coverage).
# Fitted by `python benchmarks/confidence.py --write` (L2-regularised logistic regression in numpy, classes
# weighted equally) on the half of the corpus/ and labour-docs questions whose id hashes even (hybrid mode,
# all-MiniLM-L6-v2), leaving out the short questions the SHORT_TERMS rule decides; the other half is held out.
# The script also picks which features the model uses, by leave-one-out AUC on the fitting half (a weight of 0:
# left out; coverage then counts through the short-question rule, keyword mode and the reason).
# W_DOC_GAP is 0 by decision, not by fit: the document gap is measured but not among the features the script may
# choose (CHOOSABLE in benchmarks/confidence.py); chosen on the fitting half (19/23 caught, 2/81 flagged), it
# flagged 7/72 answerable held-out questions of the original sets where cosine + gap flagged 5/72.
# Written 2026-12-06 13:06 UTC, refitted with 22 more questions (lc31-lc52): the same choice, cosine + gap + the
# country rule; held out, hybrid, pooled: 23/28 caught, 10/87 flagged, where the constants before gave 21/28 and
# 9/87 on the same questions; the target, >= 80 % and <= 5 %, is not met (the flagged side).
BIAS = -5.434
W_COSINE = 10.117
W_GAP = 3.366
W_DOC_GAP = 0.0
W_COVERAGE = 0.0
# Whether a question naming a country (kb/data/countries.tsv) that no top hit's document mentions is not confident,
# whatever the model says: chosen by the fit like a feature (leave-one-out AUC on the fitting half, the questions
# it decides scored lowest and left out of the logistic fit).
COUNTRY_RULE = True
# Whether a question with a word no top hit's document holds, and whose top passages match the question better
# without that word (by more than MEANING_BAR in cosine), is not confident: chosen by the fit like the country rule,
# with its bar. Off, the words are not looked up and nothing is embedded beyond the question.
MEANING_RULE = False
MEANING_BAR = 0.05
# Confident when P(answerable) reaches this: chosen on the fitting half, the most no-answer questions caught
# while at most 1 in 40 answerable ones is flagged.
CONFIDENCE_THRESHOLD = 0.375
# Keyword mode (no cosine): confident when the best passage holds this share of the question's IDF weight
# (chosen on keyword-mode searches of the fitting half, where it best balances the two errors).
KEYWORD_COVERAGE = 0.35
# A confident reason speaks of the question's words when a passage holds this share of their IDF weight.
MOST = 0.5



@dataclass(frozen=True)
class Evidence:
    """What the confidence of one search is judged on."""

    terms: tuple[str, ...]  # the question's terms, as the search used them
    cosine: float | None  # best dense cosine (None: no dense search, keyword mode)
    gap: float  # best cosine minus the GAP_RANK-th (0 without a dense search)
    coverage: float  # share of the terms' summed IDF that the best shown passage holds (0 to 1)
    complete: bool  # one shown passage holds every term
    missing: tuple[str, ...]  # terms no shown passage holds, in the question's order
    hits: int
    doc_gap: float = 0.0  # best document's best cosine minus the DOC_GAP_RANK-th best document's (0 without)
    absent_countries: tuple[str, ...] = ()  # countries the question names that no top hit's document mentions
    # The question's words no top hit's document holds, each with its lift: the best cosine of the top hits' shown
    # passages to the question without the word, less theirs to the whole question (> 0: the word pulls away).
    unmatched: tuple[tuple[str, float], ...] = ()
    common: bool = False  # the question's words are all common ones (stop words: "the", "of and the")


@dataclass(frozen=True)
class Model:
    """The fitted decision: logistic weights over the Evidence, its threshold, and keyword mode's coverage bar."""

    bias: float
    cosine: float
    gap: float
    coverage: float
    threshold: float
    keyword_coverage: float
    doc_gap: float = 0.0
    country_rule: bool = False  # a question naming a country no top hit is about is not confident
    meaning_rule: bool = False  # nor is one with an unmatched word whose lift passes meaning_bar
    meaning_bar: float = MEANING_BAR


FITTED = Model(BIAS, W_COSINE, W_GAP, W_COVERAGE, CONFIDENCE_THRESHOLD, KEYWORD_COVERAGE, W_DOC_GAP, COUNTRY_RULE,
               MEANING_RULE, MEANING_BAR)


@dataclass(frozen=True)
class Verdict:
    """Confident or not, and the one sentence the CLI, the API and the search box show."""

    confident: bool
    reason: str


def _gap(ranked: Sequence[float], rank: int) -> float:
    """The best of these scores (best first) minus the rank-th (the last when there are fewer)."""
    return ranked[0] - ranked[min(rank, len(ranked)) - 1] if ranked else 0.0


def gather(terms: Sequence[str], idf: Mapping[str, float], passages: Iterable[str | Sequence[str]], cosines: Iterable[float],
           hits: int, doc_cosines: Iterable[float] = (), absent_countries: Sequence[str] = (),
           unmatched: Sequence[tuple[str, float]] = (), common: bool = False,
           spellings: Mapping[str, Sequence[str]] | None = None) -> Evidence:
    """The Evidence of a search: `idf` per term (the keyword index's), the texts of the top hits' shown passages (each
    a text, or the texts it is read as, no word running across them: its title, headings and chunk text),
    the cosines of the dense candidates (empty in keyword mode), each candidate document's best cosine, the
    countries the question names that no top hit mentions and the words no top hit holds, with their lifts; `common`:
    whether the terms are all common words; `spellings`: a term's other spellings, which a passage holds it by."""
    term_stems = {t: stem(t) for t in terms}
    # What stands for a term besides its own stem, each a run of stems a passage holds all of: "harmonis" for a
    # "harmonized" no chunk holds, "child" and "labour" for the "travail" and the "enfants" of "travail des enfants";
    # a form in quotes, its words in a row too ("not in employment, education or training" for "NEET").
    others = {term: [(tuple(stem(w) for w in query_terms(form)), _phrase(form)) for form in forms]
              for term, forms in (spellings or {}).items() if term in term_stems}
    wanted = frozenset(s for s in (*term_stems.values(), *(s for forms in others.values() for f, _ in forms for s in f))
                       if s)
    weight = {t: max(idf.get(t, 0.0), 1e-6) for t in terms}
    total = sum(weight.values()) or 1.0
    best, complete = 0.0, False
    seen: set[str] = set()
    for passage in passages:
        held = _held(passage, wanted)
        if others:
            parts = (passage,) if isinstance(passage, str) else passage
            held = held | {term_stems[t] for t, forms in others.items()
                           if any(f and set(f) <= held and (not p or holds(parts, p, plurals=True)) for f, p in forms)}
        seen |= held
        share = sum(w for t, w in weight.items() if term_stems[t] in held) / total
        best = max(best, share)
        complete = complete or bool(terms) and all(term_stems[t] in held for t in terms)
    ranked = sorted(cosines, reverse=True)
    cosine = ranked[0] if ranked else None
    doc_gap = _gap(sorted(doc_cosines, reverse=True), DOC_GAP_RANK)
    missing = tuple(t for t in terms if term_stems[t] not in seen)
    return Evidence(tuple(terms), cosine, _gap(ranked, GAP_RANK), min(1.0, best), complete, missing, hits, doc_gap,
                    tuple(absent_countries), tuple(unmatched), common)


def _phrase(form: str) -> list[str]:
    """A form in quotes as the words a passage must hold in a row (kb/search/phrases.py); none for another."""
    return words(form) if len(form) > 1 and form[0] == form[-1] == '"' else []


def _held(passage: str | Sequence[str], wanted: frozenset[str]) -> frozenset[str]:
    # A passage's chunk text read on its own is the one its hit's passages were judged on this search, so the stems it
    # holds are found again in what snippets.py keeps, not looked for anew (as are its title's, for a second passage).
    if isinstance(passage, str):
        return stems_held(passage, wanted)
    return frozenset().union(*(stems_held(part, wanted) for part in passage))


def probability(evidence: Evidence, model: Model = FITTED) -> float:
    """P(the question has an answer in the index) by the logistic model (dense modes only)."""
    z = (model.bias + model.cosine * (evidence.cosine or 0.0) + model.gap * evidence.gap
         + model.doc_gap * evidence.doc_gap + model.coverage * evidence.coverage)
    return 1.0 / (1.0 + math.exp(-z))


def _quoted(terms: Sequence[str]) -> str:
    return "“" + " ".join(terms) + "”"


def _doubt(evidence: Evidence) -> str:
    """Why a search is not confident, in the user's terms."""
    if evidence.missing:
        held = f"no passage holds {_quoted(evidence.missing)}"
    else:
        held = f"no passage holds all of {_quoted(evidence.terms)}"
    if evidence.cosine is None:  # keyword mode, or a question in a language the model does not understand
        return f"No confident match: {held}."
    return f"No confident match: {held}, and none is close in meaning."


def _trust(evidence: Evidence) -> str:
    """Why a search is confident, in the user's terms."""
    if evidence.complete:
        return "A top hit holds every word of the question."
    if evidence.cosine is None:
        return "A passage holds most of the question's rarer words."
    if evidence.coverage >= MOST:
        return "A passage holds most of the question's rarer words and is close to it in meaning."
    return "A passage is close in meaning to the question."


def judge(evidence: Evidence, model: Model = FITTED) -> Verdict:
    """Confident or not, and why."""
    if not evidence.hits:
        return Verdict(False, "No match: no document holds a word of the question.")
    if evidence.common:  # every passage holds "the": that says nothing (a search box searches at the first letter)
        return Verdict(False, "No confident match: the question has only common words; add one that says what you are "
                              "looking for.")
    if evidence.complete and len(evidence.terms) <= SHORT_TERMS:
        confident = True
    elif model.country_rule and evidence.absent_countries:
        return Verdict(False, f"No confident match: no top hit is about {' or '.join(evidence.absent_countries)}.")
    elif model.meaning_rule and (foreign := [w for w, lift in evidence.unmatched if lift > model.meaning_bar]):
        return Verdict(False, f"No confident match: no top hit is about {' or '.join(foreign)}.")
    elif evidence.cosine is None:
        confident = evidence.coverage >= model.keyword_coverage
    else:
        confident = probability(evidence, model) >= model.threshold
    return Verdict(confident, _trust(evidence) if confident else _doubt(evidence))
