"""Which superseded snapshots a commit keeps: replicas reading one must never see it vanish.

Readers open a snapshot as immutable and take no lock (kb/index/reader.py), so a writer cannot know who still
reads an old one. Instead every snapshot gets a grace period from the moment a newer one replaced it: the
manifest records that moment (`Manifest.superseded`), and the first write after the grace is over deletes
it. The newest SNAPSHOTS_KEPT - 1 superseded snapshots are kept whatever their age (an in-process reader that
is mid-query when the manifest changes). Times are wall-clock seconds, so writers and replicas on shared
storage need clocks that agree to well within the grace period.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from kb.config import SNAPSHOTS_KEPT
from kb.index.layout import MANIFEST, SNAPSHOTS


@dataclass(frozen=True)
class Retention:
    """What one commit does with the snapshots before it: those kept (newest first, with when each was
    superseded) and those whose grace is over."""

    kept: tuple[str, ...]
    superseded: dict[str, str]
    expired: tuple[str, ...]


def retain(history: Sequence[str], superseded: Mapping[str, str], now: dt.datetime, grace_seconds: float) -> Retention:
    """Split `history` (the snapshot being replaced first, then the older ones kept so far) into kept and expired.

    `superseded` says when each stopped being current; one it does not name (the snapshot being replaced, or
    one from a manifest written before kb kept the times) is taken as superseded `now`, so its grace starts now.
    """
    stamp = now.isoformat(timespec="milliseconds")
    kept: list[str] = []
    times: dict[str, str] = {}
    expired: list[str] = []
    for position, name in enumerate(history):
        when = stamp if position == 0 else superseded.get(name, stamp)
        if position < SNAPSHOTS_KEPT - 1 or (now - _parse(when, now)).total_seconds() < grace_seconds:
            kept.append(name)
            times[name] = when
        else:
            expired.append(name)
    return Retention(tuple(kept), times, tuple(expired))


def _parse(text: str, default: dt.datetime) -> dt.datetime:
    """A recorded time; an unreadable one counts as `default` (the grace starts again rather than ending early)."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return default
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def remove_leftovers(index_dir: Path, keep: Set[str]) -> None:
    """Delete the snapshot folders a killed run left behind (those not in `keep`: the current one and those kept
    for readers) and half-written manifests."""
    folder = index_dir / SNAPSHOTS
    if folder.is_dir():
        for child in folder.iterdir():
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
    for tmp in index_dir.glob(f".{MANIFEST}.*.tmp"):
        tmp.unlink(missing_ok=True)
