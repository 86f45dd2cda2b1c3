"""`kb search` and `kb browse` share their filter flags and refuse unknown ones (exit 2, with the known values);
`kb similar` and `kb show` take an id or the path a shell completes; `kb serve` logs requests unless told not to."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from kb import KnowledgeBase, Settings
from kb.cli import main
from tests.conftest import CORPUS, ROOT, WordHashEmbedder

pytestmark = pytest.mark.slow

RPL = "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
FILTER_FLAGS = ("--type", "--topic", "--country", "--region", "--lang", "--year", "--since", "--until", "--where")


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> str:
    """corpus/ with the word-hash model: browse, similar, show and keyword search need no real model."""
    folder = tmp_path_factory.mktemp("cli-filters") / "index"
    assert not KnowledgeBase(Settings(index_dir=folder), embedder=WordHashEmbedder()).ingest([CORPUS]).failed
    return str(folder)


@pytest.fixture
def kb_cli(index) -> Iterator:
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, [args[0], "--index", index, *args[1:]])

    yield run


def _ids(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [h["doc_id"] for h in json.loads(result.stdout)["hits"]]


def test_search_and_browse_take_the_same_filter_flags():
    for command in ("search", "browse"):
        options = {o for p in main.commands[command].params for o in p.opts}
        assert set(FILTER_FLAGS) <= options, (command, set(FILTER_FLAGS) - options)


@pytest.mark.parametrize("spelt", ["tool report", "tool-report", "Tool Report", "tool_report"])
def test_a_type_as_results_print_it_filters_as_the_stored_type(kb_cli, spelt):
    assert _ids(kb_cli("browse", "--type", spelt, "--json")) == _ids(kb_cli("browse", "--type", "tool_report", "--json"))
    data = json.loads(kb_cli("search", "skills", "--mode", "keyword", "--type", spelt, "--json").stdout)
    assert data["filters"] == {"type": ["tool_report"]} and {h["type"] for h in data["hits"]} == {"tool_report"}


def test_topic_and_country_filter_search_as_they_filter_browse(kb_cli):
    browse = _ids(kb_cli("browse", "--topic", "apprenticeship", "--country", "Ghana", "--json"))
    assert browse == _ids(kb_cli("browse", "--where", "topics=apprenticeships", "--where", "country=GH", "--json"))
    search = kb_cli("search", "skills", "--mode", "keyword", "-k", "50", "--topic", "apprenticeship", "--country", "Ghana", "--json")
    assert sorted(_ids(search)) == sorted(browse)
    assert json.loads(search.stdout)["total"] == len(browse)


def test_a_topic_label_and_a_region_spelt_otherwise_name_theirs(kb_cli):
    label = _ids(kb_cli("browse", "--topic", "Skills and labour migration", "--json"))
    assert label and label == _ids(kb_cli("browse", "--topic", "skills-migration", "--json"))
    region = _ids(kb_cli("browse", "--region", "arab states", "--json"))
    assert region and region == _ids(kb_cli("browse", "--region", "Arab States", "--json"))


def test_a_subregion_filters_by_its_countries(kb_cli):
    """The region facet holds the ILO regions alone: `--region "West Africa"` was "the index has no region"."""
    west = ("BF", "BJ", "CI", "CV", "GH", "GM", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SL", "SN", "TG")
    found = _ids(kb_cli("browse", "--region", "West Africa", "--json"))
    assert found and found == _ids(kb_cli("browse", *(f for c in west for f in ("--country", c)), "--json"))
    assert found == _ids(kb_cli("browse", "--region", "Afrique de l'Ouest", "--json"))  # in French too
    assert _ids(kb_cli("browse", "--region", "West Africa", "--country", "Ghana", "--json")) == _ids(
        kb_cli("browse", "--country", "Ghana", "--json"))  # fields are AND-ed
    outside = kb_cli("browse", "--region", "West Africa", "--country", "Kenya")
    assert outside.exit_code == 2 and "no country given is in West Africa" in outside.output


def test_year_is_since_and_until_that_year(kb_cli):
    assert _ids(kb_cli("browse", "--year", "2024", "--json")) == _ids(kb_cli("browse", "--since", "2024", "--until", "2024", "--json"))
    assert kb_cli("browse", "--year", "2024", "--since", "2023").exit_code == 2


@pytest.mark.parametrize("args, says", [
    (["--type", "toolreport"], ["--type toolreport: the index has no type 'toolreport'", "Did you mean --type tool_report"]),
    (["--topic", "apprentice-ship-schemes"], ["--topic apprentice-ship-schemes", "Known values:", "apprenticeships"]),
    (["--country", "Narnia"], ["--country Narnia: the index has no country 'Narnia'"]),
    (["--lang", "xx"], ["--lang xx", "Known values: ", "en"]),
    (["--where", "colour=red"], ["--where colour=red: the index has no field 'colour'", "Fields: ", "country", "topic"]),
])
def test_an_unknown_filter_is_exit_2_with_what_is_known(kb_cli, args, says):
    for command in (["browse"], ["search", "skills", "--mode", "keyword"]):
        result = kb_cli(*command, *args)
        assert result.exit_code == 2, result.output
        for words in says:
            assert words in result.output, (words, result.output)


def test_a_known_value_without_documents_is_a_sentence_not_an_error(kb_cli):
    result = kb_cli("browse", "--country", "Japan")
    assert result.exit_code == 0, result.output
    assert "No documents match" in result.output
    assert _ids(kb_cli("search", "skills", "--mode", "keyword", "--country", "Japan", "--json")) == []


@pytest.mark.parametrize("ref", [RPL, f"corpus/{RPL}", f"./corpus/{RPL}", str(CORPUS / RPL)])
def test_similar_and_show_take_an_id_or_the_path_a_shell_completes(kb_cli, monkeypatch, ref):
    monkeypatch.chdir(ROOT)  # where `kb` runs from in the README: corpus/… completes from here
    similar = json.loads(kb_cli("similar", ref, "--json").stdout)
    assert similar["query"] == f"similar:{RPL}" and similar["hits"]
    show = kb_cli("show", ref, "--json")
    assert show.exit_code == 0, show.output
    assert json.loads(show.stdout)["doc_id"] == RPL and json.loads(show.stdout)["outline"]


def test_a_path_from_another_folder_and_a_cut_id(kb_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # corpus/… does not complete from here, but it still ends in an id
    assert kb_cli("show", f"corpus/{RPL}").exit_code == 0
    cut = kb_cli("similar", "recognition-of-prio…")
    assert cut.exit_code == 1 and f"Did you mean '{RPL}'?" in cut.output, cut.output
    text = kb_cli("show", RPL)
    assert f"doc_id:    {RPL}" in text.output and "topics_auto" not in text.output
    assert "outline:" in text.output and "1. Introduction" in text.output  # where the text lives, heading by heading


def test_serve_logs_requests_unless_told_not_to():
    import uvicorn

    from kb.api.serve import log_config

    assert "--no-access-log" in {o for p in main.commands["serve"].params for o in p.secondary_opts}
    for on, level in ((True, logging.INFO), (False, logging.WARNING)):
        config = uvicorn.Config(lambda scope, receive, send: None, log_level=None, log_config=log_config(on), access_log=on)
        config.configure_logging()
        assert logging.getLogger("uvicorn.access").getEffectiveLevel() == level
        assert logging.getLogger("uvicorn.error").getEffectiveLevel() == logging.WARNING  # kb prints where it listens
