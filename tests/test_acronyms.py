"""Acronyms a question uses that no chunk holds are looked for by what they stand for too (kb/data/acronyms.tsv)."""

from __future__ import annotations

import pytest

from kb.search.acronyms import table

ILA_GUIDE = "skills-guides/lifelong-learning-entitlements-individual-learning-accounts.md"


def test_the_table_reads_each_acronym_with_its_names():
    assert table()["NEET"] == ("not in employment, education or training",)
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
