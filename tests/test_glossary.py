"""A French or Spanish question is searched with the English names of the ILO terms it names too (kb/data/glossary.tsv)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kb.evaluate import ndcg_at
from kb.search import glossary
from kb.search.glossary import english_terms

CROSSLINGUAL = Path(__file__).parent / "data" / "crosslingual_questions.jsonl"
RPL = "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"


@pytest.mark.parametrize(("question", "language", "named"), [
    ("apprentissage dans l'économie informelle", "fr",
     {"apprentissage": "apprenticeship", "économie informelle": "informal economy"}),
    ("apprentissage tout au long de la vie", "fr", {"apprentissage tout au long de la vie": "lifelong learning"}),  # longest
    ("economie informelle", "fr", {"economie informelle": "informal economy"}),  # typed without its accents
    ("travail d'enfants", "fr", {"travail d'enfants": "child labour"}),  # "travail des enfants", its stop words aside
    ("trabajo infantil en la agricultura", "es", {"trabajo infantil": "child labour", "agricultura": "agriculture"}),
    ("trabajadores", "es", {"trabajadores": "worker"}),  # stems as "trabajo" does: the words tell them apart
    ("trabajo", "es", {"trabajo": "work"}),
    ("sécurité et santé des apprentis", "fr",  # without "au travail": the guide on apprentices' safety and health
     {"sécurité et santé": "occupational safety and health", "apprentis": "apprentice"}),
    ("informal economy", "en", {}),  # an English question needs none
    ("formation des pilotes de ligne", "it", {}),  # a language the glossary has no column for
])
def test_a_question_names_the_glossarys_terms_in_its_language(question, language, named):
    assert english_terms(question, language) == named


def test_the_glossary_is_well_formed():
    rows = [line.rstrip("\n").split("\t") for line in glossary.GLOSSARY.read_text(encoding="utf-8").splitlines()
            if not line.startswith("#")]
    assert rows[0] == ["en", "fr", "es"] and len(rows) > 150
    assert all(len(row) == 3 and all(cell.strip() for cell in row) for row in rows[1:])
    english = [row[0] for row in rows[1:]]
    assert len(set(english)) == len(english)


@pytest.mark.slow
def test_a_french_question_finds_the_english_document_and_says_how(corpus_kb):
    """Before, "reconnaissance des acquis de l'expérience" found French press releases, not the RPL toolkit."""
    result = corpus_kb.search("reconnaissance des acquis de l'expérience", k=3)
    assert result.hits[0].doc_id == RPL and result.query_language == "fr"
    assert "Searched “reconnaissance des acquis de l'expérience” as “recognition of prior learning” too." in result.notices
    first = result.hits[0].passages[0]  # the passage that holds the English name, not one that holds no word of it
    assert {"recognition", "prior", "learning"} <= {first.snippet[a:b].lower() for a, b in first.highlights}


@pytest.mark.slow
def test_french_and_spanish_questions_find_english_answers(corpus_kb):
    """tests/data/crosslingual_questions.jsonl (written from the documents; 34 of its 40 answerable questions have
    English answers). The meaning search's text was chosen on the ids whose sha256 starts even; the others, held
    out: hybrid nDCG@10 0.566, 0.372 without the glossary."""
    rows = [json.loads(line) for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_out = [r for r in rows if r["relevant"] and hashlib.sha256(r["id"].encode()).digest()[0] % 2]
    assert len(held_out) >= 15
    score = sum(ndcg_at(corpus_kb.rank(r["query"], k=10), r["relevant"]) for r in held_out) / len(held_out)
    assert score >= 0.5, score
