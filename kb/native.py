"""The search path's modules compiled with mypyc, when a build of exactly these sources is at hand.

A search spends most of its CPU outside the embedding in kb's own Python: choosing passages, cutting snippets,
fusing rankings. mypyc (part of mypy, which the project already pins) compiles those typed modules to C extensions:
fewer instructions a search, the same answers (tests/test_native.py compares them). `make install` builds them
(tools/build_native.py) into <venv>/kb-native, outside the source tree, so an edited module is never shadowed by a
stale extension: they are used only when the sources of every compiled module read as they did when it was built
(the modules call one another natively, so one changed file means none is used). Otherwise, with KB_NATIVE=0, or where
no C compiler was found at install time, kb runs its Python sources.
"""

from __future__ import annotations

import os
import sys
import zlib
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

# Where the time of a search outside the embedding goes (benchmarks/query_profile.py), and what those modules import.
MODULES = (
    "kb/search/snippets.py", "kb/search/inflections.py", "kb/search/grouping.py", "kb/search/fusion.py",
    "kb/search/backmatter.py", "kb/search/frontmatter.py", "kb/search/query.py", "kb/search/evidence.py",
    "kb/search/confidence.py", "kb/search/spelling.py", "kb/search/question.py", "kb/search/phrases.py", "kb/langid.py",
    "kb/languages.py", "kb/dictionaries.py", "kb/index/catalog.py", "kb/index/keyword/tantivy.py",
)
STAMP = "SOURCES"  # first line the interpreter's cache tag, then "<crc32 of the source> <module path>" a line
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder that holds the kb package
# (os.path, not pathlib: this runs at every `import kb`, and a one-shot search counts its milliseconds)


def folder() -> str:
    """Where tools/build_native.py writes and install() reads: beside the environment kb runs in."""
    return os.path.join(sys.prefix, "kb-native")


def stamp() -> str:
    """What a build of the current sources is stamped with."""
    lines = [sys.implementation.cache_tag]
    for name in MODULES:
        with open(os.path.join(_ROOT, name), "rb") as source:
            lines.append(f"{zlib.crc32(source.read()):08x} {name}")
    return "\n".join(lines) + "\n"


def status(where: str | None = None) -> str:
    """Why this process runs kb's Python sources, or "" when the compiled modules were built from them."""
    where = where or folder()
    if os.environ.get("KB_NATIVE", "1") == "0":  # read here, not in kb.config: decided before kb.config loads
        return "KB_NATIVE=0"
    try:
        with open(os.path.join(where, STAMP), encoding="utf-8") as stamped:
            was = stamped.read()
    except OSError:
        return f"no build in {where} (make install, or python tools/build_native.py)"
    try:
        now = stamp()
    except OSError as exc:
        return f"a source cannot be read ({exc})"
    if was == now:
        return ""
    built_for, *built = was.splitlines()
    if built_for != sys.implementation.cache_tag:
        return f"built for {built_for}, not {sys.implementation.cache_tag}"
    changed = sorted(set(now.splitlines()[1:]) - set(built))
    return "sources changed since the build: " + ", ".join(line.split(" ", 1)[1] for line in changed)


class _Finder:
    """Finds the compiled modules (and mypyc's shared libraries beside them) in the build folder."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        spec = ModuleSpec(fullname, ExtensionFileLoader(fullname, file), origin=file)
        spec.has_location = True
        return spec


def install(where: str | None = None) -> bool:
    """Put the compiled modules before the sources on the import path, when they were built from them (status()).
    Called by kb/__init__.py before any of them is imported; True when they will be used."""
    where = where or folder()
    if any(isinstance(f, _Finder) for f in sys.meta_path) or status(where):
        return False
    suffix, files = EXTENSION_SUFFIXES[0], {}
    for parent, _, names in os.walk(where):
        for name in names:
            if name.endswith(suffix):
                module = os.path.relpath(os.path.join(parent, name), where)[:-len(suffix)]
                files[module.replace(os.sep, ".")] = os.path.join(parent, name)
    sys.meta_path.insert(0, _Finder(files))
    return True
