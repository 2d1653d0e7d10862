"""The crash-safe sweep folder: manifest, journal and results appended as points finish.

When the last task of a point finishes, all its rows are appended to ``results.csv`` in one
write, flushed and fsynced, and only then is the point's id appended (fsynced) to the journal
``done.jsonl``. A point is done when the journal says so; rows of any other point are garbage
from an interrupted write. ``--resume`` drops that garbage (rewriting both files atomically),
checks that the scenario (its sha256) and the sweep spec are unchanged, and runs the points that
are not done. A lock file keeps two sweeps from writing one folder.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim.errors import Problem, UsageError
from channelsim.metrics.catalogue import SUMMARY_METRICS
from channelsim.outputs.files import (
    JOURNAL,
    LOCK,
    MANIFEST_JSON,
    POINTS_CSV,
    RESOLVED_SCENARIO,
    RESULTS_CSV,
    atomic_write,
    check_out_name,
    clean_stale_files,
    fsync_dir,
    read_manifest,
    write_manifest,
)
from channelsim.outputs.text import rows_csv, table_csv
from channelsim.planning.journal import check_resumable
from channelsim.scenario import Scenario

_SPEC_OPTIONS = {
    "params": "--param",
    "sampler": "--sampler",
    "samples": "--samples",
    "strategies": "--strategies",
    "replications": "--reps",
    "seed": "--seed",
}
"""The command-line option of each key of a sweep's spec (for --resume's messages)."""

__all__ = ["FORMAT", "RESULT_COLUMNS", "SweepStopped", "SweepStore", "sorted_rows"]

FORMAT = "channelsim-sweep/1"
"""The sweep folder's format, recorded in its manifest and checked on ``--resume``."""

RESULT_COLUMNS: tuple[str, ...] = ("point", "strategy", "replication", "channel", *SUMMARY_METRICS)
"""Columns of ``results.csv``: one row per point, strategy, replication and channel."""

_LIVE_FILES = (JOURNAL, POINTS_CSV, RESOLVED_SCENARIO, RESULTS_CSV)
"""What a live sweep folder holds besides its manifest (the manifest of a finished sweep lists
the summary, errors, plots and run.json too)."""


def sorted_rows(rows: list[list[str]], strategies: Sequence[str]) -> list[list[str]]:
    """Results rows sorted by point, strategy (sweep order) and replication.

    Channel order within a run is kept: the sort is stable and a run's rows are written
    together.
    """
    order = {s: i for i, s in enumerate(strategies)}
    return sorted(rows, key=lambda r: (int(r[0]), order.get(r[1], len(order)), int(r[2])))


class SweepStopped(RuntimeError):
    """A sweep stopped before its end (a lost worker, a broken pool); ``--resume`` finishes it.

    Attributes:
        done: points finished and saved.
        total: points in the sweep.
        folder: the sweep folder.
    """

    def __init__(self, message: str, done: int, total: int, folder: Path | None) -> None:
        super().__init__(message)
        self.done, self.total, self.folder = done, total, folder


class SweepStore:
    """The live sweep folder: manifest, journal and results appended as points finish."""

    def __init__(self, folder: Path, kind: str = "sweep", what: str = "sweep") -> None:
        self.folder = Path(folder)
        self.kind, self.what = kind, what  # voi keeps its samples in the same kind of store
        self._results: Any = None
        self._journal: Any = None
        self._lock: Any = None
        self._created = False  # this sweep made the folder: removed if nothing is written
        self._opened = False
        self._manifest: dict[str, Any] | None = None

    # -- opening --------------------------------------------------------------------------

    def prepare(self, manifest: dict[str, Any], resume: bool) -> None:
        """Check the folder (and, on resume, that nothing changed), create it, take the lock.

        Nothing else is written yet, so a failure to reach a cluster leaves no sweep behind.
        """
        folder = self.folder
        check_out_name(folder)
        if folder.exists() and not folder.is_dir():
            raise UsageError(Problem(str(folder), "", "exists and is not a folder"))
        manifest_found = read_manifest(folder) if folder.is_dir() else None
        kind = None if manifest_found is None else str(manifest_found["kind"])
        if resume:
            if not folder.is_dir():
                raise UsageError(
                    Problem(str(folder), "--resume", f"no {self.what} folder to resume")
                )
            if kind != self.kind:
                what = f"it holds a {kind} folder" if kind else f"no {MANIFEST_JSON}"
                raise UsageError(
                    Problem(str(folder), "--resume", f"not a {self.what} folder ({what})")
                )
            self._take_lock()
            self._check_same(manifest)
            clean_stale_files(folder)  # what a killed or disk-starved sweep left
            return
        if folder.is_dir() and any(p.name != LOCK for p in folder.iterdir()):
            if kind == self.kind:
                message = (
                    f"already holds a {self.what}: add --resume to complete it, or choose "
                    "another --out"
                )
            elif kind is not None:
                message = (
                    f"holds the output of channelsim {kind} ({MANIFEST_JSON}: kind {kind!r}), "
                    f"not a {self.what}: choose another --out"
                )
            else:
                message = f"is not empty and is not a {self.what} folder: choose another --out"
            raise UsageError(Problem(str(folder), "", message))
        try:
            self._created = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                Problem(str(folder), "", f"cannot create: {exc.strerror or exc}")
            ) from None
        self._take_lock()

    def open(
        self,
        manifest: dict[str, Any],
        scenario: Scenario,
        points: pd.DataFrame,
        strategies: Sequence[str],
        done: set[int],
    ) -> None:
        """Write the manifest, scenario and points; drop garbage rows; open files.

        The manifest says ``running`` (on resume too: it said ``interrupted`` or, for a
        finished sweep, ``complete``, until the sweep ends again).
        """
        folder = self.folder
        self._opened = True
        self._manifest = manifest
        resumed = (folder / MANIFEST_JSON).is_file()
        files = None if resumed else _LIVE_FILES  # on resume: every file already there
        write_manifest(folder, self.kind, manifest, files=files, durable=True)
        atomic_write(folder / RESOLVED_SCENARIO, scenario.to_toml(), durable=True)
        atomic_write(folder / POINTS_CSV, table_csv(points), durable=True)
        self._compact(strategies, done)
        fsync_dir(folder)
        self._results = open(folder / RESULTS_CSV, "a", encoding="utf-8", newline="")
        self._journal = open(folder / JOURNAL, "a", encoding="utf-8", newline="")

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return
        self._lock = open(self.folder / LOCK, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise UsageError(
                Problem(str(self.folder), "", "another channelsim sweep is writing to this folder")
            ) from None

    def _check_same(self, manifest: dict[str, Any]) -> None:
        check_resumable(self.folder, FORMAT, manifest, _SPEC_OPTIONS)

    def _entries(self) -> list[dict[str, Any]]:
        """The journal's complete entries (a torn last line is skipped)."""
        path = self.folder / JOURNAL
        entries: list[dict[str, Any]] = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").split("\n"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("point"), int):
                    entries.append(entry)
        return entries

    def journal(self) -> tuple[set[int], dict[int, list]]:
        """Points done, and the errors of points that failed and are not done (read only)."""
        entries = self._entries()
        done = {e["point"] for e in entries if e.get("status") == "ok"}
        failed = {
            e["point"]: e.get("errors", [])
            for e in entries
            if e.get("status") == "error" and e["point"] not in done
        }
        return done, failed

    def _compact(self, strategies: Sequence[str], done: set[int]) -> None:
        """Keep only complete journal lines and the results rows of done points (atomically)."""
        entries = self._entries()
        atomic_write(
            self.folder / JOURNAL, "".join(json.dumps(e) + "\n" for e in entries), durable=True
        )
        path = self.folder / RESULTS_CSV
        kept: list[list[str]] = []
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            for row in rows[1:]:
                if len(row) == len(RESULT_COLUMNS) and row[0].isdigit() and int(row[0]) in done:
                    kept.append(row)
        atomic_write(
            path, rows_csv([list(RESULT_COLUMNS), *sorted_rows(kept, strategies)]), durable=True
        )

    # -- appending ------------------------------------------------------------------------

    def add_point(self, rows: str, point: int) -> None:
        """Append a finished point: its rows (one write, fsync), then its journal line."""
        self._results.write(rows)
        self._results.flush()
        os.fsync(self._results.fileno())
        self._journal_line({"point": point, "status": "ok"})

    def add_error(self, point: int, errors: list[tuple[str, int, str]]) -> None:
        """Journal a failed point (it has no results rows; ``--resume`` retries it)."""
        self._journal_line({"point": point, "status": "error", "errors": [list(e) for e in errors]})

    def _journal_line(self, entry: dict[str, Any]) -> None:
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    # -- closing --------------------------------------------------------------------------

    def mark_interrupted(self, points_done: int) -> None:
        """Say ``interrupted`` in the manifest (Ctrl-C, a lost worker): ``--resume`` finishes.

        Best effort: a failure to write it must not hide the interrupt itself.
        """
        if not self._opened or self._manifest is None:
            return
        doc = {**self._manifest, "status": "interrupted", "points_done": points_done}
        with contextlib.suppress(OSError):
            write_manifest(self.folder, self.kind, doc, durable=True)

    def results_text(self, strategies: Sequence[str]) -> str:
        """results.csv rewritten sorted (atomically); returns its text."""
        path = self.folder / RESULTS_CSV
        self._results.close()
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        text = rows_csv([list(RESULT_COLUMNS), *sorted_rows(rows[1:], strategies)])
        atomic_write(path, text, durable=True)
        return text

    def finish_journal(self, done: set[int], failed: dict[int, list]) -> None:
        """The journal rewritten: one line per finished point, by point."""
        self._journal.close()
        lines = []
        for point in sorted(done | set(failed)):
            if point in done:
                lines.append({"point": point, "status": "ok"})
            else:
                lines.append({"point": point, "status": "error", "errors": failed[point]})
        atomic_write(
            self.folder / JOURNAL, "".join(json.dumps(e) + "\n" for e in lines), durable=True
        )

    def close(self) -> None:
        """Close the files and release the lock."""
        for fh in (self._results, self._journal):
            if fh is not None and not fh.closed:
                fh.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
            with contextlib.suppress(OSError):
                (self.folder / LOCK).unlink()
        if self._created and not self._opened:
            # stopped before writing anything (e.g. no cluster): leave no empty folder behind
            with contextlib.suppress(OSError):
                self.folder.rmdir()
