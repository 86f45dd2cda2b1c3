"""Countries named in the languages kb analyses: metadata's "Sénégal", "Maroc" or "Italia" gives the country, in any
case and with or without accents; a value kb cannot place is a warning in the ingest report, not silently dropped; a
misspelt --country is offered the close names; dates that end before they begin are said so, in the CLI and the API
in the same words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api.app import create_app
from kb.cli import main
from kb.ingest.enrich import DATA, countries, normalise_countries
from tests.conftest import WordHashEmbedder

SENEGAL = """---
title: "Des formations courtes pour les jeunes de l'économie informelle"
date: 2024-02-12
language: fr
countries: [Sénégal]
---

# Des formations courtes pour les jeunes

À Dakar et à Thiès, des jeunes apprentis de l'économie informelle suivent des formations courtes en électricité.
"""
ATLANTIS = "Apprenticeships on an island\n\nApprentices learn boat building and net mending on the island."


def test_a_country_name_is_read_in_any_case_with_or_without_accents_and_in_five_languages():
    table = countries()
    for value in ("Senegal", "Sénégal", "SÉNÉGAL", "senegal", " Sénégal ", "SN", "SEN"):
        assert table.lookup(value).code == "SN", value
    assert {v: table.lookup(v).code for v in ("Maroc", "Marruecos", "Marokko", "Perú", "Pérou", "Bénin", "Italia",
                                                "Italie", "Kenia", "Côte d’Ivoire", "Costa d'Avorio", "Ivoorkust")} == {
        "Maroc": "MA", "Marruecos": "MA", "Marokko": "MA", "Perú": "PE", "Pérou": "PE", "Bénin": "BJ", "Italia": "IT",
        "Italie": "IT", "Kenia": "KE", "Côte d’Ivoire": "CI", "Costa d'Avorio": "CI", "Ivoorkust": "CI"}
    assert table.lookup("Narnia") is None
    codes, regions, unknown = normalise_countries(("Sénégal", "Maroc", "Narnia", "Senegal"), "L’Italia nei cent’anni dell’OIL")
    assert codes == ("SN", "MA", "IT") and regions == ("Africa", "Europe and Central Asia") and unknown == ("Narnia",)


def test_a_french_question_naming_maroc_is_read_as_morocco():
    table = countries()
    named = table.named_in("Quelles formations pour les jeunes au Maroc et au Sénégal ?")
    assert named == ["Maroc", "Sénégal"] and [table.lookup(n).code for n in named] == ["MA", "SN"]
    assert table.named_in("formations au maroc") == ["Maroc"]  # typed without capitals: as the table writes it
    assert table.named_in("Apprentissage en Cote d’Ivoire") == ["Cote d’Ivoire"]  # as the question writes it
    assert [c.code for c in table.in_text("Formation au Sénégal, au Bénin et en Côte d’Ivoire")] == ["SN", "BJ", "CI"]


def test_names_from_other_languages_add_no_country_to_a_lower_case_english_question():
    table = countries()
    assert table.named_in("chili farming cooperatives") == []  # French for Chile, an everyday word in English
    assert table.named_in("Le Chili et le Pérou") == ["Chili", "Pérou"]
    assert table.named_in("a grenade and a norfolk jacket") == [] and table.lookup("Granada") is None  # left out


def test_every_name_of_the_table_names_its_own_country_only():
    """A name (folded as kb compares them) that two rows give would silently belong to the first: none may."""
    rows = (DATA / "countries.tsv").read_text(encoding="utf-8").splitlines()[1:]
    table = countries()
    for row in rows:
        code, name, _, _, aliases = row.split("\t")
        for given in [name, *filter(None, aliases.split("|"))]:
            assert table.lookup(given).code == code, (given, code)


def test_the_table_holds_every_cldr_name_its_generator_adds():
    pytest.importorskip("babel")
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tools" / "countries" / "add_cldr_names.py"
    spec = importlib.util.spec_from_file_location("add_cldr_names", path)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    _, rows = tool.read_table(tool.TABLE)
    add, notes = tool.plan(rows)
    assert not any(add.values()) and notes == []  # rerun: PYTHONPATH=. python tools/countries/add_cldr_names.py


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> tuple[KnowledgeBase, str, object]:
    """A Markdown document with `countries: [Sénégal]` front matter and a text file whose sidecar names 'Atlantis'."""
    root = tmp_path_factory.mktemp("countries")
    docs = root / "docs"
    docs.mkdir()
    (docs / "senegal.md").write_text(SENEGAL, encoding="utf-8")
    (docs / "atlantis.txt").write_text(ATLANTIS, encoding="utf-8")
    (docs / "atlantis.meta.json").write_text(json.dumps({"countries": ["Atlantis", "Ghana"]}), encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=root / "index"), embedder=WordHashEmbedder())
    report = kb.ingest([docs])
    assert not report.failed, report.failed
    return kb, str(root / "index"), report


def _cli(index: str, *args: str):
    return CliRunner().invoke(main, [args[0], "--index", index, *args[1:]])


def test_a_document_whose_metadata_says_senegal_in_french_is_found_with_country_sn(indexed):
    kb, index, _ = indexed
    for given in ("SN", "Senegal", "Sénégal", "SENEGAL"):
        result = _cli(index, "browse", "--country", given, "--json")
        assert result.exit_code == 0, result.output
        assert [h["doc_id"] for h in json.loads(result.stdout)["hits"]] == ["senegal.md"], given
    result = _cli(index, "search", "jeunes formations", "--mode", "keyword", "--country", "SN", "--json")
    assert [h["doc_id"] for h in json.loads(result.stdout)["hits"]] == ["senegal.md"]
    assert kb.document("senegal.md").metadata["countries"] == ("SN",)


def test_a_country_kb_cannot_place_is_an_ingest_warning_naming_the_file_and_the_value(indexed):
    kb, _, report = indexed
    assert [Path(w.path).name for w in report.warnings] == ["atlantis.txt"]
    assert any("'Atlantis'" in said and "kb/data/countries.tsv" in said for said in report.warnings[0].warnings)
    assert kb.document("atlantis.txt").metadata["countries"] == ("GH",)  # the value kb knows is kept


@pytest.mark.parametrize("cli_args, params, cli_says, api_says", [
    (["--country", "Ghanna"], {"country": "Ghanna"},
     "--country Ghanna: the index has no country 'Ghanna'. Did you mean --country Ghana or",
     "country=Ghanna: the index has no country 'Ghanna'. Did you mean country=Ghana or"),
    (["--country", "Sénégl"], {"country": "Sénégl"}, "Did you mean --country Senegal", "Did you mean country=Senegal"),
    (["--since", "2025", "--until", "2020"], {"since": "2025", "until": "2020"},
     "--since 2025 --until 2020: the date range ends before it begins, so no document could pass. "
     "Did you mean --since 2020 --until 2025?",
     "since=2025 until=2020: the date range ends before it begins, so no document could pass. "
     "Did you mean since=2020 until=2025?"),
])
def test_a_misspelt_country_and_backwards_dates_are_said_in_the_same_words_by_the_cli_and_the_api(
        indexed, cli_args, params, cli_says, api_says):
    kb, index, _ = indexed
    result = _cli(index, "search", "skills", "--mode", "keyword", *cli_args)
    assert result.exit_code == 2 and cli_says in " ".join(result.output.split()), result.output
    response = TestClient(create_app(kb.settings, kb=kb)).get("/search", params={"q": "skills", "mode": "keyword", **params})
    assert response.status_code == 400 and api_says in response.json()["error"]["message"], response.json()
    # One sentence, each edge writing the filters its own way.
    assert re.sub(r"--(\w+) ", r"\1=", cli_says) == api_says


def test_dates_within_one_another_are_not_backwards():
    from kb.records import Filters
    from kb.search.filters import KnownValues, resolve

    known = KnownValues.build({})
    assert resolve(Filters(since="2020-05", until="2020"), known).since == "2020-05"
    assert resolve(Filters(since="2020", until="2020-01-31"), known).until == "2020-01-31"


def test_a_country_typed_otherwise_is_held_by_a_passage_that_writes_the_table_name(tmp_path, fake_embedder):
    """"cocoa farms in Ivory Coast" said "no passage holds “ivory coast”" over a passage on Côte d'Ivoire's cocoa farms;
    "cote divoire" (typed without its apostrophe) named no country."""
    from tests.conftest import small_kb

    kb = small_kb(tmp_path, fake_embedder, {
        "cocoa.txt": "Cocoa farming\n\nChildren work on cocoa farms in Côte d'Ivoire during the harvest.",
        **{f"guide{i}.txt": f"Guide {i}\n\nApprentices learn trade number {i} at work." for i in range(6)}})
    for question in ("cocoa farms in Ivory Coast", "cocoa farms in cote divoire"):
        result = kb.search(question, mode="keyword")
        assert result.hits[0].doc_id == "cocoa.txt", question
        assert result.confidence_reason == "A top hit holds every word of the question.", question
        assert any("as “Côte d'Ivoire” too" in n for n in result.notices)
