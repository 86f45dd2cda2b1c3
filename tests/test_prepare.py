"""Prepare travels: its task, settings and output survive pickling, and a fresh process makes the same vectors."""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest

from kb.config import Settings
from kb.embed import keep_open
from kb.errors import LoadError
from kb.ingest.chunking import ChunkerSettings
from kb.ingest.discover import content_hash
from kb.ingest.executors import ForkedExecutor, InlineExecutor, executor_for
from kb.ingest.prepare import PrepareSettings, PrepareTask, TextRecord, embed, prepare, read, record_digest
from kb.ingest.progress import Silent
from tests.conftest import CORPUS, WordHashEmbedder

GUIDE = "skills-guides/inclusive-apprenticeships-persons-with-disabilities.md"


def _settings(embedder) -> PrepareSettings:
    chunker = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=embedder.max_seq_length)
    return PrepareSettings(chunker, max_file_bytes=10 * 2**20, model=keep_open(embedder), batch_size=embedder.batch_size)


def _file_task(rel: str = GUIDE) -> PrepareTask:
    path = CORPUS / rel
    return PrepareTask(rel, str(path), str(CORPUS), content_hash(path), path=str(path), rel=rel)


def _record_task() -> PrepareTask:
    record = TextRecord("rec-1", "Apprenticeship wages", "Apprentices are paid a training wage. It rises each year.",
                        {"type": "report", "countries": ["Kenya"]})
    return PrepareTask(record.doc_id, record.doc_id, "beir:test", record_digest(record), record=record)


def _round_trip(value):
    return pickle.loads(pickle.dumps(value))


def test_tasks_settings_and_prepared_documents_survive_pickling(fake_embedder):
    settings = _settings(fake_embedder)
    assert _round_trip(settings) == settings
    for task in (_file_task(), _record_task()):
        assert _round_trip(task) == task
        prepared = prepare(task, settings, {})
        copy = _round_trip(prepared)
        assert (copy.document, copy.chunks, copy.root, copy.embedded) == (prepared.document, prepared.chunks, prepared.root,
                                                                          prepared.embedded)
        assert np.array_equal(copy.vectors, prepared.vectors) and copy.vectors.dtype == np.float32
    chunked = read(_file_task(), settings)
    assert _round_trip(chunked) == chunked


def test_embed_reuses_stored_vectors_by_title_heading_path_and_text(fake_embedder):
    settings = _settings(fake_embedder)
    doc = read(_file_task(), settings)
    first = embed([doc], settings, {})[0]
    assert first.embedded == len(doc.chunks) > 3
    kept = {(doc.document.title, c.heading_path, c.text): v for c, v in zip(doc.chunks[1:], first.vectors[1:])}
    fake_embedder.encoded = 0
    again = embed([doc], settings, {doc.document.doc_id: kept})[0]
    assert again.embedded == fake_embedder.encoded == 1  # only the chunk left out was embedded
    assert np.array_equal(again.vectors, first.vectors)


def test_a_file_that_cannot_be_used_raises_and_the_inline_executor_reports_it(tmp_path, fake_embedder):
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    task = PrepareTask("empty.md", str(empty), str(tmp_path), content_hash(empty), path=str(empty), rel="empty.md")
    settings = _settings(fake_embedder)
    with pytest.raises(LoadError, match="empty file"):
        read(task, settings)
    outcomes = list(InlineExecutor().run([task, _file_task()], settings, {}, Silent()))
    assert [(o.task.doc_id, o.code) for o in outcomes] == [("empty.md", "load_failed"), (GUIDE, None)]
    assert outcomes[0].reason == "empty file (0 bytes)" and outcomes[0].document is None
    assert outcomes[1].document is not None and len(outcomes[1].document.vectors) == len(outcomes[1].document.chunks)


def test_the_registry_picks_forked_readers_unless_workers_is_zero():
    assert isinstance(executor_for(Settings(workers=2)), ForkedExecutor)
    assert isinstance(executor_for(Settings(workers=0)), InlineExecutor)
    with pytest.raises(Exception, match="Unknown ingest executor"):
        executor_for(Settings(), "carrier-pigeon")


@pytest.mark.slow
def test_prepare_in_a_fresh_spawned_process_gives_the_same_vectors(embedder):
    settings = _settings(embedder)
    tasks = [_file_task(), _file_task("tool-reports/tracer-studies-of-tvet-graduates-tool.txt"), _record_task()]
    here = [prepare(task, settings, {}) for task in tasks]
    # A spawned process shares nothing with this one: it opens the model from the spec alone.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.starmap_async(prepare, [(task, settings, {}) for task in tasks]).get(timeout=300)
    for mine, theirs in zip(here, there):
        assert theirs.document == mine.document and theirs.chunks == mine.chunks
        assert theirs.embedded == mine.embedded == len(mine.chunks)
        assert np.allclose(theirs.vectors, mine.vectors, atol=1e-6)


def test_a_test_double_that_only_describes_itself_gets_a_spec():
    double = WordHashEmbedder()
    spec = keep_open(double)
    assert (spec.name, spec.dimension, spec.sha256) == ("word-hash", 32, double.model_hash)
