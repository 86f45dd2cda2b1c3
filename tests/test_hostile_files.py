"""Hostile and odd files: each is reported with a reason, the others are ingested, nothing hangs."""

from __future__ import annotations

import os
import time

import pytest

from kb import KnowledgeBase, Settings
from tests.pdfs import make_pdf, make_slow_pdf


def _kb(tmp_path, embedder, **settings):
    return KnowledgeBase(Settings(index_dir=tmp_path / "index", **settings), embedder=embedder)


def _good(folder):
    (folder / "good.txt").write_text("Good document\n\nTraining for solar technicians in rural areas.", encoding="utf-8")


def test_file_over_the_size_limit_is_reported(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    (docs / "huge.txt").write_text("Big\n\n" + "word " * 400_000, encoding="utf-8")  # ~2 MB
    report = _kb(tmp_path, fake_embedder, max_file_bytes=1024 * 1024).ingest([docs])
    assert report.added == ("good.txt",)
    assert [f.code for f in report.failed] == ["load_failed"] and "over the 1 MB limit" in report.failed[0].reason


def test_deeply_nested_html_does_not_stop_the_run(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    (docs / "bomb.html").write_text("<html><body>" + "<div>" * 50_000 + "deep text" + "</div>" * 50_000 + "</body></html>")
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert "good.txt" in report.added
    assert "bomb.html" in report.added or any(f.path.endswith("bomb.html") for f in report.failed)


def test_symlink_loops_and_links_out_of_the_root(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\n\nSalaries of the director and staff.", encoding="utf-8")
    os.symlink(outside, docs / "leak.txt")
    os.symlink(docs / "b.txt", docs / "a.txt")
    os.symlink(docs / "a.txt", docs / "b.txt")
    os.symlink(docs, docs / "self")  # a folder loop
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert report.added == ("good.txt",)
    reasons = {os.path.basename(f.path): f.code for f in report.failed}
    assert reasons["leak.txt"] == "outside_root"
    assert {"a.txt", "b.txt"} <= set(reasons)


def test_odd_file_names_keep_their_ids(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    (docs / "sous dossier").mkdir(parents=True)
    names = ["with space.txt", "ünïcödé – guide.md", "new\nline.txt"]
    for name in names:
        (docs / "sous dossier" / name).write_text("Title here\n\nSome text about apprenticeship wages.", encoding="utf-8")
    kb = _kb(tmp_path, fake_embedder)
    report = kb.ingest([docs])
    assert sorted(report.added) == sorted(f"sous dossier/{n}" for n in names)
    for name in names:
        assert kb.document(f"sous dossier/{name}").title


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_reported(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    locked = docs / "locked.txt"
    locked.write_text("x\n\ny")
    locked.chmod(0)
    report = _kb(tmp_path, fake_embedder).ingest([docs])
    assert report.added == ("good.txt",) and report.failed[0].code == "unreadable"


@pytest.mark.slow
def test_a_thousand_page_pdf(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    trades = ["welding", "carpentry", "masonry", "plumbing", "tailoring", "baking", "electrical work"]
    pages = [f"Section {i}\nIn workshop {i}, apprentices learn {trades[i % 7]} from a master craftsperson.\n"
             f"Their {trades[(i * 3) % 7]} logbook lists {i % 13 + 2} tasks checked by the mentor." for i in range(1000)]
    make_pdf(docs / "long.pdf", pages, title="A very long report")
    kb = _kb(tmp_path, fake_embedder)
    report = kb.ingest([docs])
    assert report.added == ("long.pdf",)
    pages = {c.page for c in kb.reader().chunks_of("long.pdf")}
    assert len(pages) == 1000 and max(pages) == 1000


def test_a_file_over_the_time_limit_is_stopped_and_the_run_goes_on(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    make_slow_pdf(docs / "slow.pdf", operations=200_000)  # ~10 s to read
    (docs / "later.md").write_text("# Later\n\nApprenticeship guide for employers.", encoding="utf-8")
    started = time.monotonic()
    report = _kb(tmp_path, fake_embedder, workers=1, file_timeout=1.0).ingest([docs])
    assert time.monotonic() - started < 8  # stopped near the limit, not read to the end
    assert sorted(report.added) == ["good.txt", "later.md"]
    [failure] = report.failed
    assert failure.path.endswith("slow.pdf") and failure.code == "timeout" and "KB_FILE_TIMEOUT" in failure.reason


def test_a_file_that_needs_too_much_memory_fails_alone(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    _good(docs)
    (docs / "big.txt").write_text("Big\n\n" + "many words here " * 2_000_000, encoding="utf-8")  # 32 MB
    report = _kb(tmp_path, fake_embedder, workers=1, worker_memory_mb=64).ingest([docs])
    assert report.added == ("good.txt",)
    [failure] = report.failed
    assert failure.path.endswith("big.txt") and failure.code in ("too_large", "crashed")
