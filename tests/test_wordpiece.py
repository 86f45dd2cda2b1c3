"""kb/wordpiece.py gives tokenizers' own ids for plain-ASCII text, and leaves every other text to tokenizers."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from kb import wordpiece
from kb.embed import packaged_model_path
from tests.conftest import CORPUS, ROOT

SOURCE = (packaged_model_path() or Path("missing")) / "tokenizer.json"
pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="the packaged model is not installed")
MAX_LENGTH = 256


@pytest.fixture(scope="module")
def reference():
    """tokenizers, set up as kb's OnnxEmbedder sets it up."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(SOURCE))
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


@pytest.fixture()
def quick(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE", str(tmp_path))
    found = wordpiece.load(SOURCE)
    assert found is not None
    return found


def _texts() -> list[str]:
    """The corpus's paragraphs as written and folded to ASCII, and random ASCII: every character, control ones
    too, punctuation runs, words longer than WordPiece reads (100 characters), texts longer than the model's 256."""
    texts = []
    for file in sorted(CORPUS.rglob("*.md")):
        for paragraph in file.read_text(encoding="utf-8").split("\n\n"):
            texts += [paragraph, paragraph.encode("ascii", "ignore").decode()]
    rng = random.Random(17)
    pools = [[chr(i) for i in range(128)], string.printable, string.ascii_lowercase + string.punctuation + " \t\n", "ab#-"]
    for _ in range(4000):
        pool = rng.choice(pools)
        texts.append("".join(rng.choice(pool) for _ in range(rng.choice([1, 5, 30, 120, 2000]))))
    return texts + ["x" * 100, "x" * 101, "Minimum AGE, for hazardous-work?!", "[mask] is no special token", ""]


def test_the_ids_of_ascii_text_are_tokenizers_ids(quick, reference):
    texts = _texts()
    compared = 0
    for text in texts:
        mine = quick.ids(text, MAX_LENGTH)
        if mine is not None:
            assert mine == reference.encode(text).ids, text[:200]
            compared += 1
    assert compared > 0.9 * len(texts)


def test_other_text_is_left_to_tokenizers(quick):
    for text in ("âge minimum", "trabajo infantil en la agricultura — 2020", "what is [MASK]?", "[CLS] and [SEP]", "日本"):
        assert quick.ids(text, MAX_LENGTH) is None, text


def test_the_vocabulary_is_read_from_the_cache_and_a_damaged_copy_is_made_again(quick, reference, tmp_path):
    (cached,) = (tmp_path / "wordpiece").iterdir()
    text = cached.read_text(encoding="utf-8")
    cached.write_text(text[: len(text) // 2], encoding="utf-8")  # cut short, as by a full disk
    again = wordpiece.load(SOURCE)
    assert again is not None and cached.read_text(encoding="utf-8") == text
    question = "how can apprenticeships be made more inclusive?"
    assert again.ids(question, MAX_LENGTH) == reference.encode(question).ids


def test_a_tokenizer_of_another_kind_is_not_taken(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE", str(tmp_path / "cache"))
    spec = json.loads(SOURCE.read_text(encoding="utf-8"))
    spec["normalizer"] = {"type": "NFC"}  # cased, accents kept: not the rules kb writes out
    other = tmp_path / "tokenizer.json"
    other.write_text(json.dumps(spec), encoding="utf-8")
    assert wordpiece.load(other) is None
    assert wordpiece.load(other) is None  # and so remembered


@pytest.mark.slow
def test_a_one_shot_search_embeds_an_ascii_question_without_tokenizers():
    """The same token ids and vectors as the usual embedder's, and the tokenizers library never imported."""
    code = (
        "import sys, numpy as np\n"
        "from kb.embed import load_embedder\n"
        "q = ['minimum age for hazardous work', 'How can apprenticeships be made more inclusive? (ILO, 2019)']\n"
        "one_shot = load_embedder('all-MiniLM-L6-v2', 'onnx', 'fp32', threads=1, one_shot=True)\n"
        "vectors = one_shot.encode(q)\n"
        "assert 'tokenizers' not in sys.modules\n"
        "usual = load_embedder('all-MiniLM-L6-v2', 'onnx', 'fp32', threads=1)\n"
        "for mine, theirs in zip(one_shot._token_arrays(q), usual._token_arrays(q)):\n"
        "    assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), (mine, theirs)\n"
        "assert np.allclose(vectors, usual.encode(q), atol=1e-5)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
