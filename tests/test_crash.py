"""SIGKILL `kb ingest` at random moments: the index stays usable, and re-running converges.

The machinery (source set, kill timing, checks) is in tests/crash_harness.py; benchmarks/crash.py
prints the same run's summary line. KB_CRASH_KILLS sets the number of kills (default 20).
"""

from __future__ import annotations

import pytest

from tests.crash_harness import run

pytestmark = pytest.mark.slow


def test_sigkill_during_ingest_leaves_the_last_good_snapshot_and_rerunning_converges(tmp_path):
    summary = run(tmp_path)
    print(summary.line())
    assert not summary.problems, "\n".join([summary.line(), *summary.problems[:20]])
    assert summary.converged, summary.line()
    assert summary.landed >= summary.kills // 2, "most kills should hit a running ingest: " + summary.line()
