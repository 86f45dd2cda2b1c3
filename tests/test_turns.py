"""kb/turns.py: one thread at a time, in the order the threads came."""

from __future__ import annotations

import threading
import time

from kb.turns import Turns

WAIT = 10.0  # every wait is bounded: a broken Turns fails the test instead of hanging the suite


def _wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_their_turn_in_the_order_they_came():
    turns = Turns()
    entered: list[int] = []
    inside = threading.Semaphore(0)

    def take(n: int) -> None:
        with turns:
            entered.append(n)
            inside.release()

    threads = []
    with turns:
        for n in range(8):
            thread = threading.Thread(target=take, args=(n,), daemon=True)
            thread.start()
            threads.append(thread)
            _wait_until(lambda n=n: len(turns._waiting) == n + 1)  # n + 1 threads now wait, in this order
    for thread in threads:
        thread.join(WAIT)
    assert entered == list(range(8))
    assert not turns._taken  # the last one out frees it


def test_one_at_a_time_and_freed_when_the_holder_raises():
    turns = Turns()
    active, most = 0, 0
    guard = threading.Lock()

    def work(n: int) -> None:
        nonlocal active, most
        try:
            with turns:
                with guard:
                    active += 1
                    most = max(most, active)
                time.sleep(0.001)
                with guard:
                    active -= 1
                if n % 3 == 0:
                    raise RuntimeError("a search that fails")
        except RuntimeError:
            pass

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert most == 1
    with turns:  # not left taken by the ones that raised
        pass


def test_a_search_embeds_its_question_outside_the_search_turn(tmp_path, fake_embedder):
    """The question is embedded before its search takes the search turn, so one search embeds while another
    runs the rest of its search; the vector embedded is the one searched with."""
    from kb.config import Settings
    from kb.service import KnowledgeBase

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "apprenticeships.md").write_text("# Apprenticeships\n\nQuality apprenticeships for young women.\n")
    (folder / "pensions.md").write_text("# Pensions\n\nPension reform and old age benefits.\n")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    kb.ingest([folder])
    held_while_embedding: list[bool] = []
    encode = fake_embedder.encode

    def watched(texts):
        held_while_embedding.append(kb._search_turns._taken)
        return encode(texts)

    fake_embedder.encode = watched  # type: ignore[method-assign]
    result = kb.search("apprenticeships for women", k=2)
    assert held_while_embedding == [False]
    assert result.hits[0].doc_id == "apprenticeships.md"
    assert not kb._search_turns._taken and not kb._embed_turns._taken
