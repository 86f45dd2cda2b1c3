"""The forked reader pool: load files in worker processes, so parsing overlaps embedding and one bad
file cannot stall a run.

Each worker is a forked process that loads one file at a time. A file that takes longer than the
time limit gets its worker killed and replaced, and is reported as a failure; so does a file whose
worker dies (a crash in a parser, or the memory limit). The pool's results arrive in completion
order through a bounded queue, so a slow consumer (the embedder) holds back the parsers instead of
letting parsed documents pile up in memory.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar, cast

from kb.errors import KBError

log = logging.getLogger(__name__)

Item = TypeVar("Item")

# Parsed documents waiting for the embedder; beyond this the workers wait.
QUEUE_DEPTH = 16
_DONE = object()


@dataclass(frozen=True)
class Loaded(Generic[Item]):
    """What loading one item gave: a value, or the failure's code and reason."""

    item: Item
    value: Any = None
    code: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is None


def failure(exc: BaseException) -> tuple[str, str]:
    """The code and reason a loading exception is reported with."""
    if isinstance(exc, KBError):
        return exc.code, str(exc)
    if isinstance(exc, MemoryError):
        return "too_large", "ran out of memory while reading the file (KB_WORKER_MEMORY_MB)"
    if isinstance(exc, (OSError, RecursionError, UnicodeError)):
        return "unreadable", f"{type(exc).__name__}: {exc}"
    return "load_failed", f"the file could not be read ({type(exc).__name__}: {exc})"


def load_inline(load: Callable[[Item], Any], items: Iterable[Item]) -> Generator[Loaded[Item], None, None]:
    """The same contract as LoaderPool.run, in this process: for records, tests, and one-core machines."""
    for item in items:
        try:
            yield Loaded(item, value=load(item))
        except Exception as exc:  # one bad file must not end the run
            code, reason = failure(exc)
            yield Loaded(item, code=code, reason=reason)


def _limit_memory(megabytes: int) -> None:
    """Let this process allocate at most `megabytes` more than it holds now (a forked worker inherits
    the parent's heap, so the limit is counted from there); beyond it allocations raise MemoryError."""
    if megabytes <= 0:
        return
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            held_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmData:"))
    except (OSError, StopIteration, ValueError):
        return  # not Linux: no limit rather than a wrong one
    limit = held_kb * 1024 + megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the ingesting process dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere a worker ends when its pipe closes, after the file in hand


def _serve(conn: Connection, load: Callable[[Any], Any], memory_mb: int) -> None:
    """A worker's life: receive an item, load it, send back the outcome; stop when the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    _limit_memory(memory_mb)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:  # the pool is done with this worker (see _Worker.stop)
            return
        retire = False
        try:
            message: tuple = ("ok", load(item))
        except Exception as exc:  # reported as this file's failure
            message = ("failed", *failure(exc))
            retire = isinstance(exc, MemoryError)  # a heap that hit its limit is not worth reusing
        try:
            conn.send(message)
        except Exception as exc:  # e.g. a value that cannot be pickled
            conn.send(("failed", *failure(exc)))
        if retire:
            return


class _Worker:
    def __init__(self, context, load: Callable[[Any], Any], memory_mb: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, load, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self.item: Any = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if not kill:
            # Ask it to stop: closing our end is no EOF for a forked worker, which holds a copy of that end (and of
            # the other workers' ends); waiting for one cost the join's 5 s per worker at the end of every run.
            with contextlib.suppress(OSError):
                self.conn.send(None)
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill and self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class LoaderPool:
    """Runs `load` over items in `workers` forked processes, each item under a time limit.

    `load` and the items are inherited by the forked workers, so closures work; only the items and
    the loaded values travel through pipes.
    """

    def __init__(self, load: Callable[[Item], Any], workers: int, timeout: float, memory_mb: int = 0) -> None:
        self.load = load
        self.workers = max(1, workers)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._context = multiprocessing.get_context("fork")
        self._results: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self._stop = threading.Event()
        self._error: BaseException | None = None

    def run(self, items: Iterable[Item]) -> Generator[Loaded[Item], None, None]:
        """Outcomes in the order loads finish. Closing the iterator early stops and reaps the workers."""
        todo = deque(items)
        if not todo:
            return
        manager = threading.Thread(target=self._manage, args=(todo,), name="kb-loaders", daemon=True)
        manager.start()
        try:
            while True:
                outcome = self._results.get()
                if outcome is _DONE:
                    break
                yield outcome
            if self._error is not None:
                raise self._error
        finally:
            self._stop.set()
            manager.join()

    def _put(self, outcome: Any) -> None:
        while not self._stop.is_set():
            try:
                self._results.put(outcome, timeout=0.2)
                return
            except queue.Full:
                continue

    def _manage(self, todo: deque) -> None:
        idle: list[_Worker] = []
        busy: dict[Connection, _Worker] = {}
        try:
            idle = [self._new_worker() for _ in range(min(self.workers, len(todo)))]
            while (todo or busy) and not self._stop.is_set():
                while todo and idle:
                    worker = idle.pop()
                    worker.item, worker.started = todo.popleft(), time.monotonic()
                    worker.conn.send(worker.item)
                    busy[worker.conn] = worker
                deadline = min(w.started for w in busy.values()) + self.timeout
                for conn in wait(list(busy), timeout=max(0.0, min(deadline - time.monotonic(), 0.5))):
                    idle.append(self._collect(busy.pop(cast(Connection, conn))))
                self._stop_overdue(busy, idle, more_to_do=bool(todo))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._error = exc
        finally:
            for worker in [*idle, *busy.values()]:
                worker.stop(kill=bool(busy) or self._stop.is_set())
            self._put(_DONE)

    def _new_worker(self) -> _Worker:
        return _Worker(self._context, self.load, self.memory_mb)

    def _collect(self, worker: _Worker) -> _Worker:
        """Pass on the outcome a worker has ready; returns the worker to use next (a fresh one if it died)."""
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.stop(kill=True)
            code = worker.process.exitcode
            self._put(Loaded(worker.item, code="crashed", reason=f"the reader process died on this file (exit code {code})"))
            return self._new_worker()
        if message[0] == "ok":
            self._put(Loaded(worker.item, value=message[1]))
        else:
            self._put(Loaded(worker.item, code=message[1], reason=message[2]))
        retired = message[0] == "failed" and message[1] == "too_large"
        if worker.process.is_alive() and not retired:
            return worker
        worker.stop()  # it retired after running out of memory
        return self._new_worker()

    def _stop_overdue(self, busy: dict[Connection, _Worker], idle: list[_Worker], more_to_do: bool) -> None:
        """Kill the workers whose item is past the time limit, reporting each item; replace them if needed."""
        now = time.monotonic()
        for conn, worker in list(busy.items()):
            if now - worker.started >= self.timeout:
                del busy[conn]
                worker.stop(kill=True)
                self._put(Loaded(worker.item, code="timeout",
                                 reason=f"reading took longer than {self.timeout:g} s (KB_FILE_TIMEOUT); stopped"))
                if more_to_do:
                    idle.append(self._new_worker())
