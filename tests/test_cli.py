"""The `kb` command through click's runner: exit codes, text and --json."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from kb.cli import main
from tests.conftest import CORPUS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_lists_the_commands(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("ingest", "search", "info"):
        assert command in result.output


def test_search_without_an_index_says_how_to_build_one(runner, tmp_path):
    result = runner.invoke(main, ["search", "--index", str(tmp_path / "none"), "apprenticeships"])
    assert result.exit_code == 1
    assert f"No index at {tmp_path / 'none'}. Run: kb ingest corpus/" in result.output


def test_the_commands_that_run_on_turn_the_garbage_collector_back_on(runner, tmp_path):
    """`python -m kb` (kb/__main__.py) starts without the cyclic garbage collector, for a one-shot search; a command
    that runs on (ingest, reindex, serve, eval) turns it back on before its work."""
    import gc

    missing = str(tmp_path / "none")
    try:
        gc.disable()
        runner.invoke(main, ["search", "--index", missing, "apprenticeships"])
        assert not gc.isenabled()
        runner.invoke(main, ["reindex", "--index", missing])  # fails (no index), after the group has decided
        assert gc.isenabled()
    finally:
        gc.enable()


def test_empty_query_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["search", "--index", str(tmp_path), "   "])
    assert result.exit_code == 2
    assert "empty" in result.output


@pytest.mark.slow
def test_search_json_has_the_promised_fields(runner, corpus_kb):
    index = str(corpus_kb.settings.index_dir)
    result = runner.invoke(main, ["search", "--index", index, "--json", "-k", "3", "certifying skills of returning migrant workers"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["hits"]) == 3 and isinstance(data["confident"], bool) and "type" in data["facets"]
    for hit in data["hits"]:
        for field in ("doc_id", "title", "type", "date", "source", "page", "score", "snippet", "chunk_id"):
            assert field in hit
    assert data["hits"][0]["doc_id"] == "press-releases/2021-07-nepal-rpl-returning-migrant-workers.txt"


@pytest.mark.slow
def test_search_text_output_shows_title_citation_and_snippet(runner, corpus_kb):
    index = str(corpus_kb.settings.index_dir)
    result = runner.invoke(main, ["search", "--index", index, "-k", "2", "which assessment methods does RPL use?"])
    assert result.exit_code == 0, result.output
    assert "Recognition of Prior Learning" in result.output
    assert "page " in result.output


@pytest.mark.slow
def test_search_filters_by_type(runner, corpus_kb):
    index = str(corpus_kb.settings.index_dir)
    result = runner.invoke(main, ["search", "--index", index, "--json", "--type", "press_release", "apprenticeships"])
    assert result.exit_code == 0, result.output
    assert {h["type"] for h in json.loads(result.output)["hits"]} == {"press_release"}


@pytest.mark.slow
def test_info_json(runner, corpus_kb):
    result = runner.invoke(main, ["info", "--index", str(corpus_kb.settings.index_dir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["documents"] >= 24 and data["model"] == "all-MiniLM-L6-v2" and data["dimension"] == 384


@pytest.mark.slow
def test_ingest_reports_failures_and_exit_codes(runner, tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS / "tool-reports", folder)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    index = str(tmp_path / "index")
    result = runner.invoke(main, ["ingest", str(folder), "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["added"] >= 5 and report["counts"]["failed"] == 1
    assert report["failed"][0]["path"].endswith("corrupt.pdf")

    again = runner.invoke(main, ["ingest", str(folder), "--index", index])
    assert again.exit_code == 0, again.output
    assert "Nothing changed" in again.stdout or "0 chunk(s) embedded" in again.stdout

    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.pdf").write_bytes(b"junk")
    result = runner.invoke(main, ["ingest", str(only_bad), "--index", str(tmp_path / "other")])
    assert result.exit_code == 1
    assert "nothing could be ingested" in result.output


@pytest.mark.slow
def test_similar_lists_other_documents(runner, corpus_kb):
    doc = "tool-reports/recognition-of-prior-learning-rpl-toolkit.pdf"
    result = runner.invoke(main, ["similar", "--index", str(corpus_kb.settings.index_dir), "--json", "-k", "3", doc])
    assert result.exit_code == 0, result.output
    ids = [h["doc_id"] for h in json.loads(result.output)["hits"]]
    assert len(ids) == 3 and doc not in ids
    missing = runner.invoke(main, ["similar", "--index", str(corpus_kb.settings.index_dir), "nope.pdf"])
    assert missing.exit_code == 1 and "No document 'nope.pdf'" in missing.output


@pytest.mark.slow
def test_browse_and_topics(runner, corpus_kb):
    index = str(corpus_kb.settings.index_dir)
    result = runner.invoke(main, ["browse", "--index", index, "--json", "--topic", "apprenticeships", "--type", "tool_report"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["hits"] and all(h["type"] == "tool_report" and "apprenticeships" in h["metadata"]["topics"] for h in data["hits"])
    assert data["offset"] == 0  # the API's browse record: the CLI shows the first page
    topics = json.loads(runner.invoke(main, ["topics", "--index", index, "--json"]).output)
    assert len(topics) >= 20 and all({"id", "label", "documents"} <= set(t) for t in topics)
    ghana = json.loads(runner.invoke(main, ["browse", "--index", index, "--json", "--country", "Ghana"]).output)
    assert ghana["hits"] and all("GH" in h["metadata"]["countries"] for h in ghana["hits"])


@pytest.mark.slow
def test_browse_text_shows_every_id_whole(runner, corpus_kb, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    index = str(corpus_kb.settings.index_dir)
    ids = [h["doc_id"] for h in json.loads(runner.invoke(main, ["browse", "--index", index, "--json"]).output)["hits"]]
    result = runner.invoke(main, ["browse", "--index", index])
    assert result.exit_code == 0, result.output
    lines = {line.strip() for line in result.output.splitlines()}
    assert ids and all(doc_id in lines for doc_id in ids)


@pytest.mark.slow
def test_search_text_wraps_under_its_text_at_the_piped_width(runner, corpus_kb, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    index = str(corpus_kb.settings.index_dir)
    result = runner.invoke(main, ["search", "--index", index, "-k", "3", "how can apprenticeships be made more inclusive?"])
    assert result.exit_code == 0, result.output
    hits = json.loads(runner.invoke(main, ["search", "--index", index, "--json", "-k", "3",
                                           "how can apprenticeships be made more inclusive?"]).output)["hits"]
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 120
    assert any(len(line) > 100 for line in lines)  # the piped width is wider than the old 80 columns
    heads = [i for i, line in enumerate(lines) if re.match(r" ?\d+\. ", line)]
    assert len(heads) == 3
    body = [line for i, line in enumerate(lines[heads[0]:-1], start=heads[0]) if i not in heads]
    assert all(line.startswith("    ") for line in body)  # every line after a hit's head starts under its text
    assert all(any(line.startswith(f"    {h['doc_id']}") for line in lines) for h in hits)


@pytest.mark.slow
def test_a_one_shot_search_loads_only_what_it_needs(corpus_kb):
    """`kb search` in a process of its own: numpy's BLAS started with one thread (no pool of threads to start, and no
    threadpoolctl to limit it), and nothing loaded that the search does not use: not the index writer, not tempfile,
    not difflib (an error's suggestions), not shutil (and its zlib, bz2, lzma). (The country table is read: a question
    typed in lower case may name a country in lower case, ~7 ms.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import atexit, runpy, sys\n"
        "def after():\n"
        "    loaded = [m for m in ('kb.index.writer', 'tempfile', 'threadpoolctl', 'difflib', 'shutil') if m in sys.modules]\n"
        "    from threadpoolctl import threadpool_info\n"
        "    blas = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "    print('AFTER', loaded, blas, file=sys.stderr)\n"
        "atexit.register(after)\n"
        f"sys.argv = ['kb', 'search', '--index', {str(corpus_kb.settings.index_dir)!r}, '--json', 'apprenticeships for women']\n"
        "runpy.run_module('kb', run_name='__main__')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["hits"]
    assert done.stderr.strip().splitlines()[-1] == "AFTER [] [1]", done.stderr[-2000:]
