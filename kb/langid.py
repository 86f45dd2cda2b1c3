"""A question's language, as py3langid tells it, without its 0.8 s start.

py3langid keeps its model LZMA-compressed; unpacking it costs ~0.8 s of CPU, more than a whole one-shot
`kb search`. kb unpacks it once into its cache (KB_CACHE/langid/), keeping only the columns of the languages
it asks about, as plain .npy files that are memory-mapped: opening them costs about a millisecond. The
scores are py3langid's (its DFA walk, `visit_counts`, and its naive Bayes over the same tables, with
`norm_probs`), so the answers are the same as `LanguageIdentifier.set_languages(languages)` gives.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from kb.config import cache_root

# The files of one unpacked model: DFA transitions, each state's row offset, each state's feature, and the
# naive Bayes tables cut to the languages asked about.
ARRAYS = ("nextmove", "rowbase", "output", "ptc", "pc")


def _version() -> str:
    """py3langid's __version__, read from its source: importing it (and its logging) costs ~5 ms of a `kb search`."""
    spec = importlib.util.find_spec("py3langid")
    try:
        source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    except OSError:
        source = ""
    found = re.search(r"""^__version__ = ['"]([^'"]+)['"]""", source, re.M)
    if found:
        return found.group(1)
    import py3langid

    return getattr(py3langid, "__version__", "0")


def _unpacked(languages: tuple[str, ...]) -> Path:
    """The folder of py3langid's model unpacked for `languages`, made once (atomically: by rename)."""
    folder = cache_root() / "langid" / f"{_version()}-{'-'.join(languages)}"
    if folder.is_dir():
        return folder
    import shutil
    import tempfile  # here, made once: its import (and random's) is ~2.5 ms of every `kb search`

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
    columns = [classes.index(code) for code in languages]
    arrays = {
        "nextmove": np.asarray(nextmove, dtype=np.int32),
        "rowbase": np.asarray(row, dtype=np.int32) << 8,  # fewer than 2**16 distinct rows: offsets below 2**24
        "output": np.asarray(output, dtype=np.int32),
        "ptc": np.ascontiguousarray(np.asarray(ptc, dtype=np.float32)[:, columns]),
        "pc": np.asarray(pc, dtype=np.float32)[columns],
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".building-"))
    try:
        for name, array in arrays.items():
            np.save(building / f"{name}.npy", array)
        os.rename(building, folder)
    except OSError:  # another process finished first: use its copy
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


class QuestionLanguage:
    """Tells which of a few languages a text is in, with py3langid's normalised probability."""

    def __init__(self, languages: Sequence[str]) -> None:
        import numpy as np

        self.languages = tuple(languages)
        folder = _unpacked(self.languages)
        maps = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        # Searched as plain arrays over the maps: np.memmap wraps each indexing in Python (kb/index/vectors/arrays.py).
        self._arrays = {name: np.asarray(array) for name, array in maps.items()}
        # The DFA walk indexes one element per byte of text: a memoryview gives Python ints (~30 ns each), where
        # indexing the memmap makes a numpy scalar (~1 us). Neither copies the file.
        self._walk = (memoryview(maps["nextmove"]), memoryview(maps["rowbase"]), memoryview(maps["output"]))

    def classify(self, text: str) -> tuple[str, float]:
        """(language, probability); a text with no known features gets the first language at 1/len(languages)."""
        return self.ranked(text)[0]

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """Every language with its probability, likeliest first (the languages' order among equals: a text with no
        known features has them all at 1/len(languages))."""
        import numpy as np

        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        a = self._arrays
        visits = _visit_counts(*self._walk, data)
        if not visits:
            return [(language, 1.0 / len(self.languages)) for language in self.languages]
        features = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        scores = (np.log1p(counts) @ a["ptc"][features] + a["pc"]) * (1.0 / math.sqrt(len(data) or 1))
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        order = sorted(range(len(self.languages)), key=lambda i: -scores[i])  # stable: the first language among equals
        return [(self.languages[i], float(scores[i])) for i in order]


def _visit_counts(nextmove: memoryview, rowbase: memoryview, output: memoryview, data: bytes) -> Counter[int] | None:
    """py3langid's DFA walk over the bytes (py3langid.langid.visit_counts, its code), each feature's count; None
    when none is met. Written out here so that telling a question's language never imports py3langid."""
    state, features = 0, []
    for byte in data:
        state = nextmove[rowbase[state] + byte]
        feature = output[state]
        if feature >= 0:
            features.append(feature)
    return Counter(features) if features else None


@cache
def question_language(languages: tuple[str, ...]) -> QuestionLanguage:
    """The classifier for these languages, one per process."""
    return QuestionLanguage(languages)
