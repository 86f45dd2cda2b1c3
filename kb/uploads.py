"""Uploaded files: names checked, bytes staged, then kept in the uploads folder (beside the index, never in it).

KnowledgeBase.add_files and KnowledgeBase.delete are the callers; the API and the CLI go through them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from kb.errors import BadFileName, DuplicateFile, FileTooLarge, UnsupportedUpload
from kb.ingest.loaders import LOADERS

# Longest file name a filesystem stores (bytes, as UTF-8).
MAX_NAME_BYTES = 255
# Bytes copied at a time: the limit is checked while copying, so an oversized file is never held whole.
BLOCK_BYTES = 1 << 20


def file_name(given: str) -> str:
    """The name an uploaded file is stored under (its last path part); UploadRefused when no file can have it."""
    name = Path(given or "").name
    if not name or name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
        raise UnsupportedUpload(f"{name or 'a file'}: only {', '.join(sorted(LOADERS))} files can be uploaded.")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadFileName(f"{name[:80]!r}: a file name has at most {MAX_NAME_BYTES} bytes and no control characters.")
    return name


def file_names(given: Sequence[str]) -> list[str]:
    """The names a set of uploaded files is stored under, each checked, none twice."""
    names = [file_name(name) for name in given]
    if len(set(names)) < len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise DuplicateFile(f"{', '.join(twice)}: each file name may be sent once per upload.")
    return names


def store(files: Iterable[tuple[str, BinaryIO]], folder: Path, max_bytes: int) -> list[Path]:
    """Keep each (name, stream) in `folder` under its checked name; if any file is refused, none is kept."""
    files = list(files)
    names = file_names([name for name, _ in files])
    folder.mkdir(parents=True, exist_ok=True)
    # Staged in the uploads folder itself, so keeping a file is a rename on one filesystem. The dot keeps
    # the staging folder out of an ingest of the uploads folder.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".staging-") as staging:
        staged = [_copy(stream, Path(staging) / name, max_bytes) for name, (_, stream) in zip(names, files)]
        kept = []
        for path in staged:
            os.replace(path, folder / path.name)
            kept.append(folder / path.name)
    return kept


def _copy(stream: BinaryIO, target: Path, max_bytes: int) -> Path:
    size = 0
    with open(target, "wb") as out:
        while block := stream.read(BLOCK_BYTES):
            size += len(block)
            if size > max_bytes:
                raise FileTooLarge(f"{target.name} is over the upload limit of {max_bytes / 2**20:g} MB.")
            out.write(block)
    return target


def discard(path: Path, folder: Path) -> bool:
    """Delete a document's file when it is an upload kept in `folder`; a file anywhere else is left alone."""
    if not path.resolve().is_relative_to(folder.resolve()):
        return False
    path.unlink(missing_ok=True)
    return True
