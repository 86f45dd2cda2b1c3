"""The compiled search modules (kb/native.py): used only when built from the sources at hand, and answering as the
Python sources answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES

import pytest

import kb.search.snippets
from kb import native
from kb.records import to_dict

from .conftest import ROOT, load_questions

COMPILED = not native.status()


def _built(folder, text: str) -> str:
    folder.mkdir(exist_ok=True)
    (folder / native.STAMP).write_text(text, encoding="utf-8")
    return str(folder)


def test_a_build_of_these_sources_is_used_and_one_of_others_is_not(tmp_path, monkeypatch):
    monkeypatch.delenv("KB_NATIVE", raising=False)
    now = native.stamp()
    assert native.status(_built(tmp_path / "same", now)) == ""
    first = now.splitlines()[1]  # "<crc32> kb/search/snippets.py"
    edited = now.replace(first, "00000000 " + first.split(" ", 1)[1])
    assert native.status(_built(tmp_path / "edited", edited)) == "sources changed since the build: kb/search/snippets.py"
    other = now.replace(sys.implementation.cache_tag, "cpython-399", 1)
    assert native.status(_built(tmp_path / "other", other)).startswith("built for cpython-399")
    assert native.status(str(tmp_path / "none")).startswith("no build in")
    monkeypatch.setenv("KB_NATIVE", "0")
    assert native.status(_built(tmp_path / "same", now)) == "KB_NATIVE=0"


def test_a_stale_build_is_not_put_on_the_import_path(tmp_path):
    before = list(sys.meta_path)
    assert native.install(_built(tmp_path / "stale", "cpython-000\n")) is False
    assert sys.meta_path == before


@pytest.mark.skipif(not COMPILED, reason=f"the search modules are not compiled here: {native.status()}")
def test_the_compiled_modules_are_the_ones_imported():
    assert kb.search.snippets.__file__.endswith(EXTENSION_SUFFIXES[0])
    assert kb.search.snippets.__file__.startswith(native.folder())


SEARCH = """
import json, sys
from kb import KnowledgeBase, Settings
from kb.records import to_dict
kb = KnowledgeBase(Settings(index_dir=sys.argv[1], result_cache=0))
out = []
for line in sys.stdin:
    for mode in ("hybrid", "keyword"):
        result = to_dict(kb.search(line.strip(), k=5, mode=mode))
        result.pop("took_ms")
        out.append(result)
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(not COMPILED, reason=f"the search modules are not compiled here: {native.status()}")
def test_compiled_and_python_sources_answer_alike(corpus_kb):
    """Every answer to the repo's corpus/ questions, whole (hits, scores, passages, marks, facets, confidence), from
    this process (compiled) and from one running the Python sources (KB_NATIVE=0)."""
    questions = [q["query"] for q in load_questions()]
    here = []
    for question in questions:
        for mode in ("hybrid", "keyword"):
            result = to_dict(corpus_kb.search(question, k=5, mode=mode))
            result.pop("took_ms")
            here.append(result)
    env = {**os.environ, "KB_NATIVE": "0", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", SEARCH, str(corpus_kb.settings.index_dir)], input="\n".join(questions),
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    python = json.loads(run.stdout)
    assert len(python) == len(here) == 2 * len(questions)
    assert [a for a, b in zip(python, json.loads(json.dumps(here))) if a != b] == []
