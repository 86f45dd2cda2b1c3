"""Ingest ../shared/data/labour-docs into a fresh index and print what it took.

    python benchmarks/ingest_labour_docs.py [--data DIR] [--index DIR]

Prints documents, pages, chunks, failures (with reasons), wall time and chunks per second, and a
second, incremental run (which should embed nothing). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "labour-docs")
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: a temporary one)")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"no data at {args.data}; nothing to measure")
        return 0
    index = args.index or Path(tempfile.mkdtemp(prefix="kb-bench-")) / "index"
    if index.exists():
        shutil.rmtree(index)
    kb = KnowledgeBase(Settings(index_dir=index))

    started = time.perf_counter()
    kb.embedder.encode(["load the model"])
    model_load = time.perf_counter() - started

    started = time.perf_counter()
    report = kb.ingest([args.data])
    wall = time.perf_counter() - started
    info = kb.info()
    pdfs = [doc for doc in kb.reader().all_documents() if doc.format == "pdf"]
    pages = (sum(doc.n_pages or 0 for doc in pdfs), len(pdfs))

    started = time.perf_counter()
    again = kb.ingest([args.data])
    incremental = time.perf_counter() - started

    result = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}",
        "documents": info.documents,
        "pdf_documents": pages[1],
        "pdf_pages": pages[0],
        "chunks": info.chunks,
        "failed": [{"path": Path(f.path).name, "reason": f.reason} for f in report.failed],
        "model_load_s": round(model_load, 1),
        "ingest_wall_s": round(wall, 1),
        "chunks_per_s": round(info.chunks / wall, 1),
        "incremental_rerun_s": round(incremental, 1),
        "incremental_chunks_embedded": again.chunks_embedded,
        "index_size_mb": round(info.size_bytes / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
