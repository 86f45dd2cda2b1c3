"""Speed, side by side in one run: kb against the naive way, on the same machine at the same time.

    python benchmarks/speed.py [--files N]

1. Ingest: the naive pipeline (pypdf text -> sentence-transformers encode -> FAISS add, in one process)
   against `kb ingest`, on the first N PDFs and Markdown files of ../shared/data/labour-docs (default 20).
2. A cold search, whole process, warm disk cache: `kb search` against a one-shot script that imports
   sentence-transformers and FAISS and embeds the query (median of 3).
Prints a table and writes benchmarks/results/speed.md. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "labour-docs"
PY = sys.executable

NAIVE_INGEST = r'''
import sys, glob, faiss
from pypdf import PdfReader
from sentence_transformers import SentenceTransformer
from kb.embed import packaged_model_path
files = sys.argv[1:]
texts = []
for f in files:
    if f.endswith(".pdf"):
        text = " ".join(p.extract_text() or "" for p in PdfReader(f).pages)
    else:
        text = open(f, encoding="utf-8", errors="replace").read()
    words = text.split()
    texts += [" ".join(words[i:i + 150]) for i in range(0, len(words), 150)]  # ~200-token pieces
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
index = faiss.IndexFlatIP(vectors.shape[1]); index.add(vectors)
print(len(texts))
'''

NAIVE_SEARCH = r'''
import sys, faiss, numpy as np
from sentence_transformers import SentenceTransformer
from kb.embed import packaged_model_path
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
index = faiss.read_index(sys.argv[1])
print(index.search(model.encode([sys.argv[2]], normalize_embeddings=True), 10)[1][0][:3])
'''


def timed(cmd: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"no data at {DATA}; nothing to measure")
        return 0
    files = sorted(DATA.glob("usdol_ilab_child_labor/*.pdf"))[: args.files // 2] + sorted(DATA.glob("ilo_conventions_md/*.md"))[: args.files - args.files // 2]
    work = Path(tempfile.mkdtemp(prefix="kb-speed-"))
    docs = work / "docs"
    docs.mkdir()
    for f in files:
        shutil.copyfile(f, docs / f.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kb = [PY, "-m", "kb"]

    naive_ingest = timed([PY, "-c", NAIVE_INGEST, *map(str, sorted(docs.iterdir()))], env)
    kb_ingest = timed([*kb, "ingest", str(docs), "--index", str(work / "index"), "-q"], env)

    snapshot = next((work / "index" / "snapshots").iterdir())
    query = "minimum age for hazardous work"
    kb_search = statistics.median(timed([*kb, "search", "--index", str(work / "index"), "--json", query], env) for _ in range(3))
    naive_search = statistics.median(timed([PY, "-c", NAIVE_SEARCH, str(snapshot / "vectors.faiss"), query], env) for _ in range(3))

    rows = [
        ("ingest, %d files (naive: pypdf -> sentence-transformers -> FAISS)" % len(files), naive_ingest, kb_ingest),
        ("cold search, whole process (naive: import sentence-transformers)", naive_search, kb_search),
    ]
    lines = [f"# Speed — {dt.date.today()} on {platform.machine()}, {os.cpu_count()} cores", "",
             "| figure | baseline s | kb s | speed-up |", "|---|---|---|---|"]
    lines += [f"| {name} | {base:.2f} | {ours:.2f} | {base / ours:.2f}x |" for name, base, ours in rows]
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "speed.md").write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
