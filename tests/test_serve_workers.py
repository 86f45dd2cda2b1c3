"""`kb serve --workers auto`: one server process per CPU, as many as the memory holds."""

from __future__ import annotations

from click.testing import CliRunner

from kb.api import serve
from kb.cli import main
from kb.config import Settings
from kb.index.vectors import flat

GB = 2**30


def test_auto_starts_one_worker_per_cpu_while_memory_allows(corpus_kb):
    settings = corpus_kb.settings
    each = serve.worker_bytes(settings)
    assert serve.auto_workers(settings, cpus=2, memory=64 * GB)[0] == 2
    assert serve.auto_workers(settings, cpus=1, memory=64 * GB)[0] == 1
    workers, why = serve.auto_workers(settings, cpus=4, memory=int(4.5 * each))  # half of it holds 2
    assert workers == 2 and "2 fit in half" in why
    assert serve.auto_workers(settings, cpus=4, memory=each)[0] == 1  # never none
    assert serve.auto_workers(settings, cpus=64, memory=None)[0] == serve.MAX_WORKERS


def test_a_worker_counts_the_files_its_vector_kind_reads_whole(corpus_kb, monkeypatch, tmp_path):
    settings = corpus_kb.settings
    chunks = corpus_kb.reader().chunk_count
    assert serve.worker_bytes(settings) == serve.PROCESS_BYTES + serve.KEPT_BYTES_PER_CHUNK * chunks
    snapshot = corpus_kb.reader().snapshot_dir
    monkeypatch.setattr(flat, "resident_files", lambda spec: ("vectors.npy",))
    assert serve.worker_bytes(settings) == (serve.PROCESS_BYTES + serve.KEPT_BYTES_PER_CHUNK * chunks
                                            + (snapshot / "vectors.npy").stat().st_size)
    assert serve.worker_bytes(Settings(index_dir=tmp_path / "no-index")) == serve.PROCESS_BYTES


def test_kb_serve_takes_auto_or_a_number(corpus_kb, monkeypatch):
    started = []
    monkeypatch.setattr(serve, "run_server", lambda settings, host, port, workers, access_log: started.append(workers))
    index = str(corpus_kb.settings.index_dir)
    result = CliRunner().invoke(main, ["serve", "--index", index])
    assert result.exit_code == 0, result.output
    expected = serve.auto_workers(corpus_kb.settings)[0]
    assert started == [expected] and f"with {expected} worker" in result.output
    assert CliRunner().invoke(main, ["serve", "--index", index, "--workers", "3"]).exit_code == 0
    assert started[-1] == 3
    for wrong in ("0", "17", "many"):
        result = CliRunner().invoke(main, ["serve", "--index", index, "--workers", wrong])
        assert result.exit_code == 2 and "--workers" in result.output
