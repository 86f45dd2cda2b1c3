"""Ingest reports every file it found: ingested, failed, skipped and why; the parsers' own warnings go into the
report, never onto the terminal, whether files are read here or in forked readers."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import KnowledgeBase, Settings
from kb.cli import main
from kb.display import ingest_summary
from kb.errors import LoadError
from kb.ingest.discover import skip_reason
from kb.ingest.loaders import held_warnings
from kb.records import FileFailure, IngestReport, SkippedFile
from tests.pdfs import make_pdf

# What pypdf prints about the broken and the shifted PDF below when nothing holds it back.
PYPDF_LINES = ("invalid pdf header", "EOF marker not found", "startxref", "pypdf")


def _shifted_pdf(path: Path) -> Path:
    """A readable PDF whose byte offsets are off (a comment line inserted after its header): pypdf reads it, and warns."""
    make_pdf(path, ["Solar technicians learn wiring and safety in rural training centres. " * 4])
    data = path.read_bytes()
    header_end = data.index(b"\n") + 1
    path.write_bytes(data[:header_end] + b"%" + b"x" * 40 + b"\n" + data[header_end:])
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    """A .pptx, a broken PDF, a PDF that loads with warnings, a good text file, hidden and temporary files, a .git folder."""
    docs = tmp_path / "docs"
    (docs / ".git").mkdir(parents=True)
    (docs / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (docs / "good.txt").write_text("Good document\n\nTraining for solar technicians in rural areas.", encoding="utf-8")
    (docs / "notes.pptx").write_bytes(b"PK\x03\x04 not really a pptx")
    (docs / "broken.pdf").write_bytes(b"junk")
    _shifted_pdf(docs / "shifted.pdf")
    (docs / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (docs / "~$notes.md").write_text("an office lock file", encoding="utf-8")
    (docs / "good.txt~").write_text("an editor's backup", encoding="utf-8")
    return docs


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "forked"])
def test_the_report_names_every_file_and_the_terminal_holds_no_parser_lines(folder, tmp_path, fake_embedder, capfd, workers):
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index", workers=workers), embedder=fake_embedder)
    report = kb.ingest([folder])

    assert report.added == ("good.txt", "shifted.pdf")
    assert [Path(f.path).name for f in report.failed] == ["broken.pdf"]
    assert "not a readable PDF" in report.failed[0].reason and "EOF marker not found" in report.failed[0].reason
    skipped = {Path(s.path).name + ("/" if s.path.endswith("/") else ""): (s.code, s.reason) for s in report.skipped}
    assert skipped == {
        ".git/": ("hidden_folder", "hidden folder: not searched"),
        "notes.pptx": ("unsupported_type", ".pptx: unsupported type"),
        ".hidden.txt": ("hidden", "hidden file"),
        "~$notes.md": ("temporary", "temporary or backup file"),
        "good.txt~": ("temporary", "temporary or backup file"),
    }
    assert [Path(w.path).name for w in report.warnings] == ["shifted.pdf"]
    assert any("startxref" in said for said in report.warnings[0].warnings)
    err = capfd.readouterr().err
    assert not [line for line in err.splitlines() if any(p in line for p in PYPDF_LINES)], err


def test_a_file_named_explicitly_is_read_whatever_its_name(folder, tmp_path, fake_embedder):
    report = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder).ingest([folder / "notes.pptx"])
    assert not report.skipped and [f.code for f in report.failed] == ["unsupported"]


def test_held_warnings_keep_this_threads_and_let_another_threads_through(caplog):
    def elsewhere() -> None:
        logging.getLogger("other").warning("said on another thread")

    with held_warnings() as said:
        logging.getLogger("somelib.reader").warning("odd table at %d", 3)
        logging.getLogger("somelib.reader").info("not a warning")
        warnings.warn("deprecated thing", DeprecationWarning, stacklevel=1)
        logging.getLogger("somelib.reader").warning("odd table at %d", 3)
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert said == ["somelib: odd table at 3", "DeprecationWarning: deprecated thing"]
    assert [r.getMessage() for r in caplog.records] == ["said on another thread"]  # pytest's handler saw only that one
    with pytest.raises(LoadError, match="^broken; the parser warned: somelib: bad xref$"), held_warnings():
        logging.getLogger("somelib").warning("bad xref")
        raise LoadError("broken")


def test_skip_reasons():
    assert skip_reason("report.pdf") is None and skip_reason("Guide.MD") is None
    assert skip_reason("slides.pptx") == ("unsupported_type", ".pptx: unsupported type")
    assert skip_reason("Makefile") == ("unsupported_type", "no extension: unsupported type")
    assert skip_reason(".DS_Store") == ("hidden", "hidden file")
    assert skip_reason("draft.md.swp") == ("temporary", "temporary or backup file")
    assert skip_reason("#notes.txt#") == ("temporary", "temporary or backup file")


def _report(**fields) -> IngestReport:
    base = {"index_dir": "index", "added": (), "updated": (), "unchanged": (), "removed": (), "failed": (), "chunks_embedded": 0, "seconds": 0.1}
    return IngestReport(**{**base, **fields})


def test_the_summary_counts_every_file_found():
    report = _report(added=("a.txt", "b.pdf"), skipped=(SkippedFile("/d/c.docx", "unsupported_type", ".docx: unsupported type"),))
    assert ingest_summary(report) == "3 files found: 2 ingested, 1 skipped (.docx: unsupported type)"
    many = _report(unchanged=("a.txt",), failed=(FileFailure("/d/x.pdf", "load_failed", "broken"),
                                                 FileFailure("/nope", "not_found", "no such file or folder")),
                   skipped=(SkippedFile("/d/c.docx", "unsupported_type", ".docx: unsupported type"),
                            SkippedFile("/d/e.docx", "unsupported_type", ".docx: unsupported type"),
                            SkippedFile("/d/.x", "hidden", "hidden file"), SkippedFile("/d/.git/", "hidden_folder", "hidden folder")))
    assert ingest_summary(many) == ("5 files found: 0 ingested, 1 unchanged, 1 failed, "
                                    "3 skipped (.docx: unsupported type ×2, hidden file); 1 folder not searched")


@pytest.mark.slow
def test_kb_ingest_prints_the_summary_and_no_parser_lines(folder, tmp_path, capfd):
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(folder), "--index", str(tmp_path / "index"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "7 files found: 2 ingested, 1 failed, 4 skipped (" in result.stdout
    assert f"skipped   {folder / 'notes.pptx'}: .pptx: unsupported type" in result.stdout
    assert "kb reads .docx, .htm, .html" in result.stdout
    err = capfd.readouterr().err + result.stderr
    assert not [line for line in err.splitlines() if any(p in line for p in PYPDF_LINES)], err

    again = runner.invoke(main, ["ingest", str(folder), "--index", str(tmp_path / "index"), "--json", "--quiet"])
    data = json.loads(again.stdout)
    assert {Path(s["path"]).name for s in data["skipped"]} >= {"notes.pptx", ".hidden.txt"} and data["counts"]["unchanged"] == 2


def test_a_changed_file_that_fails_says_its_earlier_version_stays(tmp_path, fake_embedder):
    """A file replaced by one that cannot be read keeps its stored version, still found by search: the report says so,
    where a first reading that fails says only why."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pay.txt").write_text("Apprentice pay\n\nApprenticeship pay rules for young garment workers.\n")
    (docs / "new.txt").write_bytes(b"\x00\x01\x02 not text")
    kb = KnowledgeBase(Settings(index_dir=tmp_path / "index"), embedder=fake_embedder)
    first = {f.path.rsplit("/", 1)[-1]: f.reason for f in kb.ingest([docs]).failed}
    assert first == {"new.txt": "binary data, not text"}
    (docs / "pay.txt").write_bytes(b"\x00\x01\x02 now binary")
    again = {f.path.rsplit("/", 1)[-1]: f.reason for f in kb.ingest([docs]).failed}
    assert again["pay.txt"] == "binary data, not text; the version ingested before stays in the index"
    assert again["new.txt"] == "binary data, not text"
    assert [h.doc_id for h in kb.search("garment apprenticeship pay", k=1, mode="keyword").hits] == ["pay.txt"]
