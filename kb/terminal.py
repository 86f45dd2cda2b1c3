"""The terminal under `kb`'s text output: its width, lines wrapped with hanging indents, ingest progress (rich).

kb wraps its own lines (rich's wrapping starts continuation lines at column 0 and folds words that do not
fit): a wrapped line continues under its text, breaks only between words, and an id or a path is never
broken (a longer one runs past the edge, and the terminal shows it whole). The width is the terminal's;
when the output is not a terminal (a pipe, a file), it is $COLUMNS if set, else PIPED_WIDTH.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

PIPED_WIDTH = 120  # columns when the output is no terminal and $COLUMNS is unset
_WORD = re.compile(r"[^ ]+ *")  # words part at plain spaces only: a no-break space holds "[tool\u00a0report]" together


def console(stderr: bool = False) -> Console:
    """A rich console that writes lines as given (kb wraps them): the terminal's width, or the piped width."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        # shutil reads $COLUMNS first, then the size of a terminal on stdout; a pipe has none: PIPED_WIDTH. (Imported
        # here: with it come zlib, bz2 and lzma, ~3 ms of a search that prints to a terminal or as --json.)
        import shutil

        out.width = shutil.get_terminal_size((PIPED_WIDTH, 24)).columns
    return out


def _break_offsets(plain: str, width: int) -> list[int]:
    """Where to break `plain` so each line holds at most `width` cells: between words only."""
    from rich.cells import cell_len

    offsets: list[int] = []
    used = 0
    for word in _WORD.finditer(plain):
        if used and used + cell_len(word.group(0).rstrip()) > width:
            offsets.append(word.start())
            used = 0
        used += cell_len(word.group(0))
    return offsets


def wrap(body: Text, width: int, indent: int = 0, first: Text | str | None = None) -> list[Text]:
    """`body` in lines of at most `width` cells, each after `indent` spaces; the first after `first` instead,
    when given (a hanging indent: "  1. " before a title whose next lines start under it)."""
    from rich.text import Text

    lines: list[Text] = []
    for paragraph in body.split("\n", allow_blank=True):
        pieces = paragraph.divide(_break_offsets(paragraph.plain, max(width - indent, 20))) if paragraph.plain else [paragraph]
        for piece in pieces:
            piece.rstrip()
            lines.append(Text(" " * indent).append_text(piece) if piece.plain else Text())
    if first is not None and lines:
        head = first if isinstance(first, Text) else Text(first)
        lines[0] = head.copy().append_text(lines[0][indent:])
    return lines


class PlainProgress:
    """One line per file and per embedded batch, for logs and pipes."""

    def __init__(self) -> None:
        self.files = 0
        self.done = 0
        self.total_chunks = 0
        self.embedded_chunks = 0
        self.started = time.perf_counter()

    def start(self, files: int) -> None:
        self.files = files
        self.started = time.perf_counter()
        click.echo(f"ingest: {files} supported file(s) found", err=True)

    def file_done(self, path: str, chunks: int) -> None:
        self.done += 1
        self.total_chunks += chunks
        if chunks:
            click.echo(f"  [{self.done}/{self.files}] {path}: {chunks} chunk(s)", err=True)

    def embedded(self, chunks: int) -> None:
        self.embedded_chunks += chunks
        seconds = max(time.perf_counter() - self.started, 1e-9)
        click.echo(f"  embedded {self.embedded_chunks}/{self.total_chunks} chunks ({self.embedded_chunks / seconds:.1f} chunks/s, "
                   f"{self.done / seconds:.2f} files/s)", err=True)

    def finish(self) -> None:
        pass

    def cluster(self, nodes: int, actors: int) -> None:
        click.echo(f"ingest: on a Ray cluster of {nodes} node(s), {actors} embedding actor(s)", err=True)


class RichProgress:
    """A live progress display on a terminal: files read and files per second, chunks embedded (a total that
    grows as files are read) and chunks per second, and on a cluster its nodes and embedding actors."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console(stderr=True), transient=False,
        )
        self.files_task: Any = None  # rich TaskIDs, made when the run starts
        self.chunks_task: Any = None
        self.total_chunks = 0
        self.started = time.perf_counter()
        self.where = ""  # the cluster the files are read on, once the executor says

    def start(self, files: int) -> None:
        self.started = time.perf_counter()
        self.progress.start()
        self.files_task = self.progress.add_task("files", total=files, rate="")
        self.chunks_task = self.progress.add_task("chunks", total=0, rate="")

    def file_done(self, path: str, chunks: int) -> None:
        self.total_chunks += chunks
        self.progress.update(self.files_task, advance=1)
        self.progress.update(self.files_task, rate=self._files_rate())
        self.progress.update(self.chunks_task, total=self.total_chunks)

    def _files_rate(self) -> str:
        done = self.progress.tasks[self.files_task].completed
        return f"{done / max(time.perf_counter() - self.started, 1e-9):.2f} files/s{self.where}"

    def embedded(self, chunks: int) -> None:
        task = self.progress.tasks[self.chunks_task]
        rate = (task.completed + chunks) / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(self.chunks_task, advance=chunks, rate=f"{rate:.1f} chunks/s")

    def finish(self) -> None:
        self.progress.stop()

    def cluster(self, nodes: int, actors: int) -> None:
        self.where = f" on {nodes} node(s), {actors} actor(s)"
        if self.files_task is not None:
            self.progress.update(self.files_task, rate=self._files_rate())
