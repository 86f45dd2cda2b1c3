"""Where `prepare` runs: one module per kind behind `base.Executor`, and one registry.

A new kind (a cluster, say) is one module with a `from_settings(settings)` factory and one line below.
"""

from __future__ import annotations

from collections.abc import Callable

from kb.config import Settings
from kb.errors import ConfigError
from kb.ingest.executors.base import EMBED_BLOCK, Executor, Outcome
from kb.ingest.executors.forked import ForkedExecutor
from kb.ingest.executors.inline import InlineExecutor
from kb.ingest.executors.ray import RayExecutor

__all__ = ["EMBED_BLOCK", "EXECUTORS", "Executor", "Outcome", "executor_for"]

EXECUTORS: dict[str, Callable[[Settings], Executor]] = {
    "inline": InlineExecutor.from_settings,
    "forked": ForkedExecutor.from_settings,
    "ray": RayExecutor.from_settings,
}


def executor_for(settings: Settings, kind: str | None = None) -> Executor:
    """The executor of a kind; by default a Ray cluster when KB_RAY_ADDRESS is set, else forked readers, or
    in-process when KB_WORKERS=0."""
    kind = kind or ("ray" if settings.ray_address else "forked" if settings.workers > 0 else "inline")
    try:
        factory = EXECUTORS[kind]
    except KeyError:
        raise ConfigError(f"Unknown ingest executor {kind!r}; use one of: {', '.join(EXECUTORS)}.") from None
    return factory(settings)
