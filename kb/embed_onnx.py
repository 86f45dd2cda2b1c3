"""The ONNX Runtime backend: the transformer exported to ONNX once per model (this needs torch), an int8
copy, ONNX Runtime's optimised graph (all kept in kb's cache by the hash of the weights), and encoding."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.config import DEFAULT_BATCH_SIZE, DEFAULT_PRECISION, cache_root
from kb.embed import Embedder
from kb.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

EXPORT_VERSION = 2  # 2: traced with eager attention (faster graph, same vectors); a new version exports afresh

# ONNX Runtime's wheels collect usage telemetry: on import it opens a SQLite store under ~/.cache/Microsoft, starts a
# thread, and writes and fsyncs the store as the process exits. kb runs offline and sends nothing, so it is off unless
# the environment says otherwise (a write that configures the library, as in kb/embed.py); on, it cost a one-shot
# `kb search` ~10 ms (interleaved, 20 runs: 154 -> 142 ms for ONNX Runtime's import, session and exit).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


def onnx_cache_dir(model_hash: str) -> Path:
    """Where ONNX exports of a model are kept, keyed by the hash of its weights."""
    return cache_root() / "onnx" / f"{model_hash[:16]}-v{EXPORT_VERSION}"


ONNX_BATCH = 8


class OnnxEmbedder(Embedder):
    """The same network exported to ONNX and run by ONNX Runtime: no torch on the query path.

    fp32 reproduces the torch vectors (cosine > 0.9999) and is the default. int8 (per-channel dynamic
    quantisation of the weights) embeds about 1.3x faster here but cost 0.013 nDCG@10 on SciFact in dense
    mode, so it is opt-in (KB_PRECISION=int8). The export needs torch once per model; it is cached by the
    model's weights hash, so searching never imports torch.
    """

    backend = "onnxruntime"

    def __init__(self, model: str, batch_size: int = DEFAULT_BATCH_SIZE, precision: str = DEFAULT_PRECISION,
                 threads: int | None = None, one_shot: bool = False) -> None:
        super().__init__(model, batch_size)
        # A process that embeds one question and exits (a `kb search`) skips ONNX Runtime's repacking of the
        # weights for fast multiplication: the session opens ~50 ms sooner, one query takes ~4 ms longer.
        self.one_shot = one_shot
        # Ingest uses every core for one big batch; a server embeds many short queries at once, one core each.
        self.threads = threads or os.cpu_count() or 1
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
            optimise(self.onnx_path, optimised)
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

    @cached_property
    def _wordpiece(self):
        """A one-shot process tokenizes a plain-ASCII question in Python (kb/wordpiece.py), ~40 ms sooner than
        tokenizers starts; None elsewhere (a server or an ingest keeps tokenizers for everything)."""
        from kb import wordpiece

        source = Path(self.path) / "tokenizer.json"
        return wordpiece.load(source) if self.one_shot and source.is_file() else None

    def _token_arrays(self, batch: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask of a batch, padded to its longest text with [PAD] (id 0)."""
        import numpy as np

        quick = self._wordpiece
        rows = [row for row in (quick.ids(text, self.max_seq_length) for text in batch) if row is not None] if quick else []
        if rows and len(rows) == len(batch):
            ids = np.zeros((len(rows), max(map(len, rows))), dtype="int64")
            mask = np.zeros_like(ids)
            for i, row in enumerate(rows):
                ids[i, :len(row)] = row
                mask[i, :len(row)] = 1
            return ids, mask
        with self._encode_lock:
            encodings = self._batch_tokenizer.encode_batch(batch)
        return (np.asarray([e.ids for e in encodings], dtype="int64"),
                np.asarray([e.attention_mask for e in encodings], dtype="int64"))

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
            ids, mask = self._token_arrays(batch)
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



def optimise(source: Path, target: Path) -> None:
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
