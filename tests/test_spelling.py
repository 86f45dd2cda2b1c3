"""Misspelt question words are searched corrected, and the search says so; real words, names and words being typed
are left as typed."""

from __future__ import annotations

import json

from click.testing import CliRunner
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.cli import main as cli
from kb.search import spelling


class Index:
    """The two questions spelling asks of a keyword index, over a few words held by some chunks."""

    def __init__(self, held: dict[str, int], lists_terms: bool = True) -> None:
        self.held, self.lists_terms = held, lists_terms

    def doc_freq(self, word, languages=("en",)):
        return self.held.get(word, 0)

    def begins_term(self, word, languages=("en",)):
        return any(w.startswith(word) for w in self.held) if self.lists_terms else None


HELD = {"apprenticeship": 40, "apprenticeships": 12, "kenya": 9, "maternity": 7, "approach": 20,
        "learning": 50, "leaning": 2, "goal": 5}


def test_a_word_no_chunk_and_no_dictionary_holds_is_searched_as_the_held_word_one_edit_away():
    fixes = spelling.corrections(["aprenticeship", "kenia", "lerning"], "aprenticeship in kenia lerning", Index(HELD), ["en"])
    assert fixes == {"aprenticeship": "apprenticeship", "kenia": "kenya", "lerning": "learning"}  # learning: the most held


def test_real_words_names_short_words_and_words_being_typed_stay_as_typed():
    index = Index(HELD)
    assert spelling.corrections(["paternity", "coal"], "paternity leave, coal", index, ["en"]) == {}  # dictionary words
    assert spelling.corrections(["keyna"], "Keyna", index, ["en"]) == {}  # a capital: a name, meant as typed
    assert spelling.corrections(["keyna"], "keyna", index, ["en"]) == {"keyna": "kenya"}
    assert spelling.corrections(["appr"], "how to get appr", index, ["en"]) == {}  # the start of "approach"
    assert spelling.corrections(["kenia"], "kenia", Index(HELD, lists_terms=False), ["en"]) == {}  # fts5: no term list
    assert spelling.corrections(["lern"], "lern", index, ["en"]) == {}  # under MIN_LETTERS
    assert spelling.corrections(["kenia"], "aprendizaje en kenia", index, ["es"]) == {}  # Spanish for Kenya
    assert spelling.corrections(["zzyzxq"], "zzyzxq", index, ["en"]) == {}  # nothing held one edit away


def test_a_plural_or_feminine_the_word_list_leaves_out_is_not_made_an_english_word():
    # pyspellchecker's Spanish and French lists have "verde", "previo", "formé" but not these forms of them
    index = Index({"verses": 3, "previous": 9, "formed": 4, "kenya": 9})
    assert spelling.corrections(["empleos", "verdes", "previos"], "empleos verdes previos", index, ["es", "en"]) == {}
    assert spelling.corrections(["femmes", "formées"], "femmes formées", index, ["fr", "en"]) == {}
    assert spelling.corrections(["kenia"], "kenia", index, ["en"]) == {"kenia": "kenya"}  # English: as before
    assert spelling.corrections(["verdes"], "verdes", index, ["en"]) == {"verdes": "verses"}  # asked as English


def test_a_word_written_with_a_ligature_is_a_word_of_the_list_that_writes_it_out():
    # the French list writes "oeuvre", "coeur": "main-d'œuvre" was searched as "main-d'ouvre"
    index = Index({"ouvre": 3, "coeur": 2})
    assert spelling.corrections(["œuvre"], "migration de main-d'œuvre", index, ["fr", "en"]) == {}
    assert spelling.corrections(["sœur", "cœur"], "sœur cœur", index, ["fr", "en"]) == {}


def test_a_spanish_question_keeps_its_words_and_finds_no_english_look_alike(corpus_kb):
    for question in ("empleos verdes y competencias", "empleos verdes"):  # the second too short for py3langid alone
        result = corpus_kb.search(question, k=3)
        assert result.query_language == "es" and result.corrections == {}, question
        assert "verses" not in (result.confidence_reason or ""), question


def test_the_question_is_rewritten_word_for_word_and_the_notice_names_both():
    fixes = {"aprenticeship": "apprenticeship", "kenia": "kenya"}
    assert spelling.corrected("Aprenticeship programmes in kenia?", fixes) == "apprenticeship programmes in kenya?"
    assert spelling.notice(fixes) == ("No document has “aprenticeship” or “kenia”: searched for “apprenticeship” and "
                                      "“kenya” instead.")
    assert spelling.notice({}) is None


def test_a_search_corrects_unless_asked_to_take_the_words_as_typed(corpus_kb):
    typo = corpus_kb.search("recogntion of prior lerning", k=3)
    right = corpus_kb.search("recognition of prior learning", k=3)
    assert typo.notices[0] == "No document has “recogntion” or “lerning”: searched for “recognition” and “learning” instead."
    assert [h.doc_id for h in typo.hits] == [h.doc_id for h in right.hits]
    assert typo.confident == right.confident and typo.query == "recogntion of prior lerning"
    assert typo.corrections == {"recogntion": "recognition", "lerning": "learning"} and right.corrections == {}
    as_typed = corpus_kb.search("recogntion of prior lerning", k=3, correct=False)
    assert not any("searched for" in n for n in as_typed.notices)
    assert corpus_kb.search("recognition of prior learning", k=3).notices == right.notices  # nothing to correct


def test_a_misspelt_question_is_embedded_once_as_it_is_searched(corpus_kb, monkeypatch):
    embedder = corpus_kb._query_embedder(corpus_kb.reader())
    asked, encode = [], embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda texts, *a, **kw: asked.append(list(texts)) or encode(texts, *a, **kw))
    result = corpus_kb.search("aprenticeships for yuong women in kenia", k=2)
    assert result.corrections == {"aprenticeships": "apprenticeships", "yuong": "young", "kenia": "kenya"}
    assert asked == [["apprenticeships for young women in kenya"]]  # not the typed question first


def test_the_cli_and_the_api_say_the_same(corpus_kb):
    index = str(corpus_kb.settings.index_dir)
    runner = CliRunner()
    said = runner.invoke(cli, ["search", "--index", index, "-k", "2", "aprenticeship in kenia"])
    assert said.exit_code == 0 and "searched for “apprenticeship” and “kenya” instead." in said.output
    assert "--as-typed searches the words as you typed them" in said.output
    plain = runner.invoke(cli, ["search", "--index", index, "-k", "2", "--as-typed", "aprenticeship in kenia"])
    assert plain.exit_code == 0 and "searched for" not in plain.output
    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as client:
        corrected = client.get("/search", params={"q": "aprenticeship in kenia", "k": 2}).json()
        typed = client.get("/search", params={"q": "aprenticeship in kenia", "k": 2, "as_typed": "true"})
    assert any("searched for “apprenticeship” and “kenya” instead." in n for n in corrected["notices"])
    assert typed.status_code == 200 and not any("searched for" in n for n in typed.json()["notices"])
    assert corrected["corrections"] == {"aprenticeship": "apprenticeship", "kenia": "kenya"}
    assert typed.json()["corrections"] == {}
    as_json = json.loads(runner.invoke(cli, ["search", "--index", index, "-k", "2", "--json", "aprenticeship in kenia"]).output)
    assert as_json["corrections"] == corrected["corrections"] and as_json["notices"] == corrected["notices"]


def test_a_word_list_is_searched_as_its_set_holds_it():
    """known() looks a word up in a list's sorted bytes by a binary search, not in a set: the same answers."""
    import random

    from kb.dictionaries import _holds, _listed, words

    for language in ("en", "es", "fr", "it", "nl"):
        listed, held = _listed(language), words(language)
        assert listed and held
        sample = random.Random(language).sample(sorted(held), 2000)
        others = [w + "q" for w in sample[:300]] + [w[:-1] for w in sample[:300]] + ["", "a", "zzzzzz", "été", "ñandú"]
        assert [_holds(listed, w) for w in sample + others] == [w in held for w in sample + others], language
