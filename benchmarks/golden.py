"""Record what kb answers on an index, or compare with a recording: the check that a refactor changed nothing.

    python benchmarks/golden.py record INDEX QUESTIONS.jsonl [...] --out FILE.json [--rank-only]
    python benchmarks/golden.py compare INDEX QUESTIONS.jsonl [...] --against FILE.json [--rank-only]

For every question and mode (keyword, dense, hybrid) it keeps the whole search result (hits, scores,
passages, highlights, facets, confident) without the timing; --rank-only keeps the 100 best document
ids instead (for big sets such as SciFact). Only KnowledgeBase's public methods are called, so a
recording made by one version of kb can be compared by another.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase, Settings
from kb.records import to_dict

MODES = ("keyword", "dense", "hybrid")


def _questions(files: list[str]) -> list[str]:
    out: list[str] = []
    for name in files:
        path = Path(name)
        if path.is_dir():  # a BEIR folder: its queries
            lines = (path / "queries.jsonl").read_text(encoding="utf-8").splitlines()
            out += [json.loads(line)["text"] for line in lines if line.strip()]
        else:
            out += [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(out))


def _answers(kb: KnowledgeBase, questions: list[str], rank_only: bool) -> dict[str, object]:
    answers: dict[str, object] = {}
    for query in questions:
        for mode in MODES:
            if rank_only:
                answers[f"{mode}|{query}"] = kb.rank(query, k=100, mode=mode)
            else:
                result = to_dict(kb.search(query, k=10, mode=mode))
                result.pop("took_ms", None)
                answers[f"{mode}|{query}"] = result
    if not rank_only:
        browse = to_dict(kb.browse(k=500))
        browse.pop("took_ms", None)
        answers["browse"] = browse
        answers["facets"] = kb.facets()
        answers["topics"] = kb.topics()
    return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("index")
    parser.add_argument("questions", nargs="+")
    parser.add_argument("--out")
    parser.add_argument("--against")
    parser.add_argument("--rank-only", action="store_true")
    args = parser.parse_args()
    kb = KnowledgeBase(Settings.from_env(index_dir=args.index, result_cache=0))
    answers = _answers(kb, _questions(args.questions), args.rank_only)
    if args.action == "record":
        Path(args.out).write_text(json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {len(answers)} answers in {args.out}")
        return 0
    recorded = json.loads(Path(args.against).read_text(encoding="utf-8"))
    now = json.loads(json.dumps(answers, ensure_ascii=False, sort_keys=True))
    differ = [key for key in sorted(set(recorded) | set(now)) if recorded.get(key) != now.get(key)]
    for key in differ[:20]:
        print(f"DIFFERS: {key}")
    print(f"{len(now) - len(differ)} of {len(set(recorded) | set(now))} answers identical")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
