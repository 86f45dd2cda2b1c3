"""The CLI's text layout, from hand-made records: hanging indents, breaks between words only, whole ids, the
terminal's width or a sensible one when piped, the confidence reason and the notices."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rich.text import Text

from kb import display
from kb.records import Hit, Passage, SearchResult
from kb.terminal import PIPED_WIDTH, console, wrap

LONG_ID = "tool-reports/a-very-long-folder-name-for-reports/recognition-of-prior-learning-rpl-toolkit-2021-edition.pdf"
SNIPPET = ("Recognition of prior learning lets adults who learned on the job have their skills assessed and certified, "
           "so that employers and training providers can see what they know; assessors use portfolios, interviews, "
           "practical demonstrations and workplace observation.")


def _hit(doc_id: str = LONG_ID, title: str = "Recognition of Prior Learning (RPL) toolkit: a practical guide for assessors",
         **metadata) -> Hit:
    start = SNIPPET.index("portfolios")
    passage = Passage(chunk_id=1, page=12, page_label="10", heading_path=("3. Assessment", "Methods"), snippet=SNIPPET,
                      highlights=((start, start + len("portfolios")),), score=0.6)
    return Hit(doc_id=doc_id, title=title, type="tool_report", date="2021-03-01", language="en", source="/x", score=0.61,
               score_kind="hybrid", passages=(passage,), metadata=metadata)


def _result(**fields) -> SearchResult:
    base = {"query": "rpl assessment", "mode": "hybrid", "k": 1, "hits": (_hit(),), "confident": True, "facets": {}, "took_ms": 12.0}
    return SearchResult(**{**base, **fields})


@pytest.fixture
def columns(monkeypatch):
    def set_width(width: int) -> None:
        monkeypatch.setenv("COLUMNS", str(width))
    return set_width


def _words(lines: list[str]) -> list[str]:
    return " ".join(lines).split()


def test_wrap_breaks_between_words_and_hangs_under_the_first_line():
    lines = [line.plain for line in wrap(Text(SNIPPET), 50, 4, Text(" 1. "))]
    assert lines[0].startswith(" 1. Recognition") and all(line.startswith("    ") for line in lines[1:])
    assert all(len(line) <= 50 for line in lines)
    assert _words(lines)[1:] == SNIPPET.split()  # no word split or lost (the first is the rank)


def test_wrap_keeps_a_word_longer_than_the_line_whole():
    lines = [line.plain for line in wrap(Text(f"see {LONG_ID} for more"), 40, 2)]
    assert f"  {LONG_ID}" in lines and _words(lines) == ["see", LONG_ID, "for", "more"]


def test_wrap_keeps_highlights_on_their_words():
    text = Text(SNIPPET)
    start = SNIPPET.index("portfolios")
    text.stylize("bold yellow", start, start + len("portfolios"))
    for line in wrap(text, 40, 4):
        marked = [line.plain[span.start:span.end] for span in line.spans]
        assert marked in ([], ["portfolios"])
    assert any(line.spans for line in wrap(text, 40, 4))


@pytest.mark.parametrize("width", [60, 100])
def test_a_hit_at_any_width(capsys, columns, width):
    columns(width)
    display.print_result(_result())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(" 1. Recognition of Prior Learning") and lines[1].startswith("    ")
    assert f"    {LONG_ID}" in lines  # the id whole, on its line, where it can be copied
    assert all(len(line) <= width for line in lines if LONG_ID not in line)
    body = lines[lines.index(f"    {LONG_ID}") + 1:]
    snippet_lines = body[:next(i for i, line in enumerate(body) if line.strip().startswith("score"))]
    assert all(line.startswith("    ") for line in snippet_lines)
    assert " ".join(line.strip() for line in snippet_lines if not line.strip().startswith("page")).endswith(SNIPPET[-40:])


def test_not_confident_shows_the_results_reason_or_the_default_sentence(capsys, columns):
    columns(100)
    display.print_result(_result(confident=False, confidence_reason="Only 1 of the question's 3 rare words is in the best passage."))
    out = capsys.readouterr().out
    assert "Only 1 of the question's 3 rare words is in the best passage." in out and "No confident match" not in out
    display.print_result(_result(confident=False))
    assert display.NOT_CONFIDENT.split(":")[0] in capsys.readouterr().out
    display.print_result(_result(confident=True, confidence_reason="The best passage holds every term."))
    assert "best passage holds" not in capsys.readouterr().out


def test_notices_are_shown_verbatim(capsys, columns):
    columns(200)
    notice = "This question looks French: meaning search understands English best; keyword search carries the question."
    display.print_result(_result(notices=(notice,)))
    assert notice in capsys.readouterr().out
    display.print_result(_result(hits=(), notices=(notice,)))
    out = capsys.readouterr().out
    assert notice in out and "No results" in out


def test_browse_shows_whole_ids_one_document_a_block(capsys, columns):
    columns(60)
    hits = (_hit(topics=("recognition-of-prior-learning", "skills-assessment"), countries=("NP",)),
            _hit(doc_id="press-releases/2021-07-nepal-rpl-returning-migrant-workers.txt", title="Nepal"))
    display.print_browse(_result(hits=hits, total=7))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "7 document(s), showing 2"
    for hit in hits:
        assert " " * display.BROWSE_INDENT + hit.doc_id in lines
    assert any(line.startswith("2021-03-01  Recognition") for line in lines)
    assert all(len(line) <= 60 for line in lines if line.strip() not in {hit.doc_id for hit in hits})
    assert "countries: NP" in " ".join(lines)


def _piped_width(env: dict[str, str]) -> int:
    code = "from kb.terminal import console; print(console().width)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_piped_output_uses_columns_or_the_piped_width():
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    assert _piped_width(env) == PIPED_WIDTH
    assert _piped_width({**env, "COLUMNS": "77"}) == 77


def test_console_width_follows_columns(columns):
    columns(64)
    assert console().width == 64
