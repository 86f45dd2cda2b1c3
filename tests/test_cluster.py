"""Ingest on a Ray cluster (kb/ingest/executors/ray.py): the same index as a local ingest, the same chunks
embedded again after an edit and a rename, the per-file guards, a node lost mid-run, and addresses where no
cluster answers. The cluster is a local one (`ray.cluster_utils.Cluster`): a head and a node, 2 CPUs each.

Every test runs under a watchdog (SIGALRM), so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb import KnowledgeBase, Settings
from kb.embed import keep_open
from kb.errors import ConfigError
from kb.ingest.chunking import ChunkerSettings
from kb.ingest.executors import executor_for
from kb.ingest.executors.ray import RayExecutor
from kb.ingest.prepare import PrepareSettings, PrepareTask, file_bytes, read, read_bytes
from kb.ingest.progress import Silent
from kb.records import IngestReport
from tests.conftest import CORPUS
from tests.pdfs import make_slow_pdf

WATCHDOG_S = 150
# A node that dies is noticed in ~2 s rather than Ray's default ~15 s, so the lost-node test stays short.
FAST_HEALTH_CHECKS = {"health_check_period_ms": 500, "health_check_failure_threshold": 3, "health_check_timeout_ms": 500}


@contextlib.contextmanager
def watchdog(seconds: int, what: str) -> Iterator[None]:
    """Fail (not hang) when `what` runs past `seconds` (pytest-timeout is not installed)."""
    def expired(signum, frame):
        pytest.fail(f"watchdog: {what} ran over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _watchdog(request) -> Iterator[None]:
    with watchdog(WATCHDOG_S, request.node.name):
        yield


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster: the head and one more node, 2 CPUs each (one embedding actor and one reader per node)."""
    pytest.importorskip("ray", reason="the cluster tests need Ray: pip install 'kb[cluster]'")
    from ray.cluster_utils import Cluster

    with watchdog(120, "starting the local Ray cluster"):
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "_system_config": FAST_HEALTH_CHECKS})
        cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes(timeout=60)
    yield cluster
    with watchdog(60, "stopping the local Ray cluster"):
        cluster.shutdown()


class Recorder(Silent):
    """A progress display that remembers what the cluster executor said, and may act when it first speaks."""

    def __init__(self, on_cluster=None) -> None:
        self.clusters: list[tuple[int, int]] = []
        self.on_cluster = on_cluster

    def cluster(self, nodes: int, actors: int) -> None:
        self.clusters.append((nodes, actors))
        if self.on_cluster is not None:
            act, self.on_cluster = self.on_cluster, None
            act()


def _ingest(index: Path, docs: Path, embedder, progress=None, **settings) -> tuple[KnowledgeBase, IngestReport]:
    kb = KnowledgeBase(Settings(index_dir=index, **settings), embedder=embedder)
    return kb, kb.ingest([docs], progress=progress)


def _index(kb: KnowledgeBase) -> tuple[dict, dict, dict, dict]:
    """Documents, chunks and vectors keyed by (doc id, ordinal) (chunk ids follow the order of writing), and facets."""
    reader = kb.reader()
    chunks = {(c.doc_id, c.ordinal): c for c in reader.all_chunks()}
    vectors = reader.vectors_by_id([c.chunk_id for c in chunks.values()])
    by_key = dict(zip(chunks, vectors))
    shown = {key: (c.text, c.n_tokens, c.page, c.page_label, c.heading_path) for key, c in chunks.items()}
    facets = reader.facet_counts(None, sorted(reader.facet_fields()))
    return {d.doc_id: d for d in reader.all_documents()}, shown, by_key, facets


def _assert_same_index(local: KnowledgeBase, on_ray: KnowledgeBase) -> None:
    docs_l, chunks_l, vectors_l, facets_l = _index(local)
    docs_r, chunks_r, vectors_r, facets_r = _index(on_ray)
    assert docs_r == docs_l
    assert chunks_r == chunks_l
    assert facets_r == facets_l
    worst = max(float(np.abs(vectors_r[key] - vectors_l[key]).max()) for key in vectors_l)
    assert worst <= 1e-6, f"vectors differ by up to {worst:g}"


@pytest.mark.cluster
@pytest.mark.slow
def test_a_ray_ingest_builds_the_same_index_as_a_local_one_and_reembeds_the_same_chunks(cluster, embedder, tmp_path):
    docs = tmp_path / "corpus"
    shutil.copytree(CORPUS, docs)
    local, local_report = _ingest(tmp_path / "local", docs, embedder)
    progress = Recorder()
    on_ray, ray_report = _ingest(tmp_path / "ray", docs, embedder, progress, ray_address=cluster.address)
    assert not ray_report.failed and ray_report.added == local_report.added and len(ray_report.added) == 29
    assert ray_report.chunks_embedded == local_report.chunks_embedded
    assert progress.clusters[0] == (2, 2)  # two nodes, one actor each (each node keeps a CPU for reading)
    _assert_same_index(local, on_ray)

    # An edit in the middle of one file and a rename of another: both ways embed the same few chunks again.
    edited = docs / "skills-guides" / "inclusive-apprenticeships-persons-with-disabilities.md"
    text = edited.read_text(encoding="utf-8")
    middle = text.index("\n\n", len(text) // 2)
    edited.write_text(text[:middle] + " Employers named a mentor for each apprentice." + text[middle:], encoding="utf-8")
    renamed = docs / "tool-reports" / "skills-foresight-scenario-workshops.html"
    renamed.rename(renamed.with_name("renamed-skills-foresight-scenario-workshops.html"))
    local_update = local.ingest([docs])
    ray_update = on_ray.ingest([docs])
    assert not ray_update.failed and ray_update.updated == local_update.updated
    assert ray_update.added == local_update.added == ("tool-reports/renamed-skills-foresight-scenario-workshops.html",)
    assert ray_update.chunks_embedded == local_update.chunks_embedded
    assert 0 < ray_update.chunks_embedded < len(local.reader().chunks_of(edited.relative_to(docs).as_posix()))
    _assert_same_index(local, on_ray)


@pytest.mark.cluster
@pytest.mark.slow
def test_a_file_over_its_time_or_memory_limit_on_the_cluster_is_reported_and_the_rest_ingested(cluster, embedder, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Apprenticeships\n\nQuality apprenticeships need a written contract.", encoding="utf-8")
    (docs / "later.md").write_text("# Later\n\nApprenticeship guide for employers.", encoding="utf-8")
    make_slow_pdf(docs / "slow.pdf", operations=200_000)  # ~10 s to read
    (docs / "big.txt").write_text("Big\n\n" + "many words here " * 2_000_000, encoding="utf-8")  # 32 MB
    started = time.monotonic()
    # Paths, not bytes (the nodes share this disk): the other transport, which the other tests do not take.
    _, report = _ingest(tmp_path / "index", docs, embedder, ray_address=cluster.address, ray_shared_storage=True,
                        file_timeout=3.0, worker_memory_mb=64)  # 3 s: a busy machine still meets big.txt's memory limit first
    assert time.monotonic() - started < 60
    assert sorted(report.added) == ["good.md", "later.md"]
    failures = {Path(f.path).name: f for f in report.failed}
    assert failures["slow.pdf"].code == "timeout" and "KB_FILE_TIMEOUT" in failures["slow.pdf"].reason
    assert failures["big.txt"].code in ("too_large", "crashed"), failures["big.txt"]


@pytest.mark.cluster
@pytest.mark.slow
def test_a_node_lost_mid_run_costs_a_retry_not_the_run(cluster, embedder, tmp_path):
    extra = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes(timeout=60)
    docs = tmp_path / "corpus"
    shutil.copytree(CORPUS, docs)
    # The node goes as soon as the actors are up: its read tasks and its actor's blocks are in flight.
    progress = Recorder(on_cluster=lambda: cluster.remove_node(extra, allow_graceful=False))
    started = time.monotonic()
    kb, report = _ingest(tmp_path / "index", docs, embedder, progress, ray_address=cluster.address)
    assert time.monotonic() - started < 120
    assert not report.failed and len(report.added) == 29  # corpus/: 29 documents since the French, Spanish and Italian ones
    assert progress.clusters[0] == (3, 3) and progress.clusters[-1] == (2, 2)  # the loss was seen, and survived
    assert {c.doc_id for c in kb.reader().all_chunks()} == set(report.added)


@pytest.mark.cluster
@pytest.mark.slow
def test_a_node_with_another_model_is_a_clear_error(cluster, embedder, tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nApprenticeships for young workers.", encoding="utf-8")
    other = replace(keep_open(embedder), sha256="0" * 64)  # what a node with other weights than the driver's sees
    chunker = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=embedder.max_seq_length)
    settings = PrepareSettings(chunker=chunker, max_file_bytes=2**20, model=other, batch_size=32)
    task = PrepareTask("a.md", str(tmp_path / "a.md"), str(tmp_path), "digest", path=str(tmp_path / "a.md"), rel="a.md")
    with pytest.raises(ConfigError, match="is not the one this ingest uses"):
        list(RayExecutor(cluster.address, timeout=30).run([task], settings, {}, Silent()))


@pytest.mark.cluster
@pytest.mark.slow
def test_an_address_where_no_cluster_answers_fails_fast_and_says_the_fix(embedder, tmp_path):
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "a.md").write_text("# A\n\nApprenticeships.", encoding="utf-8")
    for address, fix in ((f"127.0.0.1:{port}", "ray start --head"), ("nonsense", "HOST:PORT")):
        started = time.monotonic()
        with pytest.raises(ConfigError, match=fix):
            _ingest(tmp_path / "index", tmp_path, embedder, ray_address=address)
        assert time.monotonic() - started < 10


def test_read_bytes_reads_a_file_as_read_does(fake_embedder, tmp_path):
    """Bytes through the object store: written under the same names elsewhere, read to the same document."""
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS / "tool-reports", folder)
    path = folder / "setting-up-a-sector-skills-body-checklist.txt"  # it has a sidecar
    chunker = ChunkerSettings(chunk_tokens=200, overlap_tokens=40, max_seq_length=fake_embedder.max_seq_length)
    settings = PrepareSettings(chunker=chunker, max_file_bytes=2**20, model=keep_open(fake_embedder), batch_size=16)
    task = PrepareTask(path.name, str(path), str(folder), "digest", path=str(path), rel=path.name)
    contents = file_bytes(task, settings.max_file_bytes)
    assert contents.sidecar_name == "setting-up-a-sector-skills-body-checklist.meta.json"
    assert read_bytes(task, contents, settings) == read(task, settings)


def test_ray_is_optional(monkeypatch):
    """`kb --help` never imports Ray; without it, a cluster ingest says which extra to install."""
    done = subprocess.run([sys.executable, "-c", "import sys, kb.cli, kb.ingest.pipeline; print('ray' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert isinstance(executor_for(Settings(ray_address="auto")), RayExecutor)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"pip install 'kb\[cluster\]'"):
        list(RayExecutor("auto").run([PrepareTask("a", "a", "/", "d", path="/a")], None, {}, Silent()))  # type: ignore[arg-type]
