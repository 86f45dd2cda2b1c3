"""Embedding backends: ONNX fp32 reproduces torch; the search path never imports torch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from kb.embed import load_embedder
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow


def _texts() -> list[str]:
    from kb.ingest.chunking import split_sentences
    from kb.ingest.text import load_markdown

    loaded = load_markdown(CORPUS / "skills-guides" / "inclusive-apprenticeships-persons-with-disabilities.md")
    sentences = [s for section in loaded.sections for s in split_sentences(section.text)]
    return sentences[:40] + [" ".join(sentences[:30]), "a", "how can apprenticeships be made more inclusive?"]


def test_onnx_fp32_agrees_with_torch():
    texts = _texts()
    torch_vectors = load_embedder("all-MiniLM-L6-v2", "torch").encode(texts)
    onnx_vectors = load_embedder("all-MiniLM-L6-v2", "onnx", "fp32").encode(texts)
    cosines = (torch_vectors * onnx_vectors).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines.min()


def test_the_one_shot_session_of_a_search_gives_the_same_vectors():
    texts = _texts()[-3:]
    usual = load_embedder("all-MiniLM-L6-v2", "onnx", "fp32", threads=1)
    one_shot = load_embedder("all-MiniLM-L6-v2", "onnx", "fp32", threads=1, one_shot=True)
    assert np.allclose(usual.encode(texts), one_shot.encode(texts), atol=1e-5)


def test_onnx_int8_stays_close_to_torch():
    texts = _texts()
    torch_vectors = load_embedder("all-MiniLM-L6-v2", "torch").encode(texts)
    int8_vectors = load_embedder("all-MiniLM-L6-v2", "onnx", "int8").encode(texts)
    cosines = (torch_vectors * int8_vectors).sum(axis=1)
    assert cosines.min() >= 0.97, cosines.min()  # relevance cost is measured in benchmarks/, not here
    assert np.allclose(np.linalg.norm(int8_vectors, axis=1), 1.0, atol=1e-4)


def test_the_search_command_imports_neither_torch_nor_sentence_transformers_nor_faiss(corpus_kb):
    env = {**os.environ, "KB_INDEX": str(corpus_kb.settings.index_dir)}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kb", "search", "--json", "apprenticeships for women"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "onnxruntime" in imported, "the query was embedded by ONNX Runtime"
    heavy = {"torch", "sentence_transformers", "transformers", "faiss"}  # a flat index is searched with numpy
    assert not imported & heavy, sorted(imported & heavy)


def test_help_is_cheap():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "kb", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & {"torch", "sentence_transformers", "faiss", "onnxruntime", "numpy"}
