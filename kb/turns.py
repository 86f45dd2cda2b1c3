"""Turns: one thread at a time through a stretch of code, in the order the threads came.

A server answers many searches at once on 2 cores. Left to themselves, its threads contend for the interpreter
lock, which goes to whichever thread the OS wakes, and the model's runs take cores from the Python work in between:
each search waits on all the others, some much longer. In turns, one search embeds its question while the one
before it runs the rest of its search, and each waits only for those that came before it.
"""

from __future__ import annotations

import threading
from collections import deque


class Turns:
    """A lock that gives itself to its waiters in the order they asked (threading.Lock promises no order)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._taken = False

    def __enter__(self) -> None:
        with self._lock:
            if not self._taken:
                self._taken = True
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # set by the holder's __exit__, which hands the lock over without freeing it

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._taken = False
