"""kb/langid.py tells a question's language as py3langid does, from a model unpacked once into kb's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.langid import QuestionLanguage

LANGUAGES = ("en", "fr", "es", "it", "nl")
QUESTIONS = Path(__file__).parent / "data" / "query_languages.tsv"
MORE = ["", "1234", "…", "COVID-19", "SKILLS FOR JOBS", "¿Qué es el aprendizaje?", "Lebanon", "kinderarbeid in de landbouw",
        "lavoro minorile e apprendistato", "Recognition of prior learning (RPL) for returning migrant workers in Nepal"]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    import os

    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("KB_CACHE")
    os.environ["KB_CACHE"] = str(cache)
    try:
        yield QuestionLanguage(LANGUAGES), cache
    finally:
        os.environ.pop("KB_CACHE") if old is None else os.environ.__setitem__("KB_CACHE", old)


def test_the_same_answers_as_py3langid(unpacked):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    reference.set_languages(list(LANGUAGES))
    ours, _ = unpacked
    questions = [line.split("\t")[-1] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")] if QUESTIONS.is_file() else []
    for question in [*questions, *MORE]:
        language, probability = ours.classify(question)
        expected, expected_probability = reference.classify(question)
        assert language == expected and probability == pytest.approx(expected_probability, abs=1e-4), question


def test_the_model_is_unpacked_once_and_then_opened_from_the_cache(unpacked, monkeypatch):
    _, cache = unpacked
    folders = list((cache / "langid").iterdir())
    assert len(folders) == 1 and {f.name for f in folders[0].iterdir()} == {f"{n}.npy" for n in ("nextmove", "rowbase", "output", "ptc", "pc")}
    import py3langid.modelio

    monkeypatch.setattr(py3langid.modelio, "load_model", lambda path: pytest.fail("unpacked again"))
    assert QuestionLanguage(LANGUAGES).classify("apprentissage des jeunes")[0] == "fr"


def test_a_question_is_told_without_importing_py3langid(unpacked):
    """py3langid and its logging cost ~5 ms of a `kb search`: once unpacked, its model is read without it."""
    import os
    import subprocess
    import sys

    _, cache = unpacked
    code = ("import sys\nfrom kb.langid import question_language\n"
            f"assert question_language({LANGUAGES!r}).classify('apprentissage des jeunes')[0] == 'fr'\n"
            "assert 'py3langid' not in sys.modules, 'imported'\n")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "KB_CACHE": str(cache), "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
