"""Regular expressions compiled on their first use.

Front and back matter are told by a few dozen long patterns (kb/search/frontmatter.py, backmatter.py), most of
which a search only needs for some chunks (a chunk in a document's first pages, one with a clue in its text).
Compiling them all as the modules load cost ~6-13 ms of every one-shot `kb search`; a `Lazy` pattern is compiled by
the first call that needs it, then kept. Same patterns, same flags, same matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


class Lazy:
    """`re.compile(pattern, flags)`, made on first use; the methods the modules call, with re's meaning."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(text, pos)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)

    def fullmatch(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, pos)

    def findall(self, text: str, pos: int = 0) -> list:
        return self.compiled.findall(text, pos)

    def finditer(self, text: str, pos: int = 0) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos)
