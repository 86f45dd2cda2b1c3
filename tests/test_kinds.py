"""Document types a question names: "press release about Nepal", "toolkits", "communiqués de presse"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.records import Filters
from kb.search.kinds import named, only_kind
from kb.search.snippets import query_terms

NEPAL = "press-releases/2021-07-nepal-rpl-returning-migrant-workers.txt"
LANGUAGES = ("en", "fr", "es")


@pytest.mark.parametrize(("question", "kind", "written"), [
    ("press release about Nepal", "press_release", "press release"),
    ("Press-Releases on apprenticeships", "press_release", "Press-Releases"),
    ("news on the apprenticeship recommendation", "press_release", "news"),
    ("communiqués de presse sur l'apprentissage", "press_release", "communiqués de presse"),
    ("communique de presse", "press_release", "communique de presse"),  # typed without its accents
    ("comunicados de prensa", "press_release", "comunicados de prensa"),
    ("actualités de l'OIT", "press_release", "actualités"),
    ("toolkits on RPL", "tool_report", "toolkits"),
    ("a tool-kit for SMEs", "tool_report", "tool-kit"),
    ("boîte à outils apprentissage", "tool_report", "boîte à outils"),
    ("caja de herramientas", "tool_report", "caja de herramientas"),
    ("skills guides for TVET", "skills_guide", "skills guides"),
])
def test_a_type_named_in_a_question_is_read_as_written(question, kind, written):
    assert named(question) == {kind: written}


@pytest.mark.parametrize("question", [
    "guide to skills anticipation",  # a tool report calls itself a guide
    "a participatory tool for foresight",
    "newsletter of the programme",
    "newsroom",
    "skills needs",
])
def test_names_that_do_not_mean_one_type_are_not_read(question):
    assert named(question) == {}


@pytest.mark.parametrize(("question", "listed"), [
    ("press releases", ("press_release", None)),
    ("latest press releases", ("press_release", None)),
    ("ILO press releases from 2023", ("press_release", "2023")),
    ("derniers communiqués de presse", ("press_release", None)),
    ("últimos comunicados de prensa", ("press_release", None)),
    ("toolkits", ("tool_report", None)),
    ("press release about Nepal", None),  # about something
    ("press releases and toolkits", None),  # two types
    ("press releases 2022 2023", None),  # two years
    ("what happened in 2023", (None, "2023")),  # a year and nothing else: everything of that year
    ("documents from 2023", (None, "2023")),
    ("publications de 2023", (None, "2023")),
    ("apprenticeships 2023", None),  # about something
    ("latest", None),  # neither a type nor a year
])
def test_a_question_naming_a_type_and_nothing_else_asks_for_a_listing(question, listed):
    assert only_kind(question, query_terms(question, LANGUAGES), LANGUAGES) == listed


@pytest.mark.slow
def test_a_hit_of_the_type_named_holds_the_types_name(corpus_kb):
    """Before, the Nepal press release came first and the search said: No confident match: no passage holds
    “press release”."""
    result = corpus_kb.search("press release about Nepal", k=5)
    assert result.hits[0].doc_id == NEPAL and result.confident
    assert "To see press releases alone, filter by the type “press release”." in result.notices
    filtered = corpus_kb.search("press release about Nepal", k=5, filters=Filters(types=("press_release",)))
    assert filtered.confident and not any("filter by the type" in n for n in filtered.notices)


@pytest.mark.slow
def test_a_question_naming_only_a_type_lists_it_newest_first(corpus_kb):
    result = corpus_kb.search("latest press releases", k=4)
    browsed = corpus_kb.browse(Filters(types=("press_release",)), k=4)
    assert result.mode == "browse" and result.query == "latest press releases"
    assert [h.doc_id for h in result.hits] == [h.doc_id for h in browsed.hits] and result.total == browsed.total
    assert result.notices == ("The question names a type of document: listed the press releases, newest first.",)
    dated = corpus_kb.search("press releases from 2023", k=10)
    assert dated.hits and all(h.type == "press_release" and h.date.startswith("2023") for h in dated.hits)
    assert dated.notices == ("The question names a type of document: listed the press releases of 2023, newest first.",)
    # a type the filters name already is theirs to say: the question is searched
    assert corpus_kb.search("latest press releases", k=4, filters=Filters(types=("tool_report",))).mode == "hybrid"


@pytest.mark.slow
def test_a_question_naming_only_a_year_lists_that_years_documents(corpus_kb):
    """"what happened in 2023" said "No confident match: no passage holds all of “happened 2023”"."""
    result = corpus_kb.search("what happened in 2023", k=20)
    assert result.mode == "browse" and result.hits and all(h.date.startswith("2023") for h in result.hits)
    assert {h.type for h in result.hits} >= {"press_release", "skills_guide"}
    assert result.total == corpus_kb.browse(Filters(since="2023", until="2023"), k=1).total
    assert result.notices == ("The question names a year and nothing else: listed the documents of 2023, newest first.",)
    assert corpus_kb.search("2023", k=3, filters=Filters(since="2020")).mode == "hybrid"  # the filters give the dates
    assert corpus_kb.search("what happened in 1999", k=3).mode == "hybrid"  # no document of that year: searched


@pytest.mark.slow
def test_the_cli_prints_a_listing_with_its_notice(corpus_kb):
    run = CliRunner().invoke(main, ["search", "--index", str(corpus_kb.settings.index_dir), "-k", "2", "toolkits"])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("The question names a type of document: listed the tool reports, newest first.")
    assert "showing 2" in run.output and "score" not in run.output


@pytest.mark.slow
def test_the_api_answers_a_type_with_a_listing_and_says_so(corpus_kb):
    from fastapi.testclient import TestClient

    from kb.api.app import create_app

    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as client:
        listed = client.get("/search", params={"q": "comunicados de prensa", "k": 3}).json()
        searched = client.get("/search", params={"q": "press release about Nepal", "k": 3}).json()
    assert listed["mode"] == "browse" and listed["filters"] == {"type": ["press_release"]} and listed["total"] >= 3
    assert listed["notices"] == ["The question names a type of document: listed the press releases, newest first."]
    assert all(h["type"] == "press_release" and h["cite_url"] for h in listed["hits"])
    assert searched["confident"] and searched["hits"][0]["doc_id"] == NEPAL


@pytest.mark.slow
@pytest.mark.parametrize(("given", "kind"), [("toolkit", "tool_report"), ("toolkits", "tool_report"), ("news", "press_release"),
                                             ("guides", "skills_guide"), ("Press release", "press_release")])
def test_a_type_filter_takes_the_names_a_documents_metadata_may_give_it(corpus_kb, given, kind):
    """`--type toolkit` said "the index has no type 'toolkit'", though a document whose metadata says Toolkit is a
    tool report."""
    result = corpus_kb.search("apprenticeships", k=5, filters=Filters(types=(given,)))
    assert result.hits and {h.type for h in result.hits} == {kind} and result.filters == {"type": [kind]}


@pytest.mark.parametrize(("question", "dates", "said"), [
    ("press releases from 2024 about apprenticeships", ["2023-06-16", "2024-02-26"], "2024"),
    ("apprentissage en 2023", ["2022-05-10"], "2023"),
    ("press releases from 2024 about apprenticeships", ["2024-02-26", "2024-05-01"], None),  # every hit of it
    ("Worst Forms of Child Labour Convention, 1999", ["2021-01-01"], None),  # a name's year, not one asked for
    ("skills from 2022 to 2024", ["2021-01-01"], None),  # two years: a range, not one
])
def test_a_year_the_question_asks_for_is_a_filter_it_is_told_of(question, dates, said):
    from kb.search.kinds import year_notice

    expected = f"To see documents of {said} alone, filter by the year {said}." if said else None
    assert year_notice(question, dates) == expected


@pytest.mark.slow
def test_a_search_naming_a_year_says_which_filter_shows_it(corpus_kb):
    """"press releases from 2024 about apprenticeships" ranked a 2023 press release first and said nothing of 2024."""
    result = corpus_kb.search("press releases from 2024 about apprenticeships", k=5)
    assert "To see documents of 2024 alone, filter by the year 2024." in result.notices
    filtered = corpus_kb.search("press releases from 2024 about apprenticeships", k=5,
                                filters=Filters(since="2024", until="2024"))
    assert not any("filter by the year" in n for n in filtered.notices)


@pytest.mark.parametrize(("question", "languages", "said"), [
    ("skills guides in French", ["en", "fr"], "French"),
    ("documents en español sobre aprendizaje", ["en"], "Spanish"),
    ("guides en francais", ["en"], "French"),  # typed without its accents
    ("skills guides in French", ["fr", "fr"], None),  # every hit in it
    ("French skills guides", ["en"], None),  # not asked as "in French"
    ("guides in French or in Spanish", ["en"], None),  # two: no one filter
])
def test_a_language_the_question_asks_for_is_a_filter_it_is_told_of(question, languages, said):
    from kb.search.kinds import language_notice

    expected = f"To see documents in {said} alone, filter by the language “{said}”." if said else None
    assert language_notice(question, languages) == expected


@pytest.mark.slow
def test_a_search_asking_for_a_language_says_which_filter_shows_it(corpus_kb):
    """"skills guides in French" showed English guides and said nothing of French; filtered to French, it said "No
    confident match: no passage holds “french”"."""
    result = corpus_kb.search("skills guides in French", k=5)
    assert "To see documents in French alone, filter by the language “French”." in result.notices
    filtered = corpus_kb.search("skills guides in French", k=5, filters=Filters(languages=("fr",)))
    assert filtered.hits and filtered.confident and not any("filter by the language" in n for n in filtered.notices)
