"""The index's write lock: one writing process at a time, released by the kernel if that process dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
import weakref
from pathlib import Path
from typing import IO

from kb.errors import IndexLocked
from kb.index.layout import LOCK

_HELD: weakref.WeakSet[WriteLock] = weakref.WeakSet()


class WriteLock:
    """An exclusive flock on INDEX_DIR/.lock, naming its holder for whoever finds it taken."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / LOCK
        self.fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise IndexLocked naming the process that holds it."""
        fh = open(self.path, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise IndexLocked(f"The index at {self.path.parent} is being written by {holder}. "
                              "Wait for it to finish, then run again.") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"kb ingest (pid {os.getpid()})")
        fh.flush()
        self.fh = fh
        _HELD.add(self)

    def release(self) -> None:
        if self.fh is not None:
            with contextlib.suppress(OSError):
                self.fh.truncate(0)
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def _drop_inherited_locks() -> None:
    """In a forked child (an ingest's file reader), close the inherited lock file without unlocking it:
    the lock then dies with the writing process alone, not with the last of its children."""
    for lock in list(_HELD):
        if lock.fh is not None:
            with contextlib.suppress(OSError):
                lock.fh.close()  # closing one of two descriptors of a flock leaves it held
            lock.fh = None


os.register_at_fork(after_in_child=_drop_inherited_locks)
