"""ILO instruments named by their numbers: "C182", "Convention No. 138", "R208" are searched by their titles too."""

from __future__ import annotations

import pytest

from kb.search.instruments import named_in, titles

R208 = "press-releases/2023-06-quality-apprenticeships-recommendation-adopted.html"


@pytest.mark.parametrize(("question", "written", "code"), [
    ("C182", "C182", "C182"),
    ("what does c138 say", "c138", "C138"),
    ("ILO C. 182 ratification", "ILO C. 182", "C182"),
    ("c-190 harassment", "c-190", "C190"),
    ("Convention No. 87", "Convention No. 87", "C087"),
    ("convenio núm. 189 trabajadoras domésticas", "convenio núm. 189", "C189"),
    ("la convention n° 182", "convention n° 182", "C182"),
    ("Recommendation 204 informal economy", "Recommendation 204", "R204"),
    ("R.208", "R.208", "R208"),
    ("P029 forced labour", "P029", "P029"),
    ("Protocol 29", "Protocol 29", "P029"),
    ("MLC, 2006 seafarers", "MLC, 2006", "MLC"),
    ("C13 white lead", "C13", "C013"),  # every convention now, not only the most cited ones
    ("Convention No. 146", "Convention No. 146", "C146"),
    ("convenio 27 peso de los fardos", "convenio 27", "C027"),
])
def test_an_instrument_named_by_its_number_is_searched_by_its_title(question, written, code):
    named = named_in(question)
    assert list(named) == [written] and named[written].startswith(titles()[code])


@pytest.mark.parametrize("question", [
    "p 29 of the report",  # a page
    "C1 level French course",  # a language level
    "COVID-19 impact on apprentices",
    "convention 1930",  # a year
    "C999 and R999",  # no such instruments
    "Minimum Age Convention No. 138",  # named by its title already
    "Protocol 2014",
])
def test_what_is_not_an_instrument_or_already_named_by_its_title_is_left_as_written(question):
    assert named_in(question) == {}


def test_the_table_is_well_formed():
    table = titles()
    assert all(t.endswith(tuple(f", {year}" for year in range(1919, 2025))) for t in table.values())
    assert {f"C{n:03d}" for n in range(1, 191)} <= set(table)  # every convention, as NORMLEX titles them
    assert table["C182"] == "Worst Forms of Child Labour Convention, 1999" and table["R208"].startswith("Quality Apprenticeships")


@pytest.mark.slow
def test_a_recommendation_asked_by_its_number_finds_the_documents_that_cite_it_by_title(corpus_kb):
    result = corpus_kb.search("R208", k=3)
    assert result.hits[0].doc_id == R208 and result.confident
    assert "Searched “R208” as “Quality Apprenticeships Recommendation, 2023 (No. 208, R208)” too." in result.notices
    marked = {p.snippet[a:b].lower() for h in result.hits for p in h.passages for a, b in p.highlights}
    assert {"recommendation", "208"} <= marked
    quoted = corpus_kb.search('"R208"', k=3)  # in quotes: as typed, and no document writes it so
    assert not quoted.hits and not quoted.notices


@pytest.mark.parametrize(("question", "written", "about"), [
    ("SDG 8.7", "SDG 8.7", "eradicate forced labour"),
    ("What is SDG 8.7.", "SDG 8.7", "eradicate forced labour"),  # a sentence's full stop
    ("SDG target 8.7 child labour", "SDG target 8.7", "modern slavery"),
    ("indicator 8.6.1", "indicator 8.6.1", "not in education, employment or training"),
    ("Alliance 8.7 pathfinder countries", "Alliance 8.7", "human trafficking"),
    ("ODS 8.5", "ODS 8.5", "decent work for all"),
])
def test_an_sdg_target_or_indicator_is_searched_by_what_it_is_about(question, written, about):
    named = named_in(question)
    assert list(named) == [written] and named[written].startswith(f"{written}: ") and about in named[written]


@pytest.mark.parametrize("question", ["8.7 million children work", "SDG 17.1", "unemployment rate SDG indicator 8.5.2"])
def test_a_quantity_an_sdg_outside_the_table_or_one_named_already_is_left_as_written(question):
    assert named_in(question) == {}


@pytest.mark.parametrize(("question", "title"), [
    ("R60 and apprenticeship contracts", "Apprenticeship Recommendation, 1939 (No. 60, R60)"),
    ("Recommendation No. 189 on small firms", "Job Creation in Small and Medium-Sized Enterprises Recommendation, 1998 "
                                             "(No. 189, R189)"),
])
def test_the_skills_and_employment_recommendations_are_read_by_number(question, title):
    from kb.search.instruments import named_in

    assert title in named_in(question).values()
