"""The Ray executor: `prepare` on a Ray cluster (`kb ingest --ray ADDRESS`, KB_RAY_ADDRESS).

Files are read and chunked as Ray tasks, each in a child forked inside its task under the forked pool's
time and memory limits (`pool.LoaderPool`), so a bad file costs its own outcome, with the same codes, and
never a Ray worker. Chunks are embedded EMBED_BLOCK at a time by a pool of actors, one per CPU a node can
spare: each node keeps one CPU for the read tasks, because an actor pool that takes every CPU starves them
and hangs with no error (ray-project/ray#44687). Each actor opens the model once, from its spec
(`open_embedder` checks the weights' sha256 on its node). Files travel as bytes through the object store, or
as paths when the storage is shared. Plan and apply stay on the driver, which consumes these outcomes as it
does the local executors'. What runs on the nodes, and joining the cluster, is in `ray_nodes.py`.

Ray is optional (`pip install 'kb[cluster]'`) and imported inside functions only. Every wait has a bound. A
node lost mid-run costs a retry: its read tasks run again elsewhere (max_retries), its actors' blocks go to
the actors left.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.config import DEFAULT_FILE_TIMEOUT, Settings
from kb.errors import KBError
from kb.ingest.executors.base import EMBED_BLOCK, Outcome
from kb.ingest.executors.pool import Loaded, failure
from kb.ingest.executors.ray_nodes import alive_nodes, await_actors, connect, import_ray, lost_reason, read_on_worker, start_actors
from kb.ingest.prepare import ChunkedDocument, PrepareSettings, PrepareTask, ReuseVectors, file_bytes
from kb.ingest.progress import IngestProgress

ACTOR_START_TIMEOUT = 300.0  # an actor opens the model; on a node new to it, that includes the ONNX export
BLOCK_TIMEOUT = 600.0  # one block of EMBED_BLOCK chunks takes ~20 s on one core
GET_TIMEOUT = 60.0  # fetching a result that is ready (it may live on another node)
READ_GRACE = 60.0  # beyond KB_FILE_TIMEOUT: a worker starting, the bytes arriving
RETRIES = 3  # a read task, an actor or a block lost with its node runs again this often
POLL = 0.5  # seconds between looks at the deadlines while nothing finishes
HEALTH_EVERY = 2.0  # seconds between looks at which nodes are alive: an actor on a lost node gets no more blocks
IN_FLIGHT_PER_ACTOR = 2  # blocks sent to one actor at once: the next one arrives while it embeds
# An actor with nothing to do takes a block this size rather than wait for a full one: all actors work from the
# start, and a block is still long enough for length sorting to pay.
MIN_BLOCK = EMBED_BLOCK // 4


class RayExecutor:
    """`read` as Ray tasks and `embed` in a pool of Ray actors, on the cluster at `address`."""

    def __init__(self, address: str, shared_storage: bool = False, timeout: float = DEFAULT_FILE_TIMEOUT,
                 memory_mb: int = 0) -> None:
        self.address = address
        self.shared_storage = shared_storage
        self.timeout = timeout
        self.memory_mb = memory_mb

    @classmethod
    def from_settings(cls, settings: Settings) -> RayExecutor:
        """The cluster and per-file limits: KB_RAY_ADDRESS, KB_RAY_SHARED_STORAGE, KB_FILE_TIMEOUT, KB_WORKER_MEMORY_MB."""
        return cls(settings.ray_address or "auto", settings.ray_shared_storage, settings.file_timeout,
                   settings.worker_memory_mb)

    def run(self, tasks: Sequence[PrepareTask], settings: PrepareSettings, reuse: ReuseVectors,
            progress: IngestProgress) -> Generator[Outcome, None, None]:
        """One outcome per task, in the order documents are embedded (a failure at once)."""
        if not tasks:
            return  # nothing to prepare: no need to reach the cluster
        ray = import_ray()
        joined = connect(ray, self.address)
        try:
            yield from _Run(ray, self, settings, reuse, progress).outcomes(tasks)
        finally:
            if joined:
                ray.shutdown()


@dataclass
class _Actor:
    handle: Any
    node_id: str
    busy: int = 0  # blocks sent and not yet answered


@dataclass
class _Block:
    items: list[tuple[PrepareTask, ChunkedDocument]]
    tries: int = 0

    @property
    def chunks(self) -> int:
        return sum(len(doc.chunks) for _, doc in self.items)


@dataclass
class _Run:
    """One run's state on the driver: read tasks and embed calls in flight, each with its deadline."""

    ray: Any
    executor: RayExecutor
    settings: PrepareSettings
    reuse: ReuseVectors
    progress: IngestProgress
    todo: deque[PrepareTask] = field(default_factory=deque)
    reads: dict[Any, tuple[PrepareTask, float]] = field(default_factory=dict)  # ref -> task, deadline
    blocks: dict[Any, tuple[_Block, _Actor, float]] = field(default_factory=dict)  # ref -> block, actor, deadline
    waiting: deque[_Block] = field(default_factory=deque)  # blocks no actor has taken yet
    gathered: list[tuple[PrepareTask, ChunkedDocument]] = field(default_factory=list)
    actors: list[_Actor] = field(default_factory=list)
    nodes: int = 0
    read_slots: int = 1
    checked: float = 0.0  # when the nodes were last looked at
    reader: Any = None  # the read task, and the settings every read task shares, once in the object store
    shared_settings: Any = None

    def outcomes(self, tasks: Sequence[PrepareTask]) -> Generator[Outcome, None, None]:
        """Outcomes as reads fail and blocks come back embedded; stops every task and actor on the way out."""
        self.todo.extend(tasks)
        try:
            self._start_actors(len(tasks))
            yield from self._submit_reads()
            self._await_actors()
            while self.todo or self.reads or self.blocks or self.waiting or self.gathered:
                if self._partial_block_due():
                    self._close_block()
                self._dispatch()
                refs = [*self.reads, *self.blocks]
                ready = self.ray.wait(refs, num_returns=1, timeout=POLL)[0] if refs else []
                for ref in ready:
                    yield from self._read_done(ref) if ref in self.reads else self._block_done(ref)
                yield from self._expire()
                self._check_nodes()
                yield from self._submit_reads()
        finally:
            self._stop()

    def _start_actors(self, files: int) -> None:
        nodes = alive_nodes(self.ray)
        started = start_actors(self.ray, nodes, files, self.settings, RETRIES)
        self.actors = [_Actor(handle, node) for handle, node in started]
        self.nodes, self.read_slots = len(nodes), max(1, sum(n.cpus for n in nodes) - len(started))
        # retry_exceptions=False: only a lost worker or node reads a file again; a file's own errors come back as values.
        self.reader = self.ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False)(read_on_worker)
        self.shared_settings = self.ray.put(self.settings)

    def _await_actors(self) -> None:
        """Wait (bounded) until every actor has opened the model; a node with the wrong model stops the run."""
        lost = await_actors(self.ray, [a.handle for a in self.actors], ACTOR_START_TIMEOUT, GET_TIMEOUT)
        for actor in [a for i, a in enumerate(self.actors) if i in lost]:
            self._lose(actor)
        _tell_cluster(self.progress, self.nodes, len(self.actors))

    def _submit_reads(self) -> Iterator[Outcome]:
        """Send files to read while reads and unembedded blocks are few (memory stays flat, timeouts stay true)."""
        backlog = len(self.waiting) + len(self.blocks)
        while self.todo and len(self.reads) < 2 * self.read_slots and backlog <= IN_FLIGHT_PER_ACTOR * len(self.actors):
            task = self.todo.popleft()
            contents = None
            if not self.executor.shared_storage:
                try:
                    contents = self.ray.put(file_bytes(task, self.settings.max_file_bytes))
                except (OSError, KBError) as exc:  # too large, empty or unreadable here: reported as `read` would
                    yield self._failed(Loaded(task, code=failure(exc)[0], reason=failure(exc)[1]))
                    continue
            ref = self.reader.remote(task, contents, self.shared_settings, self.executor.timeout, self.executor.memory_mb)
            self.reads[ref] = (task, time.monotonic() + self._read_bound())

    def _read_bound(self) -> float:
        """How long the driver waits for one file: its time limit on each try, and a grace to start and send it."""
        return self.executor.timeout * (RETRIES + 1) + READ_GRACE

    def _read_done(self, ref: Any) -> Iterator[Outcome]:
        task, _ = self.reads.pop(ref)
        try:
            loaded = self.ray.get(ref, timeout=GET_TIMEOUT)
        except self.ray.exceptions.RayError as exc:
            code, reason = lost_reason(self.ray, exc, tries=RETRIES + 1)
            loaded = Loaded(task, code=code, reason=reason)
        if not loaded.ok:
            yield self._failed(loaded)
            return
        self.progress.file_done(task.doc_id, len(loaded.value.chunks))
        self.gathered.append((task, loaded.value))
        if sum(len(doc.chunks) for _, doc in self.gathered) >= EMBED_BLOCK:
            self._close_block()

    def _failed(self, loaded: Loaded[PrepareTask]) -> Outcome:
        self.progress.file_done(loaded.item.doc_id, 0)
        return Outcome(loaded.item, code=loaded.code, reason=loaded.reason)

    def _partial_block_due(self) -> bool:
        """Send the chunks gathered so far: the last ones, or enough for an actor that has nothing to do."""
        if not self.gathered:
            return False
        if not self.todo and not self.reads:
            return True
        idle = not self.waiting and any(a.busy == 0 for a in self.actors)
        return idle and sum(len(doc.chunks) for _, doc in self.gathered) >= MIN_BLOCK

    def _close_block(self) -> None:
        self.waiting.append(_Block(self.gathered))
        self.gathered = []

    def _dispatch(self) -> None:
        """Hand waiting blocks to the least busy actors, with the stored vectors their documents may reuse."""
        while self.waiting:
            if not self.actors:
                raise KBError("Every embedding actor on the Ray cluster was lost (their nodes died or were removed); "
                              "nothing was written. Run the ingest again when the cluster is back.")
            actor = min(self.actors, key=lambda a: a.busy)
            if actor.busy >= IN_FLIGHT_PER_ACTOR:
                return
            block = self.waiting.popleft()
            # Only this block's reusable vectors are read: memory stays flat however many documents change.
            stored = {task.doc_id: self.reuse[task.doc_id] for task, _ in block.items if task.doc_id in self.reuse}
            ref = actor.handle.embed.remote([doc for _, doc in block.items], stored)
            actor.busy += 1
            self.blocks[ref] = (block, actor, time.monotonic() + BLOCK_TIMEOUT)

    def _block_done(self, ref: Any) -> Iterator[Outcome]:
        block, actor, _ = self.blocks.pop(ref)
        actor.busy -= 1
        try:
            prepared = self.ray.get(ref, timeout=GET_TIMEOUT)
        except self.ray.exceptions.RayTaskError as exc:  # embedding itself failed: as it would here, it stops the run
            cause = exc.cause
            raise cause if isinstance(cause, KBError) else KBError(f"Embedding failed on the Ray cluster: {exc}") from None
        except self.ray.exceptions.RayError as exc:  # the actor or its node is gone: another actor takes the block
            self._lose(actor)
            self._retry(block, exc)
            return
        self.progress.embedded(block.chunks)
        for (task, _), document in zip(block.items, prepared):
            yield Outcome(task, document)

    def _retry(self, block: _Block, error: BaseException) -> None:
        block.tries += 1
        if block.tries > RETRIES:
            raise KBError(f"A block of {block.chunks} chunks could not be embedded on the Ray cluster in {block.tries} tries "
                          f"(last: {type(error).__name__}: {error}); nothing was written.")
        self.waiting.appendleft(block)

    def _lose(self, actor: _Actor) -> None:
        """Take an actor out of the pool (its blocks in flight come back as errors and go to the others)."""
        if actor in self.actors:
            self.actors.remove(actor)
            self.ray.kill(actor.handle, no_restart=True)
            self._check_nodes(now=True)

    def _check_nodes(self, now: bool = False) -> None:
        """Every HEALTH_EVERY s: drop the actors of nodes that died, and tell the display what is left."""
        if not now and time.monotonic() - self.checked < HEALTH_EVERY:
            return
        self.checked = time.monotonic()
        alive = {node.node_id for node in alive_nodes(self.ray)}
        for actor in [a for a in self.actors if a.node_id not in alive]:
            self.actors.remove(actor)
        if len(alive) != self.nodes or now:
            self.nodes = len(alive)
            _tell_cluster(self.progress, self.nodes, len(self.actors))

    def _expire(self) -> Iterator[Outcome]:
        """Give up on what is past its deadline: a file is reported, a block goes to another actor."""
        now = time.monotonic()
        for ref, (task, deadline) in list(self.reads.items()):
            if now > deadline:
                del self.reads[ref]
                self.ray.cancel(ref, force=True)
                reason = f"no answer from the Ray cluster about this file within {self._read_bound():.0f} s; stopped"
                yield self._failed(Loaded(task, code="timeout", reason=reason))
        for ref, (block, actor, deadline) in list(self.blocks.items()):
            if now > deadline:
                del self.blocks[ref]
                self._lose(actor)
                self._retry(block, TimeoutError(f"no answer within {BLOCK_TIMEOUT:.0f} s"))

    def _stop(self) -> None:
        """Stop what still runs: on the way out of an error or a closed iterator, the cluster does no more."""
        for ref in self.reads:
            self.ray.cancel(ref, force=True)
        for actor in self.actors:
            self.ray.kill(actor.handle, no_restart=True)


def _tell_cluster(progress: IngestProgress, nodes: int, actors: int) -> None:
    cluster = getattr(progress, "cluster", None)  # optional: a display written before clusters lacks it
    if cluster is not None:
        cluster(nodes, actors)
