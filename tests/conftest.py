"""Shared fixtures: the real model (loaded once), a real index of corpus/, and a tiny fake embedder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb import KnowledgeBase, Settings
from kb.embed import Embedder, load_embedder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = Path(os.environ.get("KB_SHARED_DATA", ROOT.parent / "shared" / "data"))
LABOUR_DOCS = SHARED / "labour-docs"
QUESTIONS = ROOT / "tests" / "data" / "questions"


def load_questions() -> list[dict]:
    """The project's own question set over corpus/ (tests/data/questions/*.jsonl)."""
    out = []
    for file in sorted(QUESTIONS.glob("*.jsonl")):
        out.extend(json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip())
    return out


class WordHashEmbedder:
    """A deterministic stand-in model for tests about storage and fusion, not meaning.

    Each word maps to a fixed random direction; a text's vector is the normalised sum, so texts
    sharing words are similar. Same interface as kb.embed.Embedder.
    """

    backend = "test"
    precision = "fp32"

    def __init__(self, dimension: int = 32, name: str = "word-hash") -> None:
        self.name = name
        self.path = name
        self.dimension = dimension
        self.max_seq_length = 128
        self.batch_size = 16
        self.model_hash = hashlib.sha256(f"{name}-{dimension}".encode()).hexdigest()
        self.encoded = 0

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", t)) + 2 for t in texts]

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
        return np.random.default_rng(seed).standard_normal(self.dimension).astype("float32")

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i] += self._word(word)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out

    def describe_light(self) -> dict:
        return {"name": self.name, "path": self.path, "backend": self.backend, "precision": self.precision}

    def describe(self) -> dict:
        return {"name": self.name, "path": self.path, "sha256": self.model_hash, "dimension": self.dimension,
                "max_seq_length": self.max_seq_length, "backend": self.backend, "precision": self.precision}


@pytest.fixture
def fake_embedder() -> WordHashEmbedder:
    return WordHashEmbedder()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged all-MiniLM-L6-v2 as users get it (default backend and precision), loaded once."""
    settings = Settings()
    model = load_embedder(settings.model, settings.backend, settings.precision)
    model.encode(["warm up"])
    return model


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory, embedder) -> KnowledgeBase:
    """A real index of the sample corpus, built once per session. Tests must not write to it."""
    index = tmp_path_factory.mktemp("corpus-index") / "index"
    kb = KnowledgeBase(Settings(index_dir=index), embedder=embedder)
    report = kb.ingest([CORPUS])
    assert not report.failed, report.failed
    return kb


def small_kb(folder: Path, embedder: Embedder, texts: dict[str, str]) -> KnowledgeBase:
    """A knowledge base in `folder` of a few files ({name: text}) ingested with `embedder`."""
    docs = folder / "docs"
    docs.mkdir()
    for name, text in texts.items():
        (docs / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(Settings(index_dir=folder / "index"), embedder=embedder)
    kb.ingest([docs])
    return kb


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of corpus/ for tests that edit or delete files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
