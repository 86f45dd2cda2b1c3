"""`kb serve --workers N`: one server process, N search processes fed from one queue (kb/api/pool.py)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.api.pool import Failed, SearchPool
from kb.config import Settings
from kb.errors import IndexNotFound, QueryError, UnknownFilter
from kb.records import Filters

pytestmark = pytest.mark.slow

QUESTIONS = ["recognition of prior learning toolkit", "apprenticeships for women", "Lebanon",
             "aprendizaje permanente", "digital skills for young people in Africa"]
# Several searches at once: more than the pool has processes, so some wait in its queue.
REQUESTS = [f"/search?q={q}" for q in QUESTIONS] + ["/search?q=skills&type=tool_report&k=3",
                                                    "/search?q=forced labour&offset=2&k=2&mode=keyword"]


@pytest.fixture(scope="module")
def pooled(corpus_kb):
    app = create_app(corpus_kb.settings, search_processes=2)
    with TestClient(app) as client:
        yield client, app.state.pool


@pytest.fixture(scope="module")
def plain(corpus_kb):
    with TestClient(create_app(corpus_kb.settings, kb=corpus_kb)) as client:
        yield client


def test_the_pool_answers_as_the_server_itself_does(pooled, plain):
    client, pool = pooled
    assert len(pool.pids()) == 2 and os.getpid() not in pool.pids()
    for path in REQUESTS:
        ours, theirs = client.get(path), plain.get(path)
        assert ours.status_code == theirs.status_code == 200, path
        mine, other = ours.json(), theirs.json()
        mine.pop("took_ms"), other.pop("took_ms")
        assert mine == other, path


def test_errors_read_the_same_through_the_pool(pooled, plain):
    client, _ = pooled
    for path in ("/search?q=skills&type=no_such_type", "/search?q=%20", "/search?q=skills&since=2024&until=2020"):
        ours, theirs = client.get(path), plain.get(path)
        assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), path
        assert ours.status_code in (400, 422)


def test_an_error_in_a_search_process_is_answered_as_the_api_answers_it():
    unknown = Failed.of(UnknownFilter("type", "memo", ["tool_report"], ["tool_report", "press_release"]))
    assert (unknown.status, unknown.code) == (400, "unknown_filter") and "type=memo" in unknown.message
    assert Failed.of(QueryError("k must be between 1 and 100")).error().status == 400
    assert Failed.of(IndexNotFound("/srv/index")).message.startswith("This server has no index")  # no server path
    crash = Failed.of(RuntimeError("/srv/secret went wrong"))
    assert (crash.status, crash.code) == (500, "internal_error") and "/srv" not in crash.message


def test_health_counts_the_ready_search_processes(pooled):
    client, pool = pooled
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["search_processes"] == {"ready": 2, "total": 2}


def test_a_search_process_that_dies_is_replaced(pooled):
    client, pool = pooled
    before = pool.pids()
    os.kill(before[0], signal.SIGKILL)
    time.sleep(0.2)
    for question in QUESTIONS:  # each process is asked at least once: the dead one is met, replaced, asked again
        answer = client.get(f"/search?q={question} again")
        assert answer.status_code == 200 and answer.json()["hits"], question
    after = pool.pids()
    assert len(after) == 2 and before[0] not in after and before[1] in after


def test_when_every_search_process_dies_at_once_a_replacement_answers(pooled):
    client, pool = pooled
    before = pool.pids()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    answer = client.get("/search?q=apprenticeships for women, after a crash")
    assert answer.status_code == 200 and answer.json()["hits"], answer.text
    assert len(pool.pids()) == 2 and not set(before) & set(pool.pids())


def test_health_says_starting_while_no_search_process_is_ready(corpus_kb):
    with TestClient(create_app(corpus_kb.settings, search_processes=1)) as client:
        [pid] = client.app.state.pool.pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        starting = client.get("/health")
        assert starting.status_code == 503, starting.text
        assert starting.json()["status"] == "starting" and starting.json()["search_processes"] == {"ready": 0, "total": 1}
        assert client.get("/search?q=Lebanon").status_code == 200  # met dead, replaced, asked again
        assert client.get("/health").json()["search_processes"] == {"ready": 1, "total": 1}


def test_a_search_process_that_hangs_is_stopped_replaced_and_its_search_answered_503(corpus_kb):
    """A search process that does not answer within KB_SEARCH_TIMEOUT (stopped here with SIGSTOP) is killed and
    replaced; its search is answered 503 (not asked again: a search that hangs one process would hang the next), and
    the next search is answered by the replacement."""
    import asyncio
    from dataclasses import replace

    from kb.api.errors import APIError

    async def scenario() -> tuple[int, str, str, bool, int]:
        pool = SearchPool(replace(corpus_kb.settings, search_timeout=1.0), 1)
        try:
            [hung] = await asyncio.wait_for(pool.start(), 120)
            os.kill(hung, signal.SIGSTOP)
            options = {"k": 3, "mode": "hybrid", "offset": 0, "query_language": None, "correct": True}
            asked = time.monotonic()
            with pytest.raises(APIError) as stopped:
                await asyncio.wait_for(pool.search("apprenticeships for women", Filters(), **options), 30)
            waited = time.monotonic() - asked
            assert 1.0 <= waited < 15, waited
            [replacement] = pool.pids()
            assert replacement != hung and not _alive(hung)
            answer = await asyncio.wait_for(pool.search("Lebanon", Filters(), **options), 120)
            return stopped.value.status, stopped.value.code, json.loads(answer)["query"], replacement != hung, pool.ready()
        finally:
            pool.close()

    assert asyncio.run(scenario()) == (503, "search_timeout", "Lebanon", True, 1)


def _alive(pid: int) -> bool:
    """Whether a process of this id runs (a zombie, killed and not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_search_process_reads_in_a_new_snapshot_before_the_search_it_times(corpus_kb, embedder, tmp_path, monkeypatch):
    """After an ingest, a search process says it is opening the new snapshot (a large one takes long to read in), the
    front gives that search OPEN_SECONDS more than KB_SEARCH_TIMEOUT, and the answer comes from the new snapshot."""
    import asyncio
    import shutil
    from dataclasses import replace

    from kb.api import pool as pool_module
    from kb.api.search_process import OPENING
    from kb.service import KnowledgeBase

    index = tmp_path / "index"
    shutil.copytree(corpus_kb.settings.index_dir, index)
    settings = replace(corpus_kb.settings, index_dir=index, search_timeout=5.0)
    heard: list[object] = []  # what the front read from its process, message by message
    within = pool_module._Process._within

    async def listening(self, seconds: float) -> object:
        heard.append(message := await within(self, seconds))
        return message

    monkeypatch.setattr(pool_module._Process, "_within", listening)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "kites.txt").write_text("Kite making\n\nVillage workshops teach kite making to school leavers.", encoding="utf-8")
    options = {"k": 3, "mode": "keyword", "offset": 0, "query_language": None, "correct": True}

    async def scenario() -> list[str]:
        pool = SearchPool(settings, 1)
        try:
            await asyncio.wait_for(pool.start(), 120)
            before = json.loads(await asyncio.wait_for(pool.search("kite making workshops", Filters(), **options), 60))
            assert OPENING not in heard and all(h["doc_id"] != "kites.txt" for h in before["hits"])
            await asyncio.to_thread(KnowledgeBase(settings, embedder=embedder).ingest, [extra])
            after = json.loads(await asyncio.wait_for(pool.search("kite making workshops", Filters(), **options), 120))
            return [h["doc_id"] for h in after["hits"]]
        finally:
            pool.close()

    found = asyncio.run(scenario())
    assert found[0] == "kites.txt" and heard.count(OPENING) == 1 and heard[-2] == OPENING


def test_a_pool_needs_a_process(corpus_kb):
    with pytest.raises(ValueError):
        SearchPool(corpus_kb.settings, 0)


def test_a_search_whose_asker_stops_waiting_does_not_answer_the_next(corpus_kb):
    """A cancelled request (a server shutting down, a timeout) leaves its answer in the pipe: the next search on that
    process reads past it, and gets its own."""
    import asyncio

    async def scenario() -> tuple[str, str]:
        pool = SearchPool(corpus_kb.settings, 1)
        try:
            assert len(await asyncio.wait_for(pool.start(), 120)) == 1
            options = {"k": 3, "mode": "hybrid", "offset": 0, "query_language": None, "correct": True}
            first = asyncio.ensure_future(pool.search("apprenticeships for women", Filters(), **options))
            await asyncio.sleep(0.01)  # sent, not answered
            first.cancel()
            second = json.loads(await asyncio.wait_for(pool.search("Lebanon", Filters(), **options), 60))
            third = json.loads(await asyncio.wait_for(pool.search("forced labour", Filters(), **options), 60))
            return second["query"], third["query"]
        finally:
            pool.close()

    assert asyncio.run(scenario()) == ("Lebanon", "forced labour")


def test_a_freed_process_goes_to_the_search_that_waited_longest():
    """First come, first served: a search that asks just as a process is freed for the oldest waiter waits its turn
    (asyncio.Queue would give it the process and send the waiter to the back), and a waiter cancelled as it is
    handed a process hands it on."""
    import asyncio

    async def scenario() -> list[tuple[str, str]]:
        pool = SearchPool(Settings(), 1)
        pool._idle.append("A")
        got: list[tuple[str, str]] = []

        async def ask(name: str) -> None:
            got.append((name, await pool._next_free()))

        held = await pool._next_free()
        waiting = [asyncio.ensure_future(ask(name)) for name in ("second", "cancelled", "third")]
        await asyncio.sleep(0)
        pool._hand_on(held)  # to "second"
        late = asyncio.ensure_future(ask("late"))  # asks before "second" has run
        await asyncio.sleep(0)
        pool._hand_on("A")  # to "cancelled", which is cancelled before it runs: on to "third"
        waiting[1].cancel()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        pool._hand_on("A")  # to "late"
        await asyncio.wait_for(asyncio.gather(waiting[0], waiting[2], late), 5)
        return got

    assert asyncio.run(scenario()) == [("second", "A"), ("third", "A"), ("late", "A")]
