"""Discover: the supported files under the given paths and their content digests (the I/O before the plan)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.ingest.loaders import is_supported, reads_as_supported
from kb.ingest.metadata import sidecar_path
from kb.ingest.plan import Found
from kb.ingest.prepare import PrepareTask
from kb.records import FileFailure, SkippedFile


@dataclass(frozen=True)
class Candidate:
    """A supported file found under a given path."""

    root: Path
    path: Path
    rel: Path
    walked: bool  # found by walking a folder (so a missing file later means "removed")

    def found(self) -> Found:
        """The file as the plan sees it: its id, where it is, and the digest of its content (read now)."""
        try:
            return Found(self.rel.as_posix(), str(self.path), str(self.root), content_hash(self.path))
        except OSError as exc:
            return Found(self.rel.as_posix(), str(self.path), str(self.root), None, f"{type(exc).__name__}: {exc}")

    def task(self, found: Found) -> PrepareTask:
        """What `prepare` needs to bring this file in."""
        assert found.digest is not None
        return PrepareTask(found.doc_id, found.label, found.root, found.digest, path=str(self.path), rel=self.rel.as_posix())


# Names editors, office suites and downloads give the files they are still writing or keep as backups.
_TEMPORARY_PREFIXES = ("~$", "#")
_TEMPORARY_SUFFIXES = ("~", "#", ".tmp", ".temp", ".part", ".crdownload", ".swp", ".bak")


@dataclass(frozen=True)
class Discovered:
    """What `discover` found: files to plan, paths that failed, files left out on purpose, the folders walked."""

    candidates: list[Candidate]
    failures: list[FileFailure]
    skipped: list[SkippedFile]
    walked_roots: set[str]


def discover(paths: Sequence[Path]) -> Discovered:
    """Supported files under the given paths, failures for paths that cannot be used, what was skipped and why."""
    out = Discovered([], [], [], set())
    for given in paths:
        path = Path(given).expanduser()
        if path.is_file():
            resolved = path.resolve()  # a file named explicitly is read whatever its name: its loader says if it cannot
            out.candidates.append(Candidate(resolved.parent, resolved, Path(resolved.name), walked=False))
        elif path.is_dir():
            root = path.resolve()
            out.walked_roots.add(str(root))
            out.candidates.extend(_walk(root, out.failures, out.skipped))
        else:
            out.failures.append(FileFailure(str(given), "not_found", "no such file or folder"))
    return out


def skip_reason(name: str) -> tuple[str, str] | None:
    """(code, reason) when a file found by walking a folder is left out: hidden, temporary, or no loader reads it."""
    if name.startswith("."):
        return "hidden", "hidden file"
    if name.startswith(_TEMPORARY_PREFIXES) or name.lower().endswith(_TEMPORARY_SUFFIXES):
        return "temporary", "temporary or backup file"
    if not is_supported(Path(name)):
        return "unsupported_type", f"{Path(name).suffix.lower() or 'no extension'}: unsupported type"
    return None


def _folders_to_walk(folder: str, dirs: list[str], skipped: list[SkippedFile]) -> list[str]:
    """The subfolders os.walk goes on into; hidden, `_` and linked folders are reported as skipped instead."""
    keep = []
    for name in sorted(dirs):
        path = os.path.join(folder, name)
        if name.startswith((".", "_")):
            why = "hidden folder" if name.startswith(".") else "folder named _…"
            skipped.append(SkippedFile(path + "/", "hidden_folder", f"{why}: not searched"))
        elif os.path.islink(path):
            skipped.append(SkippedFile(path + "/", "linked_folder", "symlinked folder: not followed"))
        elif _saved_page_resources(folder, name):
            skipped.append(SkippedFile(path + "/", "page_resources", "a saved web page's images, scripts and frames: not searched"))
        else:
            keep.append(name)
    return keep


# What a browser or Word calls the folder it saves a web page's images, styles, scripts and frames in, beside the page
# ("Report.html" and "Report_files/"), by the language it runs in. Its frames are HTML pages too: ads and trackers.
_RESOURCE_FOLDER = re.compile(r"(.+)(?:_files|-Dateien|_fichiers|_archivos|_file|_bestanden|-filer)", re.IGNORECASE)


def _saved_page_resources(folder: str, name: str) -> bool:
    """Whether a subfolder holds a saved page's resources: named as browsers name them, beside that page."""
    match = _RESOURCE_FOLDER.fullmatch(name)
    return match is not None and any(os.path.isfile(os.path.join(folder, match.group(1) + suffix))
                                     for suffix in (".html", ".htm", ".xhtml", ".mhtml", ".HTML", ".HTM"))


def _walk(root: Path, failures: list[FileFailure], skipped: list[SkippedFile]) -> list[Candidate]:
    """The supported files under a folder, in a stable order; hidden and `_` folders are skipped."""
    found: list[Candidate] = []

    def unreadable(error: OSError) -> None:
        failures.append(FileFailure(str(error.filename), "unreadable", f"folder cannot be read: {error.strerror}"))

    for folder, dirs, files in os.walk(root, followlinks=False, onerror=unreadable):
        dirs[:] = _folders_to_walk(folder, dirs, skipped)
        for name in sorted(files):
            file = Path(folder) / name
            if name.endswith(".meta.json"):
                continue  # a sidecar: read with the file it describes
            why = skip_reason(name)
            if why is not None and not (why[0] == "unsupported_type" and reads_as_supported(file)):
                skipped.append(SkippedFile(str(file), *why))
                continue
            problem = _link_problem(file, root)
            if problem is not None:
                failures.append(problem)
                continue
            found.append(Candidate(root, file, file.relative_to(root), walked=True))
    return found


def _link_problem(file: Path, root: Path) -> FileFailure | None:
    """Why a symlink is not followed (it loops, points nowhere, or leaves the root); None for a file to read."""
    if not file.is_symlink():
        return None
    if not os.path.exists(file):
        return FileFailure(str(file), "broken_link", "symlink that loops or points nowhere")
    target = Path(os.path.realpath(file))  # realpath never raises on a loop, unlike resolve()
    if not target.is_relative_to(root):
        return FileFailure(str(file), "outside_root", "symlink to a file outside the ingested folder; not followed")
    return None


# How kb reads a file into a document (loaders, titles, metadata), as part of every content digest: a kb that reads
# files otherwise names a new READING, and its next ingest reads every file again, embedding only the chunks whose
# title, heading path or text came out changed (the plan lets each document reuse its stored vectors). 2: letterhead
# titles (kb/ingest/titles.py). 3: country names in French, Spanish, Italian and Dutch and without accents
# (kb/ingest/enrich.py), so metadata's "Sénégal" or "Maroc" and a title's "Italia" give their countries; and titles
# that name nothing ("U", "Page 1 of 7") give way, as offices' and Italian and Dutch letterheads do. 4: ligatures
# written out, line-end hyphens of compounds kept (kb/ingest/hyphens.py), Markdown's backslash escapes read, a PDF's
# running header never its title, Chinese, Japanese and Thai languages told, HTML skip links dropped, more producers'
# PDF titles ("PowerPoint Presentation") passed over. 5: running headers among a page's first or last three lines,
# and those printed on alternate pages (kb/ingest/pdf.py EDGE_LINES, RUNNING_SHARE); a table of contents' entries
# are not headings. 6: a web export's pages (kb/ingest/html.py): XHTML with an XML declaration read, a page titled by
# the heading its text opens with when its <h1> is a logo or missing, a <title> without the site's name, a date from
# schema.org, a <time> or a "Published 3 March 2021" line, a template's <html lang> outweighed by the text, <noscript>
# dropped; Markdown's setext titles and TOML front matter read, a "# comment" in a code fence no heading, footnote
# marks dropped. 7: a replacement character (U+FFFD) read as the apostrophe it stood for, else as a space. 8: a file
# named by codes ("III_10__Ic5db0b34__metadata.md") titled by its first sentence of prose (kb/ingest/titles.py), a form's
# empty sections in one language no bilingual title, Markdown's "_emphasis_" read. 9: such a title without the run-in
# label its paragraph opens with ("Definition Mortality rate, …" is "Mortality rate, …"). 10: a file read as what its
# first bytes are (kb/ingest/loaders.py): a PDF or an HTML page saved under another name, or a download under none.
READING = b"kb-reading-10"


def content_hash(path: Path) -> str:
    """sha256 of the file and of its sidecar metadata, so a metadata edit counts as a change, and of READING."""
    digest = hashlib.sha256(READING)
    for part in (path, sidecar_path(path)):
        if part is None:
            continue
        with open(part, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\x00")
    return digest.hexdigest()
