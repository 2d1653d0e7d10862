"""The crash-safe folder of an adaptive planner: manifest, resolved scenario, a journal.

A sweep knows its points before it starts (:mod:`.store`); an optimiser chooses each batch of
points from the results of the last one. Its folder therefore keeps one journal,
``evaluations.jsonl``: one JSON line per finished evaluation (the parameter values and every
replication's value of the metrics the planner reads, with full float precision), written in
one call, flushed and fsynced as the evaluation finishes. A line is the record of an
evaluation only when it is whole (a torn last line, from a crash mid-write, is dropped on
resume).

``--resume`` checks that the scenario (its sha256) and the planner's spec are unchanged, then
replays the planner from the start: the optimiser is deterministic, so it asks for the same
points in the same order, the journal answers those it holds and only the others are
simulated. At the end the journal is rewritten in evaluation order, so an interrupted and
resumed run ends with the same bytes as an uninterrupted one. A lock file keeps two runs from
writing one folder.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from channelsim import __version__
from channelsim.errors import Problem, UsageError
from channelsim.outputs.files import (
    EVALUATIONS_JOURNAL,
    MANIFEST_JSON,
    RESOLVED_SCENARIO,
    atomic_write,
    fsync_dir,
    read_manifest,
    write_manifest,
)
from channelsim.scenario import Scenario

__all__ = ["EvaluationJournal", "decode_numbers", "encode_numbers"]

_LOCK = ".lock"


def encode_numbers(values: Iterable[float]) -> list[float | None]:
    """Floats for a JSON line: NaN (an undefined metric) as null, everything else exact."""
    return [None if not math.isfinite(v) else float(v) for v in values]


def decode_numbers(values: Iterable[float | None]) -> list[float]:
    """The inverse of :func:`encode_numbers`."""
    return [math.nan if v is None else float(v) for v in values]


class EvaluationJournal:
    """The live folder of an adaptive planner.

    Args:
        folder: the folder.
        fmt: the folder's format, recorded in the manifest and checked on resume.
        what: the planner in words, for messages (``"optimisation"``).
        options: spec field -> the option that sets it, for the resume message.
    """

    def __init__(
        self,
        folder: Path,
        fmt: str,
        what: str,
        options: Mapping[str, str],
        kind: str = "optimize",
    ) -> None:
        self.folder = Path(folder)
        self.kind = kind  # the folder kind of its manifest (channelsim.outputs.files)
        self.fmt, self.what, self.options = fmt, what, dict(options)
        self._journal: Any = None
        self._lock: Any = None

    # -- opening ------------------------------------------------------------------------------

    def prepare(self, manifest: dict[str, Any], resume: bool) -> None:
        """Check the folder (on resume: that nothing changed), create it, take the lock."""
        folder = self.folder
        if resume:
            if not (folder / MANIFEST_JSON).is_file():
                reason = "no folder to resume" if not folder.is_dir() else "not a resumable folder"
                raise UsageError(Problem(str(folder), "--resume", f"{reason} (no {MANIFEST_JSON})"))
            self._take_lock()
            self._check_same(manifest)
            return
        if folder.exists() and not folder.is_dir():
            raise UsageError(Problem(str(folder), "", "exists and is not a folder"))
        if folder.is_dir() and any(p.name != _LOCK for p in folder.iterdir()):
            found = read_manifest(folder)
            if found is not None and found["kind"] != self.kind:
                raise UsageError(
                    Problem(
                        str(folder),
                        "",
                        f"holds the output of channelsim {found['kind']}, not an {self.what}: "
                        "choose another --out",
                    )
                )
            if found is not None:
                raise UsageError(
                    Problem(
                        str(folder),
                        "",
                        f"already holds an {self.what}: add --resume to complete it, or choose "
                        "another --out",
                    )
                )
            raise UsageError(
                Problem(
                    str(folder),
                    "",
                    f"is not empty and is not an {self.what} folder: choose another --out",
                )
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                Problem(str(folder), "", f"cannot create: {exc.strerror or exc}")
            ) from None
        self._take_lock()

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return
        self._lock = open(self.folder / _LOCK, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise UsageError(
                Problem(str(self.folder), "", f"another channelsim {self.what} is writing here")
            ) from None

    def _check_same(self, manifest: dict[str, Any]) -> None:
        check_resumable(self.folder, self.fmt, manifest, self.options)

    def open(self, manifest: dict[str, Any], scenario: Scenario) -> list[dict[str, Any]]:
        """Write the manifest (a new run) and the scenario; return the journal's whole entries.

        The journal is rewritten without a torn last line, then opened for appending.
        """
        folder = self.folder
        if not (folder / MANIFEST_JSON).is_file():
            live = [RESOLVED_SCENARIO, EVALUATIONS_JOURNAL]
            write_manifest(folder, self.kind, manifest, files=live, durable=True)
        atomic_write(folder / RESOLVED_SCENARIO, scenario.to_toml(), durable=True)
        entries = self._entries()
        atomic_write(folder / EVALUATIONS_JOURNAL, _lines(entries), durable=True)
        fsync_dir(folder)
        self._journal = open(folder / EVALUATIONS_JOURNAL, "a", encoding="utf-8", newline="")
        return entries

    def _entries(self) -> list[dict[str, Any]]:
        path = self.folder / EVALUATIONS_JOURNAL
        entries: list[dict[str, Any]] = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").split("\n"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    entries.append(entry)
        return entries

    # -- writing ------------------------------------------------------------------------------

    def add(self, entry: Mapping[str, Any]) -> None:
        """Append one finished evaluation (one write, flushed and fsynced)."""
        self._journal.write(json.dumps(entry, allow_nan=False) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def finish(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Rewrite the journal with ``entries`` in the given (evaluation) order, atomically."""
        self._journal.close()
        atomic_write(self.folder / EVALUATIONS_JOURNAL, _lines(entries), durable=True)

    def close(self) -> None:
        """Close the journal and release the lock."""
        if self._journal is not None and not self._journal.closed:
            self._journal.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
            with contextlib.suppress(OSError):
                (self.folder / _LOCK).unlink()


def _lines(entries: Iterable[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(e, allow_nan=False) + "\n" for e in entries)


def check_resumable(
    folder: Path, fmt: str, manifest: dict[str, Any], options: dict[str, str]
) -> None:
    """Refuse ``--resume`` into ``folder`` unless it was started by this very command.

    The folder's manifest must be readable, of format ``fmt``, written by this channelsim
    version, for the same resolved scenario (sha256) and the same ``spec``; ``options`` names
    the command-line option of each spec key for the message.

    Raises:
        UsageError: what differs, and how to go on.
    """
    where = str(folder)

    def refuse(message: str) -> UsageError:
        return UsageError(Problem(where, "--resume", message))

    try:
        old = json.loads((folder / MANIFEST_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise refuse(f"unreadable {MANIFEST_JSON}: {exc}") from None
    if old.get("format") != fmt:
        raise refuse(f"not a {fmt} folder (format {old.get('format')})")
    if old.get("channelsim_version") != __version__:
        raise refuse(
            f"started by channelsim {old.get('channelsim_version')}, this is {__version__}: "
            "results would mix versions; start again in another folder"
        )
    if old.get("scenario_sha256") != manifest["scenario_sha256"]:
        raise refuse(
            "the scenario changed since the run started (resolved scenario sha256 "
            f"{str(old.get('scenario_sha256'))[:12]}..., now {manifest['scenario_sha256'][:12]}"
            "...): resume with the same scenario file and --set, --seed, --reps options, or "
            "start again in another folder"
        )
    old_spec, new_spec = old.get("spec", {}), manifest["spec"]
    changed = [k for k in new_spec if old_spec.get(k) != new_spec[k]]
    if changed:
        what = ", ".join(options.get(k, k) for k in changed)
        raise refuse(
            f"the command changed since the run started ({what}): resume with the same "
            "command, or start again in another folder"
        )
