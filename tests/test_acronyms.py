"""Acronyms a question uses that no chunk holds are looked for by what they stand for too (kb/data/acronyms.tsv)."""

from __future__ import annotations

import pytest

from kb.search.acronyms import table

ILA_GUIDE = "skills-guides/lifelong-learning-entitlements-individual-learning-accounts.md"


def test_the_table_reads_each_acronym_with_its_names():
    assert table()["NEET"] == ("not in employment, education or training", "not in education, employment or training")
    assert table()["TOT"] == ("training of trainers",)  # written "ToT"
    assert "technical and vocational education and training" in table()["EFTP"]


@pytest.mark.slow
def test_an_acronym_no_chunk_holds_is_searched_spelled_out(corpus_kb):
    """corpus/ writes "individual learning accounts" and "national qualifications framework", never "ILA" or "NQF":
    both said "No confident match: no passage holds …"."""
    ila = corpus_kb.search("ILA")
    assert ila.hits[0].doc_id == ILA_GUIDE and ila.confident
    assert "Searched “ILA” as “individual learning account” too." in ila.notices
    nqf = corpus_kb.search("What is an NQF?")
    assert nqf.confident and "Searched “NQF” as “national qualifications framework” too." in nqf.notices
    assert "Searched “nqf” as “national qualifications framework” too." in corpus_kb.search("what is an nqf").notices


@pytest.mark.slow
def test_an_acronym_the_index_holds_or_an_english_word_is_searched_as_typed(corpus_kb):
    assert not any("Searched" in n for n in corpus_kb.search("TVET instructors").notices)  # corpus/ writes "TVET"
    assert not any("Searched" in n for n in corpus_kb.search("tree planting").notices)  # "tree" is a word
    assert not any("Searched" in n for n in corpus_kb.search("ila").notices)  # so is "ila", typed without capitals


def test_an_acronym_says_nothing_of_the_question_language_unless_it_stands_for_french_or_spanish_names():
    from kb.languages import question_language

    assert question_language("neet") == "en"  # Dutch has the word; kb's table has the acronym
    assert question_language("NEET") == "en"
    assert question_language("VAE") == "fr"  # validation des acquis de l'expérience
    assert question_language("neet jongeren in Nederland") == "nl"


@pytest.mark.slow
def test_an_acronym_no_chunk_holds_is_not_corrected_and_its_meaning_is_searched_spelled_out(corpus_kb):
    """"neet" was read as Dutch, then as English corrected to "need"; the meaning search read "NEET" alone, which the
    model knows little of."""
    from kb.search.question import read_question

    neet = corpus_kb.search("neet")
    assert neet.query_language == "en" and not neet.corrections
    assert "Searched “neet” as “not in employment, education or training” too." in neet.notices
    asked = read_question(corpus_kb.reader(), "NEET youth")
    assert asked.meaning == "not in employment, education or training (NEET youth)"


def test_a_chunk_holds_an_acronym_where_it_writes_a_name_of_it_in_a_row(tmp_path, fake_embedder):
    """The words of "not in employment, education or training" are the commonest of a skills library: the chunks that
    hold them all apart put the one that says "NEET" third, and the confidence said "A top hit holds every word"."""
    from tests.conftest import small_kb

    apart = {"tvet.txt": "TVET and employment\n\nEducation and training systems prepare youth for employment. Training "
                         "and education reforms link employment services, education and training.",
             **{f"guide{i}.txt": f"Guide {i}\n\nEducation and training for employment in trade number {i}."
                for i in range(30)}}
    in_a_row = {"energy.txt": "Coal communities retrain\n\nA share of places is reserved for young people who are not "
                              "in employment, education or training."}
    (tmp_path / "both").mkdir()
    (tmp_path / "apart").mkdir()
    both = small_kb(tmp_path / "both", fake_embedder, {**apart, **in_a_row})
    assert both.search("NEET", mode="keyword").hits[0].doc_id == "energy.txt"
    assert both.search("neet", mode="keyword").confident
    alone = small_kb(tmp_path / "apart", fake_embedder, apart).search("neet", mode="keyword")
    assert not alone.confident and "neet" in alone.confidence_reason.lower()  # its words apart are no "NEET"


def test_a_name_is_held_in_its_plural_too():
    from kb.search.phrases import holds, words

    council = words("sector skills council")
    assert holds(["Sector skills councils were set up."], council, plurals=True)
    assert not holds(["Sector skills councils were set up."], council)  # a quoted phrase is held as written
    assert not holds(["sector skills and a council"], council, plurals=True)
