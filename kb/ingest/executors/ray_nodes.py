"""What runs on a Ray cluster's nodes for the Ray executor, how the driver joins the cluster, and what a lost read means.

Everything here is imported on the nodes by reference (kb must be installed there: `pip install 'kb[cluster]'`);
`ray` itself is imported inside functions only, so `kb --help` never loads it.
"""

from __future__ import annotations

import functools
import itertools
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from kb.errors import ConfigError, KBError
from kb.ingest.executors.forked import _warm_up_readers
from kb.ingest.executors.pool import Loaded, LoaderPool, failure
from kb.ingest.prepare import (
    ChunkedDocument,
    FileBytes,
    PreparedDocument,
    PrepareSettings,
    PrepareTask,
    ReuseVectors,
    embed,
    read,
    read_bytes,
)

INSTALL = "pip install 'kb[cluster]'"
# Ray 2.60 turns token authentication on for a cluster `ray start` makes, and a driver holding a token file talks
# token to a cluster "auto" finds: both ways, a mismatch shows as a failed join or actors that die unborn.
AUTH_HINT = ("If the cluster uses token authentication (`ray start`'s default), set RAY_AUTH_MODE=token here with its "
             "token (~/.ray/auth_token or RAY_AUTH_TOKEN); if it does not, set RAY_AUTH_MODE=disabled.")
CONNECT_TIMEOUT = 60.0  # joining a head that is up takes ~1 s; ray.init itself retries a wrong address for minutes
PROBE_TIMEOUT = 5.0  # a TCP connect to the head first, so an address where nothing listens fails at once


def import_ray() -> Any:
    """The ray module, or a ConfigError naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"Ingesting on a Ray cluster (--ray, KB_RAY_ADDRESS) needs Ray. Run: {INSTALL}") from None
    return ray


def connect(ray: Any, address: str) -> bool:
    """Join the cluster at `address` within CONNECT_TIMEOUT; True when this call joined (and should leave)."""
    if ray.is_initialized():
        return False  # the caller is connected already (a script, a benchmark): use that cluster
    if address != "auto":
        _probe(address)
    joined: dict[str, BaseException] = {}

    def join() -> None:
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except BaseException as exc:  # handed to the waiting thread
            joined["error"] = exc

    thread = threading.Thread(target=join, name="kb-ray-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT)
    if thread.is_alive():
        raise ConfigError(f"No Ray cluster answered at {address} within {CONNECT_TIMEOUT:.0f} s. Give the head's GCS address "
                          f"(host:6379 by default, not the dashboard's :8265); with token authentication, set the same "
                          f"RAY_AUTH_MODE and RAY_AUTH_TOKEN here as on the cluster.")
    if "error" in joined:
        raise ConfigError(_connect_advice(address, joined["error"])) from None
    return True


def _probe(address: str) -> None:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"Ray address {address!r} is not HOST:PORT; give the head's address, e.g. 10.0.0.5:6379, or auto.")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT).close()
    except OSError as exc:
        raise ConfigError(f"Cannot reach a Ray cluster at {address} ({exc.strerror or exc}). Start its head with "
                          f"`ray start --head`, or fix the address (--ray, KB_RAY_ADDRESS).") from None


def _connect_advice(address: str, error: BaseException) -> str:
    if address == "auto" and isinstance(error, ConnectionError):
        return ("No Ray cluster is running on this machine (--ray auto). Start one with `ray start --head`, "
                "or give a head's address: --ray HOST:6379.")
    return (f"Could not join the Ray cluster at {address}: {type(error).__name__}: {error}. {AUTH_HINT}")


@dataclass(frozen=True)
class Node:
    """A live node of the cluster, as far as this executor cares."""

    node_id: str
    cpus: int


def alive_nodes(ray: Any) -> list[Node]:
    """The cluster's live nodes and their CPUs."""
    return [Node(n["NodeID"], int(n.get("Resources", {}).get("CPU", 0))) for n in ray.nodes() if n.get("Alive")]


def actor_slots(nodes: Sequence[Node], most: int) -> list[str]:
    """The node of each embedding actor: one per CPU beyond the first of each node, dealt round the nodes, at most `most`."""
    per_node = [[node.node_id] * max(0, node.cpus - 1) for node in nodes]
    return [n for turn in itertools.zip_longest(*per_node) for n in turn if n is not None][:most]


def start_actors(ray: Any, nodes: Sequence[Node], most: int, settings: PrepareSettings, retries: int) -> list[tuple[Any, str]]:
    """Embedding actors, one per CPU a node can spare, each pinned to its node; with the node of each."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    slots = actor_slots(nodes, most)
    if not slots:
        raise ConfigError(f"The Ray cluster has no CPU to spare for embedding: its {len(nodes)} node(s) have "
                          f"{sum(n.cpus for n in nodes)} CPU(s) and each keeps one for reading files. Add a node or CPUs "
                          f"(ray start --num-cpus N).")
    # Pinned (soft=False): restarted where it was, never onto the CPU a node keeps for reading.
    actor = ray.remote(num_cpus=1, max_restarts=retries, max_task_retries=retries)(EmbedActor)
    one_core = replace(settings, threads=1)  # as reserved
    return [(actor.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(one_core), node)
            for node in slots]


def await_actors(ray: Any, actors: Sequence[Any], timeout: float, get_timeout: float) -> set[int]:
    """Wait at most `timeout` s for the actors to open the model: the positions of those lost meanwhile (their nodes
    died). ConfigError when one is late, or its node has another model than the driver's."""
    opening = {actor.open.remote(): i for i, actor in enumerate(actors)}
    ready, late = ray.wait(list(opening), num_returns=len(opening), timeout=timeout)
    if late:
        raise ConfigError(f"{len(late)} of {len(opening)} embedding actors did not start on the Ray cluster within "
                          f"{timeout:.0f} s. Check that every node has kb and its model installed ({INSTALL}) and memory to spare.")
    lost = set()
    for ref in ready:
        try:
            problem = ray.get(ref, timeout=get_timeout)
        except ray.exceptions.RayTaskError as exc:
            raise ConfigError(f"An embedding actor could not open the model on the Ray cluster: {exc.cause}") from None
        except ray.exceptions.RayError:  # its node went away while it started: the others go on
            lost.add(opening[ref])
            continue
        if problem is not None:
            raise ConfigError(problem)
    if lost and len(lost) == len(actors):
        raise ConfigError(f"Every embedding actor died as it started on the Ray cluster. {AUTH_HINT}")
    return lost


class EmbedActor:
    """A Ray actor that opens the model once, from its spec, and embeds blocks of chunked documents."""

    def __init__(self, settings: PrepareSettings) -> None:
        self.settings = settings

    def open(self) -> str | None:
        """Open the model on this node: None when it is ready, else what is wrong here (a setting to fix)."""
        try:
            self.settings.embedder().encode(["warm up"])
        except KBError as exc:  # e.g. other weights on this node than the driver's: say so, do not embed
            return f"On Ray node {socket.gethostname()}: {exc}"
        return None

    def embed(self, docs: list[ChunkedDocument], reuse: ReuseVectors) -> list[PreparedDocument]:
        """Vectors for a block of documents (`prepare.embed`)."""
        return embed(docs, self.settings, reuse)


def read_on_worker(task: PrepareTask, contents: FileBytes | None, settings: PrepareSettings, timeout: float,
                   memory_mb: int) -> Loaded[PrepareTask]:
    """Read one file on a node, in a forked child under the time and memory limits, as the forked pool does."""
    _warm_up(settings)
    if contents is None:  # shared storage: the path is the same here
        load = functools.partial(read, settings=settings)
    else:
        load = functools.partial(read_bytes, contents=contents, settings=settings)
    return list(LoaderPool(load, 1, timeout, memory_mb).run([task]))[0]


@functools.cache
def _warm_up(settings: PrepareSettings) -> None:
    """Parsers, language model and tokenizer loaded once per worker, before it forks a child per file."""
    _warm_up_readers()
    settings.embedder()


def lost_reason(ray: Any, exc: BaseException, tries: int) -> tuple[str, str]:
    """The code and reason of a file whose read task the cluster could not finish (a ConfigError is the run's)."""
    errors = ray.exceptions
    if isinstance(exc, errors.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, ConfigError):
            raise cause  # the node cannot read anything (its model): the run's problem, not this file's
        return failure(cause if isinstance(cause, BaseException) else exc)
    if isinstance(exc, errors.OutOfMemoryError):
        return "too_large", "ran out of memory while reading the file (Ray's memory monitor stopped its worker)"
    if isinstance(exc, errors.TaskCancelledError):
        return "timeout", "reading was stopped on the Ray cluster (KB_FILE_TIMEOUT)"
    return "crashed", f"the Ray cluster lost the worker reading this file, {tries} times ({type(exc).__name__})"
