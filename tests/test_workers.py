"""The reader pool: outcomes for every item, whatever happens to the process reading it."""

from __future__ import annotations

import os
import time

from kb.errors import EmptyDocument
from kb.ingest.executors.pool import LoaderPool, load_inline


def _load(item: int) -> int:
    if item == 2:
        os._exit(3)  # a parser that takes its process down (a segfault, the OOM killer)
    if item == 3:
        time.sleep(30)  # a parser that never finishes
    if item == 4:
        raise EmptyDocument("no text")
    return item * 10


def test_each_item_gets_an_outcome_and_bad_ones_do_not_stop_the_others():
    started = time.monotonic()
    outcomes = {o.item: o for o in LoaderPool(_load, workers=2, timeout=1.0).run(range(7))}
    assert time.monotonic() - started < 10
    assert {i: o.value for i, o in outcomes.items() if o.ok} == {0: 0, 1: 10, 5: 50, 6: 60}
    assert outcomes[2].code == "crashed" and "exit code 3" in outcomes[2].reason
    assert outcomes[3].code == "timeout"
    assert (outcomes[4].code, outcomes[4].reason) == ("empty", "no text")


def test_inline_loading_reports_failures_the_same_way():
    outcomes = {o.item: o for o in load_inline(_load, [0, 4])}
    assert outcomes[0].value == 0 and outcomes[4].code == "empty"
