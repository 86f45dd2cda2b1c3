"""Searches in a pool of processes: one HTTP server in front, N processes that search, one queue between them.

uvicorn's own workers each accept their own connections, and a keep-alive connection stays with the process that
accepted it; asyncio accepts every pending connection at once, so clients that connect together land unevenly:
16 keep-alive clients were split 14/2 between 2 workers (labour-docs, result cache off, benchmarks/api_load.md),
and the 14 waited 350 ms a search while the 2 waited 52 (p99 549 ms). `kb serve --workers N` (N >= 2) runs one
server process instead, and every search its result cache does not hold joins one first-in-first-out queue that
whichever of the N search processes is free takes next: each waits only for the searches asked before it.

The front process resolves filters, keeps the result cache, serves the other routes (documents, topics, health,
uploads) and never loads the model; a search process holds a KnowledgeBase over the same settings and answers with
the response's JSON bytes, over a pipe the front's event loop watches (no thread waits on a search). A search
process that dies (killed, out of memory) is started afresh, and the search it held asked again of the next free one;
one that has not answered within KB_SEARCH_TIMEOUT seconds (OPEN_SECONDS more when it reads in a new snapshot first) is
killed and started afresh, and its search answered 503 (asked again, a search that hangs a process would hang the next).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import deque
from typing import TYPE_CHECKING, Any

from kb.api.errors import APIError
from kb.api.search_process import OPENING, Failed, serve

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from kb.config import Settings
    from kb.records import Filters

log = logging.getLogger("kb.api")

# How long the front waits for a search process to load the index and the model before it serves anyway (searches
# then wait for it).
START_SECONDS = 120.0
# How much longer than KB_SEARCH_TIMEOUT a search may take when its process reads in a new snapshot first (it says
# OPENING): reading a large index is not a hung search.
OPEN_SECONDS = START_SECONDS
# How long a closing pool waits for a search process to end its search and exit before it is killed.
STOP_SECONDS = 10.0
_SPAWN = multiprocessing.get_context("spawn")  # a fork of the server would copy its threads' locks mid-use


class _TimedOut(Exception):
    """A search process did not answer within the pool's timeout."""


class _Process:
    """One search process and the front's end of its pipe."""

    def __init__(self, settings: Settings) -> None:
        self.conn, theirs = _SPAWN.Pipe()
        self.process: BaseProcess = _SPAWN.Process(target=serve, args=(theirs, settings), daemon=True,
                                                   name="kb-search")
        self.process.start()
        theirs.close()
        self._started: asyncio.Future[Any] | None = None  # its first word (its pid), awaited once, by all who ask
        self.owed = 0  # answers sent for searches whose asker stopped waiting (cancelled): read before the next

    async def _readable(self) -> None:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(self.conn.fileno(), lambda: None if ready.done() else ready.set_result(None))
        try:
            await ready
        finally:
            if not self.conn.closed:  # else stop() has taken the reader off
                loop.remove_reader(self.conn.fileno())
                os.set_blocking(self.conn.fileno(), True)  # uvloop leaves it non-blocking: a long answer arrives in parts

    def starting(self) -> asyncio.Future[Any]:
        """Done when the process is ready (EOFError in it if the process died first); waited for in the background
        from the first call, so that /health sees a replacement become ready without a search asking it."""
        if self._started is None:  # its first word is its pid: it has loaded the index and the model
            self._started = asyncio.ensure_future(self._within(None))
            # A process that dies before it is ready is met by the next search to ask it; not an unread error.
            self._started.add_done_callback(lambda started: started.cancelled() or started.exception())
        return self._started

    @property
    def ready(self) -> bool:
        started = self._started
        return (started is not None and started.done() and not started.cancelled() and started.exception() is None
                and self.process.is_alive())

    async def started_in(self, seconds: float | None) -> bool:
        """Whether the process has loaded the index and the model within `seconds` (None: however long it takes);
        EOFError if it died."""
        started = self.starting()
        if started.done():  # every search after the first: no waiting to set up
            started.result()
            return True
        try:
            await asyncio.wait_for(asyncio.shield(started), seconds)
        except TimeoutError:
            return False
        return True

    async def ask(self, request: tuple[str, Filters, dict[str, Any]], seconds: float) -> bytes | Failed:
        """Its answer to one search; EOFError (or OSError) if it dies first, _TimedOut if it has not answered
        within `seconds` of being asked."""
        await self.started_in(None)
        while self.owed:  # an earlier asker was cancelled mid-search: its answer comes first
            if await self._within(None) != OPENING:
                self.owed -= 1
        self.conn.send(request)
        self.owed += 1
        answer = await self._within(seconds)
        if answer == OPENING:  # it reads in a new snapshot first
            answer = await self._within(OPEN_SECONDS + seconds)
        self.owed -= 1
        return answer

    async def _within(self, seconds: float | None) -> Any:
        """The process's next message; _TimedOut if none has come within `seconds` (None: however long it takes)."""
        try:
            await asyncio.wait_for(self._readable(), seconds)
        except TimeoutError:
            raise _TimedOut from None
        return self.conn.recv()

    def stop(self, now: bool = False) -> None:
        """End the process: as its pipe closes (it finishes its search first), or `now`, killed."""
        if self._started is not None and not self._started.done():
            self._started.cancel()
        try:  # nothing waits on the pipe once it is closed (its number may be given to another file)
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
        except (RuntimeError, OSError):
            pass
        self.conn.close()  # it sees the end of its pipe and exits
        if not now:
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_SECONDS)


class SearchPool:
    """`processes` search processes over `settings`; searches take the next free one in the order they ask."""

    def __init__(self, settings: Settings, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"a search pool needs a process, not {processes}")
        self.settings, self.processes = settings, processes
        self._all: list[_Process] = []
        self._idle: deque[_Process] = deque()
        self._waiting: deque[asyncio.Future[_Process]] = deque()  # searches waiting for a process, oldest first

    async def start(self, timeout: float = START_SECONDS) -> list[int]:
        """Start the search processes and wait up to `timeout` seconds for them to load the index and the model;
        the ids of those that have."""
        self._all = [_Process(self.settings) for _ in range(self.processes)]
        self._idle.extend(self._all)
        ready = await asyncio.gather(*(p.started_in(timeout) for p in self._all), return_exceptions=True)
        if not all(r is True for r in ready):
            log.warning("%d of %d search processes are not ready after %.0f s; searches wait for them",
                        sum(r is not True for r in ready), self.processes, timeout)
        return sorted(p.process.pid for p, r in zip(self._all, ready, strict=True) if r is True and p.process.pid)

    def pids(self) -> list[int]:
        """The search processes' ids."""
        return sorted(p.process.pid for p in self._all if p.process.pid is not None)

    def ready(self) -> int:
        """How many search processes have loaded the index and the model and are alive."""
        return sum(p.ready for p in self._all)

    async def search(self, query: str, filters: Filters, **options: Any) -> bytes:
        """The JSON bytes of `KnowledgeBase.search(query, filters=filters, **options)` plus its offset, from the
        next free search process; APIError for an error it met. A process that dies mid-search is replaced, and
        the search asked again of the next free one."""
        assert self._all, "start() the pool first"
        request = (query, filters, options)
        try:
            answer = await self._ask_until_answered(request)
        except _TimedOut:
            raise APIError(503, "search_timeout", f"The search took longer than {self.settings.search_timeout:g} s "
                                                  "and was stopped; try again, or ask it in fewer words.") from None
        if isinstance(answer, Failed):
            raise answer.error()
        return answer

    async def _ask_until_answered(self, request: tuple[str, Filters, dict[str, Any]]) -> bytes | Failed:
        """The answer of the next free process, or, when it died first (it is replaced), of the next free one after it:
        with every process dead at once (the machine out of memory), the first replacement answers."""
        for _ in range(self.processes):
            try:
                return await self._ask(request)
            except (EOFError, OSError):
                pass  # it is replaced; the next free process is asked
        return await self._ask(request)  # every process was dead: a replacement answers now

    async def _ask(self, request: tuple[str, Filters, dict[str, Any]]) -> bytes | Failed:
        """The next free process's answer; EOFError or OSError when it died first, _TimedOut when it took too long
        (either way it is replaced)."""
        process = await self._next_free()
        try:
            return await process.ask(request, self.settings.search_timeout)
        except (EOFError, OSError, _TimedOut) as exc:
            hung = isinstance(exc, _TimedOut)
            log.warning("search process %s %s; starting another", process.process.pid,
                        f"took over {self.settings.search_timeout:g} s on a search" if hung else "died")
            process.stop(now=hung)
            process = self._replace(process)
            raise
        finally:
            self._hand_on(process)

    def _replace(self, process: _Process) -> _Process:
        replacement = _Process(self.settings)
        replacement.starting()  # ready in the background, as /health sees
        self._all[self._all.index(process)] = replacement
        return replacement

    async def _next_free(self) -> _Process:
        """The next free process, in the order searches asked for one. (asyncio.Queue is not first come first
        served: a search that asks while a freed process is on its way to the oldest waiter takes it, and the
        waiter goes to the back.)"""
        if self._idle and not self._waiting:
            return self._idle.popleft()
        handed: asyncio.Future[_Process] = asyncio.get_running_loop().create_future()
        self._waiting.append(handed)
        try:
            return await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self._hand_on(handed.result())  # given a process as it was cancelled: the next one takes it
            elif handed in self._waiting:
                self._waiting.remove(handed)
            raise

    def _hand_on(self, process: _Process) -> None:
        """A process is free: to the oldest waiting search, else idle."""
        while self._waiting:
            handed = self._waiting.popleft()
            if not handed.done():
                handed.set_result(process)
                return
        self._idle.append(process)

    def close(self) -> None:
        for process in self._all:
            process.stop()
        self._all, self._idle = [], deque()
