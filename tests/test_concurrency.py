"""Readers keep answering while ingests replace the snapshot under them."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from kb import KnowledgeBase, Settings
from kb.api import create_app


def test_api_answers_without_error_while_snapshots_are_replaced(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(20):
        (docs / f"doc{i}.txt").write_text(f"Document {i}\n\nApprentices in trade {i} learn welding and safety.", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", rate_limit=0)  # readers loop flat out; not a rate-limit test
    KnowledgeBase(settings, embedder=fake_embedder).ingest([docs])
    app_kb = KnowledgeBase(settings, embedder=fake_embedder)
    errors: list[str] = []
    answered = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal answered
        with TestClient(create_app(settings, kb=app_kb)) as client:
            while not stop.is_set():
                response = client.get("/search", params={"q": "apprentices welding", "k": 5})
                if response.status_code != 200 or not response.json()["hits"]:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                answered += 1

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    writer = KnowledgeBase(settings, embedder=fake_embedder)
    snapshots = set()
    for round_ in range(8):  # each round changes a file, so each ingest writes a new snapshot
        (docs / f"doc{round_}.txt").write_text(f"Document {round_} v2\n\nApprentices learn welding, round {round_}.", encoding="utf-8")
        writer.ingest([docs])
        snapshots.add(writer.reader().snapshot)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(snapshots) == 8
    assert answered > 20 and not errors, errors[:3]
