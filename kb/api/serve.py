"""Run the API: one server process, which searches itself (one worker) or through a pool of search processes."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from kb.config import Settings

# `kb serve --workers auto`: one search process per usable CPU, as many as fit in half the memory free at start (the
# rest is the page cache they share: vectors, keyword index and SQLite are memory-mapped). One process runs its
# Python under one interpreter lock, ~11-13 ms a search: with 16 clients on the 2-core bench machine one worker
# gave 75 q/s at p99 264 ms, two 106 q/s at p99 254 ms (benchmarks/results/api_load.md).
MEMORY_SHARE = 0.5
# What a worker holds of its own beside its vector kind's resident files: the model's session, the runtimes and
# the reader's kept records (~220 MB resident, 124 MB of it private, serving the labour-docs index; room for the
# torch backend), and per chunk the chunk -> document map and facet table (kb/index/kept.py, ~12-20 bytes).
PROCESS_BYTES = 512 << 20
KEPT_BYTES_PER_CHUNK = 32
MAX_WORKERS = 16


def usable_cpus() -> int:
    """The CPUs this process may run on, less any cgroup (container) quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return cpus


def available_memory() -> int | None:
    """Bytes of memory available to start processes in (Linux's MemAvailable), None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def worker_bytes(settings: Settings) -> int:
    """What one server process is expected to hold of its own for the index's current snapshot."""
    from kb.errors import KBError
    from kb.index import vectors
    from kb.index.layout import snapshot_dir
    from kb.index.manifest import read_manifest

    try:
        manifest = read_manifest(settings.index_dir)
        files = vectors.kind(manifest.index.kind).resident_files(manifest.index)
    except (KBError, ValueError):
        return PROCESS_BYTES  # no index yet (or one this kb cannot read): the server says so at each search
    folder = snapshot_dir(settings.index_dir, manifest.snapshot)
    read_whole = sum((folder / name).stat().st_size for name in files if (folder / name).is_file())
    return PROCESS_BYTES + read_whole + KEPT_BYTES_PER_CHUNK * manifest.chunks


def auto_workers(settings: Settings, cpus: int | None = None, memory: int | None = None) -> tuple[int, str]:
    """How many server processes `--workers auto` starts, and why in a few words (`cpus` and `memory`, the bytes
    available, are this machine's unless given)."""
    cpus = usable_cpus() if cpus is None else cpus
    memory = available_memory() if memory is None else memory
    each = worker_bytes(settings)
    fit = MAX_WORKERS if memory is None else max(1, int(memory * MEMORY_SHARE // each))
    workers = max(1, min(cpus, fit, MAX_WORKERS))
    why = f"{cpus} CPU{'s' if cpus != 1 else ''}, ~{each / 2**30:.1f} GB each"
    if memory is not None and fit < cpus:
        why += f", {fit} fit{'s' if fit == 1 else ''} in half of the {memory / 2**30:.1f} GB free"
    return workers, why


def log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging: one line per request on stderr (its access log) unless turned off; of its own messages
    only warnings and errors (kb serve prints where it listens)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


def parse_workers(value: str) -> int | None:
    """`kb serve --workers`: None for auto, else a number of processes from 1 to MAX_WORKERS; ValueError if neither."""
    if value.strip().lower() == "auto":
        return None
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(f"{value!r} is neither a number nor auto") from None
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"{workers} is not between 1 and {MAX_WORKERS}")
    return workers


def worker_plan(settings: Settings, workers: int | None) -> tuple[int, str]:
    """The processes to start (None: auto) and, for auto, how many and why, as kb serve says it."""
    if workers is not None:
        return workers, ""
    workers, why = auto_workers(settings)
    return workers, f" with {workers} worker{'s' if workers != 1 else ''} ({why})"


def run_server(settings: Settings, host: str, port: int, workers: int = 1, access_log: bool = True) -> None:
    """Serve the API and the search box until interrupted, logging each request unless `access_log` is False.
    More than one worker: one server process, and `workers` search processes fed from one queue (kb/api/pool.py)."""
    import uvicorn

    from kb.api import create_app

    app = create_app(settings, search_processes=workers if workers > 1 else 0)
    uvicorn.run(app, host=host, port=port, log_level=None, log_config=log_config(access_log), access_log=access_log)
