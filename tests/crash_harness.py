"""Kill `kb ingest` with SIGKILL at random moments and check the index after every kill.

Used by tests/test_crash.py (asserts) and benchmarks/crash.py (prints the summary line).

One round: change the source folder (add, edit, delete or rename a file, or a batch of these), start the real
CLI (`python -m kb ingest`, real model) in a subprocess, kill it, then check what a user would see:
`kb info` and `kb search` answer from the last good snapshot (or say "No index" before the first
commit), the stores agree, no lock is held, and the snapshot is all-old or all-new, never a mix.

The ingests take checkpoints (KB_CHECKPOINT_CHUNKS=1: one before every document that follows embedded work,
within their 5 % share of the run), so a committed snapshot may be a checkpoint: then every document in it is
its last good version or the one on disk, whole, and none is removed yet (removals wait for the end). Superseded
snapshots are kept for a short grace (GRACE_SECONDS) and must be gone after it, at the next write.

How kills are timed (seeded RNG):
  uniform    at U(0, T) seconds after start, T = the wall time of an uninterrupted ingest measured first in a
             scratch index: a cold build of the starting set before the first commit, one edit on top after it
  manifest   the moment manifest.json names the new snapshot (old snapshots not yet removed)
  commit     U(0, 2 ms) after the new snapshot's vectors.npy appears (fsyncs, manifest swap: 0-30 ms)
  writing    U(0, 0.3 s) after the progress log says every chunk is embedded (topics, rows, commit)
  checkpoint U(0, 2 ms) after an uncommitted snapshot's vectors.npy appears, without waiting for the end of
             embedding: mostly a checkpoint's commit (batch rounds)
  between    U(0, 0.3 s) after a checkpoint was committed and the run went on in a fresh snapshot (batch rounds)
Every third kill is a targeted one, rotating manifest -> commit -> writing; every batch round's is a
checkpoint or a between kill, in turn. The final clean build takes no checkpoints.

A kill is SIGSTOP, a look at the disk (so the phase is exactly what existed at that moment), then
SIGKILL: the process runs no instruction between the look and its death.
"""

from __future__ import annotations

import collections
import datetime as dt
import fcntl
import json
import operator
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.config import SNAPSHOTS_KEPT
from kb.index.store import (
    DB_FILE,
    LOCK,
    MANIFEST,
    SNAPSHOTS,
    VECTORS_FILE,
    IndexReader,
    open_reader,
)
from kb.ingest.metadata import sidecar_path
from kb.ingest.pipeline import content_hash
from tests.conftest import CORPUS, LABOUR_DOCS, ROOT

# The starting set: 12 small real files (55 chunks: 2 PDFs, 3 Markdown, 7 HTML), so a cold ingest takes
# 10-20 s on 2 shared cores; one file of LABOUR_POOL comes in per "add" round. Small on purpose: each
# ingest re-embeds every change no commit has kept yet, and most runs are killed.
LABOUR_BASE = [
    "usdol_ilab_child_labor/TDA-foreword-2019.pdf",
    "usdol_ilab_child_labor/Tokelau.pdf",
    "unstats_gender_metadata_md/III_7__I555b0f6a__metadata.md",
    "unstats_gender_metadata_md/II_2__I40470f13__metadata.md",
    "unstats_gender_metadata_md/II_8__Ia00b1ab7__metadata.md",
    "ilostat_html/docs__index.html",
    "ilostat_html/docs__reference__distribution_ilostat.html",
    "ilostat_html/docs__reference__get_ilostat_dic.html",
    "ilostat_html/docs__reference__label_ilostat.html",
    "ilostat_html/docs__reference__Rilostat.html",
    "ilostat_html/docs__reference__clean_ilostat_cache.html",
    "usdol_ilab_child_labor/aboutthisapp.html",
]
LABOUR_POOL = [
    "ilostat_html/docs__reference__dataquery.html",
    "unstats_gender_metadata_md/QIV_3__I04c00dff__metadata.md",
    "unicef_pdf/EOF_Information_Brief_Outcomes_Funds.pdf",
    "unstats_gender_metadata_md/I_14__Ic6bf121c__metadata.md",
    "ilostat_html/README.html",
    "unstats_gender_metadata_md/QV_2__I158e0e5f__metadata.md",
]
# Without labour-docs (CI): these five of corpus/ (~42 chunks: text, HTML, Markdown, a PDF, sidecars) in two folders.
CORPUS_FILES = [
    "press-releases/2021-07-nepal-rpl-returning-migrant-workers.txt",
    "press-releases/2024-03-ghana-digital-skills-bootcamp-young-women.html",
    "press-releases/2023-11-green-skills-energy-transition-south-africa.md",
    "tool-reports/setting-up-a-sector-skills-body-checklist.txt",
    "skills-guides/training-of-trainers-for-tvet-instructors.pdf",
]
LABOUR_QUERY = "how is child labour measured in household surveys?"
CORPUS_QUERY = "how can apprenticeships be made more inclusive?"

TARGETED = ("manifest", "commit", "writing")
CHECKPOINT_TARGETED = ("checkpoint", "between")  # the batch rounds' kills, in turn
# One per round, in this order. A batch edits two files, renames one and brings one in: several documents to
# write, so checkpoints fall between them (and a removal waits for the end).
CHANGES = ("add", "edit", "batch", "delete", "rename", "batch", "edit")
PHASES = ("startup", "loading", "embedding", "writing", "checkpointing", "checkpointed", "committing", "committed", "finished")
# The ingests' checkpoints and grace (the final clean build takes none); a round takes ~10-20 s, so snapshots
# expire during the run and the next write must delete them.
CHECKPOINT_ENV = {"KB_CHECKPOINT_CHUNKS": "1", "KB_CHECKPOINT_SECONDS": "0"}
GRACE_SECONDS = 30.0
COMMIT_SECONDS = 0.002  # vectors.npy appearing -> manifest swapped took 0-30 ms here (fsyncs), often 2-5 ms
KILL_TIMEOUT = 300.0  # a targeted kill that never sees its moment kills anyway after this long
VECTOR_TOLERANCE = 1e-4  # max abs difference per component between the crash-survivor and a clean build


@dataclass
class Summary:
    """What a harness run did and found; `line()` is the one-line report."""

    source: str = ""
    kills: int = 0
    landed: int = 0
    phases: collections.Counter = field(default_factory=collections.Counter)
    timings: collections.Counter = field(default_factory=collections.Counter)
    commits: int = 0
    checkpoints: int = 0  # of the commits, those that held a killed run's checkpoint (not the whole source folder)
    no_index: int = 0  # kills after which no snapshot had been committed yet
    checks: int = 0
    problems: list[str] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)  # one line per kill: change, timing, when, phase
    documents: int = 0
    chunks: int = 0
    max_vector_diff: float = float("nan")
    converged: bool = False
    reference_seconds: tuple[float, float] = (0.0, 0.0)  # uninterrupted: cold build, one-edit incremental
    seconds: float = 0.0

    def line(self) -> str:
        phases = ", ".join(f"{p} {self.phases[p]}" for p in PHASES if self.phases[p])
        timings = ", ".join(f"{k} {n}" for k, n in sorted(self.timings.items()))
        verdict = (f"converged with a clean build ({self.documents} docs, {self.chunks} chunks, "
                   f"max vector diff {self.max_vector_diff:.1e})" if self.converged else "did NOT converge")
        return (f"crash harness on {self.source}: {self.kills} kills attempted ({timings}), {self.landed} landed mid-run, "
                f"{self.kills - self.landed} found the run already finished; {self.no_index} before the first commit; "
                f"{self.commits} snapshots committed during the kill rounds ({self.checkpoints} of them checkpoints); phases hit: {phases}; checks {self.checks - len(self.problems)}/{self.checks} "
                f"passed; {verdict}; uninterrupted ingest {self.reference_seconds[0]:.0f} s cold, {self.reference_seconds[1]:.0f} s incremental; total {self.seconds:.0f} s")


class CrashHarness:
    """The rounds of kills over one index, with the checks after each and the final comparison."""

    def __init__(self, work: Path, kills: int, seed: int = 2024) -> None:
        self.work = Path(work)
        self.source = self.work / "docs"
        self.index = self.work / "index"
        self.kills = kills
        self.rng = random.Random(seed)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **CHECKPOINT_ENV, "KB_SNAPSHOT_GRACE_SECONDS": str(GRACE_SECONDS)}
        self.clean_env = {**self.env, "KB_CHECKPOINT_CHUNKS": "0"}
        self.batches = 0  # batch rounds so far (their kills alternate checkpoint / between)
        self.summary = Summary()
        self.good_manifest: dict | None = None  # the last committed manifest, None before the first commit
        self.good_state: dict[str, str] = {}  # {doc_id: content_hash} of that snapshot
        self.pool: list[tuple[Path, Path]] = []  # (file, where it goes under docs/), added one per "add" round
        self.deleted: list[tuple[Path, bytes]] = []  # files a round removed, with their bytes, to add back later
        self.query = LABOUR_QUERY
        self.where = "setup"  # which round a problem belongs to

    # -- the source folder -------------------------------------------------------------------------
    def prepare_source(self) -> None:
        """The starting set in docs/, and the files later rounds add."""
        if LABOUR_DOCS.is_dir():
            base = [(LABOUR_DOCS / rel, Path(rel)) for rel in LABOUR_BASE]
            self.pool = [(LABOUR_DOCS / rel, Path(rel)) for rel in LABOUR_POOL]
            self.summary.source = f"labour-docs subset ({len(base)} files + {len(self.pool)} added over the rounds)"
        else:  # CI without the shared data: five corpus/ files in two folders, a third copy added file by file
            self.query = CORPUS_QUERY
            base = [(CORPUS / rel, Path(copy) / rel) for copy in ("copy-a", "copy-b") for rel in CORPUS_FILES]
            self.pool = [(CORPUS / rel, Path("copy-c") / rel) for rel in CORPUS_FILES]
            self.summary.source = f"corpus/ sample ({len(base)} files + {len(self.pool)} added; labour-docs absent)"
        for src, rel in base:
            self._copy(src, self.source / rel)

    def _copy(self, src: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        sidecar = sidecar_path(src)
        if sidecar is not None:
            shutil.copyfile(sidecar, target.parent / sidecar.name)

    def _documents(self) -> list[Path]:
        return sorted(p for p in self.source.rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))

    def change_source(self, round_: int) -> str:
        """Add, edit or delete one file, so every round has work and later runs are incremental."""
        change = CHANGES[round_ % len(CHANGES)]
        docs = self._documents()
        if change == "add" and not (self.pool or self.deleted):
            change = "edit"
        if change == "delete" and len(docs) <= 4:
            change = "edit"
        if change == "add":
            self.add_a_file()
        elif change == "edit":
            self.edit_a_file(f"round {round_}")
        elif change == "rename":
            self.rename_a_file(round_)
        elif change == "batch":
            self.edit_a_file(f"round {round_}")
            self.edit_a_file(f"round {round_}, second edit")
            self.rename_a_file(round_)
            if self.pool or self.deleted:
                self.add_a_file()
        else:
            path = self.rng.choice(docs)
            self.deleted.append((path, path.read_bytes()))
            path.unlink()
        return change

    def add_a_file(self) -> None:
        if self.pool:
            src, rel = self.pool.pop(0)
            self._copy(src, self.source / rel)
        else:  # bring back a deleted file
            path, data = self.deleted.pop(0)
            path.write_bytes(data)

    def rename_a_file(self, round_: int) -> None:
        """A new name for the same content: its vectors are reused, and the old name is removed at the end of the run."""
        path = self.rng.choice(self._documents())
        prefix = f"r{round_}-"
        sidecar = sidecar_path(path)
        path.rename(path.with_name(prefix + path.name))
        if sidecar is not None:  # NAME.meta.json or NAME.ext.meta.json: the same prefix keeps it paired
            sidecar.rename(sidecar.with_name(prefix + sidecar.name))

    def edit_a_file(self, label: str) -> None:
        path = self.rng.choice([p for p in self._documents() if p.suffix in (".md", ".txt")])
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n\nAdded in {label}: apprentices learned welding, bookkeeping and safety on the job.\n")

    def source_state(self) -> dict[str, str]:
        """{doc_id: content_hash} the index must hold once an ingest of docs/ commits."""
        return {p.relative_to(self.source).as_posix(): content_hash(p) for p in self._documents()}

    # -- processes ---------------------------------------------------------------------------------
    def kb(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """The real CLI of this checkout, in a subprocess."""
        return subprocess.run([sys.executable, "-m", "kb", *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def start_ingest(self, index: Path, log: Path) -> subprocess.Popen:
        with open(log, "w") as err, open(log.with_suffix(".out"), "w") as out:
            return subprocess.Popen([sys.executable, "-m", "kb", "ingest", str(self.source), "--index", str(index)],
                                    env=self.env, stdout=out, stderr=err)

    def ingest_to_completion(self, *indexes: Path, clean: Path | None = None) -> float:
        """Ingest docs/ into each index without a kill, side by side (`clean` with no checkpoints); the wall time."""
        started = time.perf_counter()
        runs = [(index, self.env) for index in indexes] + ([(clean, self.clean_env)] if clean is not None else [])
        procs = [subprocess.Popen([sys.executable, "-m", "kb", "ingest", str(self.source), "--index", str(index), "-q"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for index, env in runs]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            self.check("an uninterrupted ingest exits 0", proc.returncode == 0, err[-2000:])
        return time.perf_counter() - started

    # -- what is on disk ---------------------------------------------------------------------------
    def snapshot_names(self) -> set[str]:
        folder = self.index / SNAPSHOTS
        return {p.name for p in folder.iterdir()} if folder.is_dir() else set()

    def manifest(self) -> dict | None:
        try:
            return json.loads((self.index / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def manifest_tmps(self) -> list[Path]:
        return list(self.index.glob(f".{MANIFEST}.*.tmp"))

    def committing(self, new: set[str]) -> bool:
        """True when a snapshot of this run that no manifest names yet has its vectors written (a commit under way)."""
        manifest = self.manifest() or {}
        named = {manifest.get("snapshot"), *manifest.get("previous_snapshots", [])}
        return any((self.index / SNAPSHOTS / n / VECTORS_FILE).exists() for n in new - named)

    def phase(self, new: set[str], log: Path) -> str:
        """Where the stopped ingest was, from what exists on disk (and its progress log within a snapshot).

        checkpointed: the manifest names a snapshot of this run and the run went on in a newer one; checkpointing:
        a commit under way before every chunk was embedded (a checkpoint's)."""
        manifest = self.manifest()
        if manifest and manifest["snapshot"] in new:
            return "checkpointed" if any(n > manifest["snapshot"] for n in new) else "committed"
        if not new:
            return "startup"
        text = log.read_text(errors="replace")
        total = re.search(r"^embedding (\d+) chunk", text, re.MULTILINE)
        done = re.findall(r"^\s+(\d+)/\d+ chunks", text, re.MULTILINE)
        embedded = bool(total and done and int(done[-1]) >= int(total.group(1)))
        if self.committing(new) or self.manifest_tmps():
            return "committing" if embedded else "checkpointing"
        if not total:
            return "loading"
        return "writing" if embedded else "embedding"

    # -- one round ---------------------------------------------------------------------------------
    def kill_round(self, round_: int, timing: str, window: float) -> str:
        """Start an ingest and kill it as `timing` says (uniform: within `window` s); the phase at the kill."""
        before = self.snapshot_names()
        log = self.work / f"round{round_:02d}.log"
        proc = self.start_ingest(self.index, log)
        started = time.perf_counter()

        def new() -> set[str]:
            return self.snapshot_names() - before

        def vectors_written() -> bool:
            return self.committing(new())

        def checkpointed() -> bool:
            current = (self.manifest() or {}).get("snapshot")
            return current in new() and any(n > current for n in new())

        moments: dict[str, Callable[[], bool]] = {
            "embedded": lambda: bool(re.search(r"^\s+(\d+)/\1 chunks", log.read_text(errors="replace"), re.MULTILINE))
            or vectors_written(),  # a run that only deletes embeds nothing
            "vectors written": vectors_written,
            "manifest swapped": lambda: (self.manifest() or {}).get("snapshot") in new(),
            "checkpointed": checkpointed,
        }
        if timing == "uniform":
            try:
                proc.wait(timeout=self.rng.uniform(0, window))
            except subprocess.TimeoutExpired:
                pass
        else:
            # (moment, poll interval) in turn, then a random delay. The commit takes a few ms (two fsyncs of the
            # snapshot, one of the manifest), so its moment is watched without sleeping, and only from the end
            # of embedding on, to leave the CPU to the ingest until then.
            waits, longest_delay = {
                "writing": ([("embedded", 0.001)], 0.3),
                "commit": ([("embedded", 0.001), ("vectors written", 0.0)], COMMIT_SECONDS),
                "manifest": ([("manifest swapped", 0.001)], 0.0),
                "checkpoint": ([("vectors written", 0.001)], COMMIT_SECONDS),
                "between": ([("checkpointed", 0.005)], 0.3),
            }[timing]
            delay = self.rng.uniform(0, longest_delay)
            deadline = started + KILL_TIMEOUT
            for moment, interval in waits:
                while proc.poll() is None and not moments[moment]() and time.perf_counter() < deadline:
                    time.sleep(interval)
            if delay and proc.poll() is None:
                time.sleep(delay)
        phase = self.stop_look_kill(proc, before, new, log)
        self.summary.rounds.append(f"{self.where}: stopped {time.perf_counter() - started:5.2f} s after start, {phase}")
        return phase

    def stop_look_kill(self, proc: subprocess.Popen, before: set[str], new: Callable[[], set[str]], log: Path) -> str:
        """SIGSTOP, note the phase and check for leftovers, then SIGKILL; 'finished' if it had exited."""
        if proc.poll() is not None:
            self.check("an ingest that was not killed exits 0", proc.returncode == 0, log.read_text()[-2000:])
            return "finished"
        os.kill(proc.pid, signal.SIGSTOP)
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):  # it exited between the poll and the stop
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.check("an ingest that was not killed exits 0", proc.returncode == 0, log.read_text()[-2000:])
            return "finished"
        phase = self.phase(new(), log)
        if phase in ("loading", "embedding", "writing", "committing"):
            # The running writer has opened the index: earlier runs' leftovers must be gone by now.
            keep = set(new())
            if self.good_manifest:
                keep |= {self.good_manifest["snapshot"], *self.good_manifest.get("previous_snapshots", [])}
            extra = self.snapshot_names() - keep
            self.check("the next run removed the snapshots killed runs left", not extra, f"left: {sorted(extra)}")
            if phase != "committing":
                self.check("the next run removed manifest temp files", not self.manifest_tmps(), str(self.manifest_tmps()))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.check("the ingest died of SIGKILL", proc.returncode == -signal.SIGKILL, str(proc.returncode))
        return phase

    # -- checks ------------------------------------------------------------------------------------
    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.summary.checks += 1
        if not ok:
            self.summary.problems.append(f"{self.where}: {name}" + (f" ({detail})" if detail else ""))
        return ok

    def check_lock_is_free(self) -> None:
        """The kernel drops a dead process's flock: a new writer gets the lock at once."""
        lock = self.index / LOCK
        if not lock.exists():
            return
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
                free = True
            except BlockingIOError:
                free = False
        self.check("no write lock is held after the kill", free)

    def check_no_index_yet(self) -> None:
        """Before the first commit: info and search fail with the clear 'No index ... Run: kb ingest' error."""
        for args in (("info", "--json"), ("search", "--json", self.query)):
            result = self.kb(*args, "--index", str(self.index))
            self.check(f"kb {args[0]} without a committed snapshot exits 1", result.returncode == 1, result.stderr[-500:])
            self.check(f"kb {args[0]} says there is no index and how to build one",
                       f"No index at {self.index}. Run: kb ingest" in result.stderr and not result.stdout.strip(),
                       result.stderr[-500:])

    def check_index(self, target: dict[str, str], new: set[str], finished: bool = False) -> bool:
        """The current snapshot is whole, its stores agree, and it is the old state, the target or a checkpoint
        between them (whole documents, old or new, none removed yet), never a mix within a document.

        True when the run just made committed a new snapshot. `finished`: the run exited by itself.
        """
        manifest = self.manifest()
        if manifest is None:
            self.check("the index has a manifest once a snapshot was committed", self.good_manifest is None)
            self.check_no_index_yet()
            return False
        self.check("the manifest's snapshot folder exists", (self.index / SNAPSHOTS / manifest["snapshot"] / DB_FILE).is_file())
        state = self.check_stores(manifest)
        if state is None:
            return False
        committed = self.good_manifest is None or manifest["snapshot"] != self.good_manifest["snapshot"]
        if committed:
            self.check("a new snapshot comes from the run just made", manifest["snapshot"] in new, manifest["snapshot"])
            if state != target:
                self.check_checkpoint(target, state, finished)
            self.good_manifest, self.good_state = manifest, state
        else:
            self.check("an unchanged manifest is the last good one, field for field", manifest == self.good_manifest)
            self.check("the last good snapshot still holds its documents", state == self.good_state,
                       _diff(self.good_state, state))
        self.check_cli(state)
        return committed

    def check_checkpoint(self, target: dict[str, str], state: dict[str, str], finished: bool) -> None:
        """A new snapshot that is not the source folder must be a checkpoint of a run that was killed."""
        self.summary.checkpoints += 1
        self.check("a run that finished committed exactly the source folder", not finished, _diff(target, state))
        mixed = sorted(d for d in state if state[d] not in (target.get(d), self.good_state.get(d)))
        self.check("a checkpoint holds each document at its last good version or the one on disk", not mixed, str(mixed[:3]))
        gone = sorted(self.good_state.keys() - state.keys())
        self.check("a checkpoint removes nothing (removals wait for the end of the run)", not gone, str(gone[:3]))

    def check_stores(self, manifest: dict) -> dict[str, str] | None:
        """SQLite, FTS5, the vectors and the manifest agree; {doc_id: content_hash} of the snapshot."""
        import numpy as np

        reader = None
        try:
            reader = IndexReader(self.index)
            vectors = reader.vectors  # opens the vector arrays
        except Exception as exc:
            self.check("the index reopens with kb's reader", False, f"{type(exc).__name__}: {exc}")
            if reader is not None:
                reader.close()
            return None
        try:
            documents, chunks = reader.counts()
            chunk_ids = {c.chunk_id for c in reader.all_chunks()}
            vector_ids = set(vectors.ids.tolist())
            self.check("vector count = SQLite chunk count", len(vectors) == chunks, f"{len(vectors)} vs {chunks}")
            self.check("manifest counts = SQLite counts", manifest["counts"] == {"documents": documents, "chunks": chunks},
                       f"{manifest['counts']} vs {documents}/{chunks}")
            self.check("manifest ntotal = vector count", manifest["index"]["ntotal"] == len(vectors))
            problems = reader.check_integrity()  # SQLite's check, orphan chunks, keyword rows and vectors per chunk
            self.check("the snapshot is consistent (kb's integrity check)", not problems, "; ".join(problems))
            self.check("every chunk has one vector, keyed by its id", vector_ids == chunk_ids,
                       f"{len(vector_ids)} vector ids for {len(chunk_ids)} chunks")
            stored = reader.vectors_by_id(sorted(vector_ids)) if vector_ids else np.zeros((0, 1))
            self.check("the vectors are whole: finite and of unit length", chunks > 0 and np.isfinite(stored).all()
                       and np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-3))
            return reader.content_hashes()
        finally:
            reader.close()

    def check_cli(self, state: dict[str, str]) -> None:
        """`kb info` and `kb search` answer from the committed snapshot."""
        search = subprocess.Popen([sys.executable, "-m", "kb", "search", "--index", str(self.index), "--json", self.query],
                                  env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        info = self.kb("info", "--index", str(self.index), "--json")  # while search loads its model
        if self.check("kb info --json exits 0", info.returncode == 0, info.stderr[-500:]):
            data = json.loads(info.stdout)
            self.check("kb info shows the committed snapshot", data["snapshot"] == self.good_manifest["snapshot"]
                       and data["documents"] == len(state) and data["chunks"] == self.good_manifest["counts"]["chunks"], info.stdout[:300])
        out, err = search.communicate(timeout=120)
        if self.check("kb search --json exits 0", search.returncode == 0, err[-500:]):
            hits = json.loads(out)["hits"]
            self.check("kb search finds documents of the snapshot", bool(hits) and all(h["doc_id"] in state for h in hits),
                       str([h["doc_id"] for h in hits][:5]))

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> Summary:
        started = time.perf_counter()
        self.where = "setup"
        self.prepare_source()
        # The uniform windows: an uninterrupted cold build of the starting set, then one edit ingested on top.
        reference = self.work / "reference-index"
        cold = self.ingest_to_completion(reference)
        self.edit_a_file("the reference run")
        incremental = self.ingest_to_completion(reference)
        shutil.rmtree(reference)
        self.summary.reference_seconds = (cold, incremental)
        for round_ in range(self.kills):
            change = self.change_source(round_)
            timing = TARGETED[(round_ // 3) % len(TARGETED)] if round_ % 3 == 2 else "uniform"
            if change == "batch":
                timing = CHECKPOINT_TARGETED[self.batches % len(CHECKPOINT_TARGETED)]
                self.batches += 1
            self.where = f"kill {round_ + 1} ({change}, {timing})"
            target = self.source_state()
            before = self.snapshot_names()
            phase = self.kill_round(round_, timing, cold if self.good_manifest is None else incremental)
            self.where += f" [{phase}]"
            self.summary.kills += 1
            self.summary.landed += phase != "finished"
            self.summary.phases[phase] += 1
            self.summary.timings[timing] += 1
            self.check_lock_is_free()
            committed = self.check_index(target, self.snapshot_names() - before, finished=phase == "finished")
            self.summary.commits += committed
            self.summary.no_index += self.good_manifest is None
            if phase in ("finished", "committed", "checkpointed"):
                self.check("a run that got past its manifest swap committed", committed)
        self.where = "final"
        self.finish()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def finish(self) -> None:
        """Ingest to completion, then compare with a clean build and look for leftovers."""
        target = self.source_state()
        before = self.snapshot_names()
        clean = self.work / "clean-index"
        self.ingest_to_completion(self.index, clean=clean)  # side by side: neither is killed, so timing does not matter
        self.check_index(target, self.snapshot_names() - before, finished=True)
        self.check("after a full run the index holds exactly the source folder", self.good_state == target,
                   _diff(target, self.good_state))
        manifest = self.manifest() or {}
        previous = manifest.get("previous_snapshots", [])
        kept = {manifest.get("snapshot"), *previous}
        self.check("only the current and the kept snapshots remain", self.snapshot_names() == kept,
                   f"{sorted(self.snapshot_names())} vs {sorted(kept)}")
        # The last write deleted every snapshot past its grace: what it kept beyond the SNAPSHOTS_KEPT floor is younger.
        written = dt.datetime.fromisoformat(manifest.get("updated_at", "1970-01-01T00:00:00+00:00"))
        superseded = manifest.get("superseded", {})
        overdue = [n for n in previous[SNAPSHOTS_KEPT - 1:]
                   if n not in superseded or (written - dt.datetime.fromisoformat(superseded[n])).total_seconds() > GRACE_SECONDS + 1]
        self.check("no snapshot is kept past its grace", not overdue, str(overdue[:3]))
        strays = [str(p.relative_to(self.index)) for p in self.index.rglob("*")
                  if p.name.endswith((".tmp", "-journal", "-wal"))]
        self.check("no temporary files remain", not strays, str(strays))
        try:
            self.compare_with_clean_build(clean)
        except Exception as exc:
            self.check("the index can be compared with a clean build", False, f"{type(exc).__name__}: {exc}")

    def compare_with_clean_build(self, clean: Path) -> None:
        import numpy as np

        with open_reader(self.index) as crashed, open_reader(clean) as fresh:
            docs_a = {d.doc_id: d for d in crashed.all_documents()}
            docs_b = {d.doc_id: d for d in fresh.all_documents()}
            same_docs = self.check("same document ids as a clean build", docs_a.keys() == docs_b.keys(),
                                   _diff(dict.fromkeys(docs_b), dict.fromkeys(docs_a)))
            worst = 0.0
            differ: list[str] = []
            for doc_id in sorted(docs_a.keys() & docs_b.keys()):
                if docs_a[doc_id] != docs_b[doc_id]:
                    differ.append(f"{doc_id}: document record")
                chunks_a, chunks_b = crashed.chunks_of(doc_id), fresh.chunks_of(doc_id)
                key = operator.attrgetter("ordinal", "text", "page", "page_label", "heading_path")  # ids may differ
                if [key(c) for c in chunks_a] != [key(c) for c in chunks_b]:
                    differ.append(f"{doc_id}: chunks")
                    continue
                if chunks_a:
                    va = crashed.vectors_by_id([c.chunk_id for c in chunks_a])
                    vb = fresh.vectors_by_id([c.chunk_id for c in chunks_b])
                    worst = max(worst, float(np.abs(va - vb).max()))
            self.check("same documents (hashes, titles, metadata) and chunk texts as a clean build", not differ, str(differ[:5]))
            self.check(f"same vectors as a clean build (within {VECTOR_TOLERANCE})", worst <= VECTOR_TOLERANCE, f"{worst:.2e}")
            self.summary.documents, self.summary.chunks = crashed.counts()
            self.summary.max_vector_diff = worst
            self.summary.converged = same_docs and not differ and worst <= VECTOR_TOLERANCE


def _diff(expected: dict, got: dict) -> str:
    missing = sorted(expected.keys() - got.keys())
    extra = sorted(got.keys() - expected.keys())
    changed = sorted(k for k in expected.keys() & got.keys() if expected[k] != got[k])
    return f"missing {missing[:3]}, extra {extra[:3]}, changed {changed[:3]}"


def run(work: Path, kills: int | None = None, seed: int | None = None) -> Summary:
    """Run the harness in `work` (KB_CRASH_KILLS kills, default 20; KB_CRASH_SEED, default 2024)."""
    kills = int(os.environ.get("KB_CRASH_KILLS", "20")) if kills is None else kills
    seed = int(os.environ.get("KB_CRASH_SEED", "2024")) if seed is None else seed
    return CrashHarness(work, kills, seed).run()
