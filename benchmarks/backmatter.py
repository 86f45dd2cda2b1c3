"""Back matter on a real index: how many chunks kb/search/backmatter.py flags, how fast, and samples to read by eye.

    python benchmarks/backmatter.py INDEX [--rounds 9] [--sample 40] [--seed 2026]

Prints: chunks flagged as back matter (and as front matter); microseconds a chunk for each check, uncached, in
interleaved rounds (medians); on the 2021 USDOL country reports of labour-docs, whose reference list runs from its
"REFERENCES 1 …" heading to the end, how many chunks after the heading are flagged and how many before it (a labelled
set that needs no reading); then `--sample` flagged chunks and as many near misses (not flagged, at least two
citation marks and one every 2 x WORDS_PER_MARK words) for a reader to judge. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.index.store import open_reader
from kb.records import Chunk
from kb.search import backmatter, frontmatter

_LIST_STARTS = re.compile(r"REFERENCES (?:1 |ON FILE)")


def timings(chunks: list[Chunk], rounds: int) -> dict[str, float]:
    """Median microseconds a chunk of each check, uncached, the two run in turn in every round."""
    front, back = frontmatter._judged.__wrapped__, backmatter._judged.__wrapped__
    front_args = [(c.text, c.page, c.ordinal, c.heading_path[0] if c.heading_path else "") for c in chunks]
    back_args = [(c.text, c.heading_path[-1] if c.heading_path else "") for c in chunks]
    out: dict[str, list[float]] = {"front matter": [], "back matter": []}
    for _ in range(rounds):
        for name, check, args in (("front matter", front, front_args), ("back matter", back, back_args)):
            started = time.perf_counter()
            for arg in args:
                check(*arg)
            out[name].append((time.perf_counter() - started) / len(args) * 1e6)
    return {name: statistics.median(values) for name, values in out.items()}


def usdol_split(chunks: list[Chunk], titles: dict[str, str]) -> tuple[set[int], set[int]]:
    """The 2021 USDOL reports' chunks after their reference list's heading, and those before it."""
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        if titles[chunk.doc_id].startswith("2021 Findings on the Worst Forms"):
            by_doc[chunk.doc_id].append(chunk)
    after: set[int] = set()
    before: set[int] = set()
    for doc_chunks in by_doc.values():
        doc_chunks.sort(key=lambda c: c.ordinal)
        start = next((i for i, c in enumerate(doc_chunks) if _LIST_STARTS.search(c.text)), None)
        if start is not None:  # the chunk holding the heading is part body, part list: in neither set
            after |= {c.chunk_id for c in doc_chunks[start + 1:] if c.chunk_id is not None}
            before |= {c.chunk_id for c in doc_chunks[:start] if c.chunk_id is not None}
    return after, before


def near_miss(chunk: Chunk) -> bool:
    marks = backmatter.citation_marks(chunk.text)
    return marks >= 2 and marks * backmatter.WORDS_PER_MARK * 2 >= chunk.text.count(" ") + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with open_reader(Path(args.index)) as reader:
        chunks = list(reader.all_chunks())
        titles = {d.doc_id: d.title for d in reader.all_documents()}
    flagged = [c for c in chunks if backmatter.is_back_matter(c)]
    print(f"{args.index}: {len(chunks)} chunks; back matter {len(flagged)}, "
          f"front matter {sum(frontmatter.is_front_matter(c) for c in chunks)}, both "
          f"{sum(frontmatter.is_front_matter(c) for c in flagged)}")
    for name, micros in timings(chunks, args.rounds).items():
        print(f"{name}: {micros:.1f} us a chunk (median of {args.rounds} interleaved rounds, uncached)")
    after, before = usdol_split(chunks, titles)
    ids = {c.chunk_id for c in flagged}
    if after:
        print(f"2021 USDOL reports: flagged {len(ids & after)}/{len(after)} chunks after 'REFERENCES', "
              f"{len(ids & before)}/{len(before)} before it")
    misses = [c for c in chunks if c.chunk_id not in ids and near_miss(c)]
    print(f"near misses (not flagged, >= 2 marks, one every {2 * backmatter.WORDS_PER_MARK:.0f} words): {len(misses)}")
    rng = random.Random(args.seed)
    for label, pool in (("flagged", flagged), ("near miss", misses)):
        for i, chunk in enumerate(rng.sample(pool, min(args.sample, len(pool)))):
            print(f"[{label} {i}] {chunk.chunk_id} {titles[chunk.doc_id][:45]} p{chunk.page} "
                  f"marks={backmatter.citation_marks(chunk.text)}: {chunk.text[:240]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
