"""A search process of the pool (kb/api/pool.py): it loads the index and the model, then answers the searches the server
process sends over its pipe, each with the response's JSON bytes or the error it met (Failed)."""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kb.api.errors import APIError, api_spelling, client_message
from kb.errors import FilterError, KBError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from kb.config import Settings

log = logging.getLogger("kb.api")

# What a search process says before it reads in a new snapshot; the search's answer follows.
OPENING = "opening a new snapshot"
# Search processes yield the CPU to the server process, which must pass each answer on and the next search in
# promptly, or a search process waits idle for it (labour-docs, 16 clients, cache off, 2 pairs: p99 399 and 427
# ms without, 358 and 365 with).
SEARCH_NICENESS = 5


@dataclass(frozen=True)
class Failed:
    """An error a search process met, as the API answers it (kb's errors do not all survive pickling)."""

    status: int
    code: str
    message: str

    @classmethod
    def of(cls, exc: Exception) -> Failed:
        if not isinstance(exc, KBError):
            return cls(500, "internal_error", "Something went wrong on the server; the error was logged.")
        message = exc.explain(api_spelling) if isinstance(exc, FilterError) else client_message(exc)
        return cls(exc.http_status, exc.code, message)

    def error(self) -> APIError:
        return APIError(self.status, self.code, self.message)


def serve(conn: Connection, settings: Settings) -> None:
    """A search process: load the index and the model (a second search reads what a reader loads from its second
    search on), say so, then answer each search the front sends until it closes the pipe. Ctrl-C is the front's."""
    from kb.api.app import warm_up
    from kb.api.search import encoded
    from kb.records import to_dict
    from kb.service import KnowledgeBase

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(SEARCH_NICENESS)
    kb = KnowledgeBase(replace(settings, result_cache=0))  # the server process keeps the answers
    warm_up(kb)
    opened = _snapshot(kb)
    conn.send(os.getpid())
    while True:
        try:
            query, filters, options = conn.recv()
        except EOFError:
            return
        if _snapshot(kb) != opened:  # an ingest landed: its snapshot read in (an ivf index: ~4 GB at 10M chunks) first
            conn.send(OPENING)  # the front gives this search OPEN_SECONDS more
            try:
                warm_up(kb)
            except KBError:
                pass  # the search meets it too, and answers it
            opened = _snapshot(kb)
        try:
            answer: bytes | Failed = encoded(to_dict(kb.search(query, filters=filters, **options)) | {"offset": options["offset"]})
        except Exception as exc:  # the front answers it; a 500 is the operator's to read here
            if not isinstance(exc, KBError) or exc.http_status == 500:
                log.exception("a search failed in search process %d", os.getpid())
            answer = Failed.of(exc)
        conn.send(answer)


def _snapshot(kb: Any) -> str | None:
    """The snapshot a search would read now (None: no index yet)."""
    try:
        return kb.reader().snapshot
    except KBError:
        return None
