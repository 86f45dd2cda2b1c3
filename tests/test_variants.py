"""British and American spellings: a question's word that no chunk holds is looked for in its other spelling."""

from __future__ import annotations

import pytest

from kb import KnowledgeBase, Settings
from kb.search.variants import spellings


@pytest.mark.parametrize(("word", "other"), [
    ("labour", "labor"), ("labor", "labour"), ("harmonised", "harmonized"), ("organization", "organisation"),
    ("programme", "program"), ("program", "programme"), ("centre", "center"), ("center", "centre"),
    ("analyse", "analyze"), ("licence", "license"), ("dialog", "dialogue"), ("travelled", "traveled"),
])
def test_a_word_has_its_other_spelling(word, other):
    assert other in spellings(word)


@pytest.mark.parametrize("word", ["for", "size", "prize", "dense", "minister", "register", "workers", "skills"])
def test_a_word_the_rules_do_not_fit_has_none(word):
    assert spellings(word) == set()


def test_a_question_spelt_the_other_way_finds_and_marks_the_documents_words(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "series.txt").write_text("Labour statistics\n\nThe harmonised series of labour statistics make countries' "
                                     "figures comparable across years.", encoding="utf-8")
    (docs / "other.txt").write_text("Apprenticeships\n\nApprentices learn a trade in a workshop.", encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([docs])
    result = kb.search("harmonized labor series", k=2, mode="keyword")
    hits = result.hits
    assert [h.doc_id for h in hits] == ["series.txt"]
    assert result.confident, result.confidence_reason  # "harmonised" and "labour" are the question's words there
    passage = hits[0].passages[0]
    assert {passage.snippet[a:b].lower() for a, b in passage.highlights} == {"harmonised", "labour", "series"}
    assert kb.search("harmonised labour series", k=2, mode="keyword").hits[0].doc_id == "series.txt"


def test_a_french_word_typed_without_its_ligature_finds_the_documents_that_write_it(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "migration.txt").write_text("Migration de main-d'œuvre\n\nLa mobilité de la main-d'œuvre qualifiée vers les "
                                        "pays du Golfe est au cœur de l'accord régional.", encoding="utf-8")
    (docs / "other.txt").write_text("Apprentissage\n\nLes apprentis apprennent un métier dans un atelier.", encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([docs])
    for question in ("main d'oeuvre qualifiée", "main-d'œuvre qualifiée"):  # as most keyboards type it, and as written
        result = kb.search(question, k=2, mode="keyword", query_language="fr")
        assert [h.doc_id for h in result.hits] == ["migration.txt"] and result.corrections == {}, question
        assert result.confident, result.confidence_reason
        passage = result.hits[0].passages[0]
        assert {"œuvre", "qualifiée"} <= {passage.snippet[a:b].lower() for a, b in passage.highlights}, question
