"""Files and folders channelsim writes: their names, atomic writes, and folder replacement.

**One atomic write.** :func:`atomic_write` (text or bytes) and :func:`atomic_path` (for writers
that want a path, such as matplotlib) write next to the target under a hidden temporary name
and rename it into place, so a reader never sees half a file; ``durable=True`` also fsyncs the
file (the sweep store, which must survive a crash).

**Folder replacement.** :func:`replace_folder` writes a whole output folder into a hidden
sibling, then swaps it in with renames (:func:`swap_in`), so an interrupted write leaves the
previous complete folder (or the new complete one), never a half-written one.

**Marked folders.** Every output folder gets a ``manifest.json`` naming its kind
(:data:`FOLDER_KINDS`) and the files channelsim wrote. :func:`check_out_dir` lets a
folder be replaced only when it is absent, empty, or exactly such a folder of the same kind, so
a mistyped ``--out`` never deletes a user's files or another command's results. The hidden
temporaries a killed writer leaves behind are deleted by the next write to the same target.

CSV and JSON in the one format of every output are in :mod:`.text`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from channelsim import __version__
from channelsim.errors import Problem, UsageError

__all__ = [
    "BACKTEST_CSV",
    "BREAKEVEN_JSON",
    "CALIBRATION_DIR",
    "CALIBRATION_HTML",
    "DIFFERENCES_CSV",
    "ERRORS_CSV",
    "EVALUATIONS_CSV",
    "EVALUATIONS_JOURNAL",
    "FIT_JSON",
    "FOLDER_KINDS",
    "INITIAL_STATE_JSON",
    "JOURNAL",
    "LOCK",
    "MANIFEST_JSON",
    "MONTHLY_CSV",
    "OPTIMUM_JSON",
    "PLOTS_DIR",
    "POINTS_CSV",
    "RANGES_TOML",
    "REPLICATIONS_CSV",
    "REPORT_HTML",
    "RESOLVED_SCENARIO",
    "RESULTS_CSV",
    "RUN_JSON",
    "SENSITIVITY_CSV",
    "SUMMARY_COLUMNS",
    "RESULTS_XLSX",
    "SWING_CSV",
    "SUMMARY_CSV",
    "SUMMARY_JSON",
    "TRACE_CSV",
    "VOI_CSV",
    "VOI_JSON",
    "atomic_path",
    "atomic_write",
    "check_out_dir",
    "check_out_name",
    "clean_stale_files",
    "clean_stale_siblings",
    "fsync_dir",
    "make_sibling",
    "read_manifest",
    "replace_folder",
    "safe_name",
    "swap_in",
    "write_manifest",
]

RESOLVED_SCENARIO = "scenario.resolved.toml"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
MONTHLY_CSV = "monthly.csv"
REPLICATIONS_CSV = "replications.csv"
SWING_CSV = "swing.csv"
RESULTS_XLSX = "results.xlsx"
RUN_JSON = "run.json"
DIFFERENCES_CSV = "differences.csv"
TRACE_CSV = "trace.csv"
CALIBRATION_DIR = "calibration"
"""The folder ``calibrate`` writes beside the calibrated scenario."""
FIT_JSON = "fit.json"
CALIBRATION_HTML = "calibration.html"
RANGES_TOML = "sensitivity-ranges.toml"
INITIAL_STATE_JSON = "initial_state.json"
BACKTEST_CSV = "backtest.csv"
REPORT_HTML = "report.html"
PLOTS_DIR = "plots"
MANIFEST_JSON = "manifest.json"
POINTS_CSV = "points.csv"
RESULTS_CSV = "results.csv"
ERRORS_CSV = "errors.csv"
JOURNAL = "done.jsonl"
BREAKEVEN_JSON = "breakeven.json"
SENSITIVITY_CSV = "sensitivity.csv"
OPTIMUM_JSON = "optimum.json"
EVALUATIONS_CSV = "evaluations.csv"
EVALUATIONS_JOURNAL = "evaluations.jsonl"
VOI_JSON = "voi.json"
VOI_CSV = "voi.csv"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "strategy",
    "channel",
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
    "median",
)
"""Columns of ``summary.csv``: the interval of each metric is the one its catalogue entry calls
for (:mod:`channelsim.analysis.intervals`); ``median`` counts "never" as later than the horizon
for censored times."""


# --- atomic writes ----------------------------------------------------------------------------


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def atomic_path(path: Path, *, durable: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path`` through: renamed into place when the block succeeds.

    Args:
        path: the file to write (its folder is created if needed).
        durable: fsync the file before the rename.

    Yields:
        The temporary path (a hidden sibling of ``path``); it is removed if the block fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(path: Path, data: str | bytes, *, durable: bool = False) -> Path:
    """Write text (UTF-8, newline line ends) or bytes to ``path`` atomically.

    Args:
        path: the file.
        data: its contents.
        durable: fsync the file before the rename (for files that must survive a crash).

    Returns:
        ``path``.
    """
    with atomic_path(path, durable=durable) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
    return Path(path)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new names, renames) durable, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- folders ----------------------------------------------------------------------------------

FOLDER_KINDS = ("run", "compare", "sweep", "breakeven", "sensitivity", "calibration",
                "optimize", "voi")  # fmt: skip
"""The kinds of output folder, one per writing verb, named in each folder's ``manifest.json``."""

LOCK = ".lock"
"""The lock file of a live sweep folder (not one of its results)."""

_SHOWN = 5  # foreign files named in a refusal
_NAME_MAX = 255  # where the file system does not say
_LONG_NAME = 150  # bytes of a name beyond which its hidden siblings use a shortened stem


def _name_max(path: Path) -> int:
    """The longest file name (bytes) the file system holding ``path`` (or its parent) takes."""
    for folder in path.parents:
        if os.path.isdir(folder):  # (os.path: False, not an error, for a name too long)
            try:
                return int(os.pathconf(folder, "PC_NAME_MAX"))
            except (OSError, ValueError, AttributeError):
                return _NAME_MAX
    return _NAME_MAX


def check_out_name(out_dir: Path) -> None:
    """Refuse an output path the file system cannot hold, before any work starts.

    Args:
        out_dir: the intended output folder.

    Raises:
        UsageError: a part of the path is longer than the file system allows.
    """
    target = Path(os.path.abspath(out_dir))
    limit = _name_max(target)
    for part in target.parts[1:]:
        size = len(os.fsencode(part))
        if size > limit:
            shown = part if len(part) <= 40 else part[:20] + "..." + part[-10:]
            raise UsageError(
                Problem(
                    str(out_dir),
                    "",
                    f"the name {shown!r} is too long for the file system ({size} bytes, at most "
                    f"{limit}): choose a shorter output folder",
                )
            )


def _sibling_stem(name: str) -> str:
    """The part of a target's name its hidden siblings carry (shortened for long names)."""
    raw = os.fsencode(name)
    if len(raw) <= _LONG_NAME:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:10]
    return os.fsdecode(raw[:_LONG_NAME]).rstrip("\udcff") + "~" + digest


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a temporary it owns is in use)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive, not ours to judge
        return True
    return True


def clean_stale_siblings(target: Path) -> list[Path]:
    """Delete the hidden siblings a killed writer left next to ``target``.

    A writer that was killed leaves ``.NAME.tmp-PID-*`` (a half-written folder) and, in rare
    windows of the swap, ``.NAME.new-PID-*`` or ``.NAME.old-PID-*`` (complete folders). Those of
    a process that no longer exists are deleted; a ``new`` or ``old`` folder only while
    ``target`` itself exists, since otherwise it may be the only complete copy.

    Returns:
        The paths deleted.
    """
    pattern = re.compile(
        rf"\.{re.escape(_sibling_stem(target.name))}\.(tmp|new|old)-(\d+)-[0-9a-f]{{8}}"
    )
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or _pid_alive(int(found.group(2))):
            continue
        if found.group(1) != "tmp" and not target.is_dir():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry)
    return removed


_TEMPORARY_FILE = re.compile(r"\..+\.tmp-(\d+)")


def clean_stale_files(folder: Path) -> list[Path]:
    """Delete the ``.NAME.tmp-PID`` files of :func:`atomic_path` that a dead process left.

    A process killed mid-write, or one whose write failed on a full disk and was then killed,
    leaves them in ``folder``.

    Returns:
        The paths deleted.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _TEMPORARY_FILE.fullmatch(entry.name)
        if found is None or not entry.is_file() or _pid_alive(int(found.group(1))):
            continue
        with contextlib.suppress(OSError):
            entry.unlink()
        removed.append(entry)
    return removed


def _listing(folder: Path) -> list[str]:
    """Every file below ``folder`` as a relative POSIX path, and ``DIR/`` for an empty folder."""
    out: list[str] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root).relative_to(folder)
        for name in names:
            out.append((here / name).as_posix())
        for name in dirs:
            path = Path(root) / name
            if path.is_symlink() or not any(path.iterdir()):
                out.append((here / name).as_posix() + "/")
    return sorted(out)


def _own(name: str) -> bool:
    """What channelsim keeps in a folder besides its results: the lock, atomic temporaries."""
    return name == LOCK or _TEMPORARY_FILE.fullmatch(Path(name).name) is not None


def write_manifest(
    folder: Path,
    kind: str,
    extra: dict[str, Any] | None = None,
    files: Sequence[str] | None = None,
    *,
    durable: bool = False,
) -> dict[str, Any]:
    """Write ``manifest.json``: the kind of folder and the files channelsim wrote in it.

    Args:
        folder: the folder.
        kind: one of :data:`FOLDER_KINDS`.
        extra: more fields, first in the file (a sweep's spec and status).
        files: the files to list (default: every file in the folder, but the lock and
            temporaries).
        durable: fsync it (a live sweep).

    Returns:
        The manifest written.
    """
    if kind not in FOLDER_KINDS:
        raise ValueError(f"unknown folder kind {kind!r}")
    if files is None:
        files = [p for p in _listing(folder) if p != MANIFEST_JSON and not _own(p)]
    doc = {**(extra or {}), "kind": kind}
    doc.setdefault("channelsim_version", __version__)
    doc["files"] = sorted(files)
    atomic_write(folder / MANIFEST_JSON, json.dumps(doc, indent=2) + "\n", durable=durable)
    return doc


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """A folder's manifest (None when it has none).

    Raises:
        UsageError: ``manifest.json`` exists but is not a channelsim manifest (unreadable,
            edited, truncated): the file and the problem are named.
    """
    path = Path(folder) / MANIFEST_JSON
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(
            Problem(str(path), "", f"unreadable ({_reason(exc)}): not a channelsim manifest")
        ) from None
    if not isinstance(doc, dict):
        raise UsageError(Problem(str(path), "", "not a channelsim manifest (not a JSON object)"))
    if "kind" not in doc and str(doc.get("format", "")).startswith("channelsim-sweep/"):
        doc["kind"] = "sweep"  # a sweep folder of the first version
    files = doc.get("files", [])
    if doc.get("kind") not in FOLDER_KINDS or not (
        isinstance(files, list) and all(isinstance(f, str) for f in files)
    ):
        raise UsageError(
            Problem(
                str(path),
                "",
                "not a channelsim manifest (it needs a kind, one of "
                f"{', '.join(FOLDER_KINDS)}, and the list of files)",
            )
        )
    return doc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return " ".join(str(exc).split()) or type(exc).__name__


def check_out_dir(out_dir: Path, kind: str) -> None:
    """Refuse an output path that :func:`replace_folder` must not replace.

    A folder is replaced only when it is absent, empty, or unambiguously a channelsim output
    folder of the same kind: its ``manifest.json`` names ``kind`` and lists every file in it.

    Args:
        out_dir: the intended output folder.
        kind: the kind of folder about to be written (:data:`FOLDER_KINDS`).

    Raises:
        UsageError: the path is too long, is a file, or a folder that is not empty and is not
            a channelsim output folder of this kind, or holds files channelsim did not write.
    """
    check_out_name(out_dir)
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(Problem(str(out_dir), "", "exists and is not a folder"))
    present = [p for p in _listing(out_dir) if not _own(p)]
    if not present:
        return
    doc = read_manifest(out_dir)
    if doc is None:
        raise UsageError(
            Problem(
                str(out_dir),
                "",
                f"is not empty and is not a channelsim output folder (no {MANIFEST_JSON}); "
                "refusing to replace it: choose another output folder",
            )
        )
    if doc["kind"] != kind:
        raise UsageError(
            Problem(
                str(out_dir),
                "",
                f"holds the output of channelsim {doc['kind']} ({MANIFEST_JSON}: kind "
                f"{doc['kind']!r}); refusing to replace it with a {kind} folder: choose another "
                "output folder",
            )
        )
    listed = set(doc["files"]) | {MANIFEST_JSON}
    parents = {parent.as_posix() + "/" for f in listed for parent in Path(f).parents}
    foreign = [p for p in present if p not in listed and p not in parents]
    if foreign:
        more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        raise UsageError(
            Problem(
                str(out_dir),
                "",
                f"holds files channelsim did not write ({', '.join(foreign[:_SHOWN])}{more}); "
                "refusing to replace it: move them or choose another output folder",
            )
        )


def make_sibling(target: Path, kind: str, *, create: bool) -> Path:
    """A hidden, unique path next to ``target`` (created as a folder when ``create``)."""
    parent = target.parent
    stem = _sibling_stem(target.name)
    sibling = parent / f".{stem}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    if create:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            sibling.mkdir()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UsageError(
                Problem(str(target), "", f"cannot create the output folder: {reason}")
            ) from exc
    return sibling


@contextlib.contextmanager
def replace_folder(
    out_dir: str | Path,
    kind: str,
    *,
    check: bool = True,
    manifest: dict[str, Any] | None = None,
) -> Iterator[Path]:
    """Write a whole folder aside, then swap it in for ``out_dir`` in one step.

    The hidden siblings a killed writer left next to ``out_dir`` are deleted first; the new
    folder gets its ``manifest.json`` (the kind and every file written) just before the swap.

    Args:
        out_dir: the folder to (re)write: absent, empty or a previous output folder of ``kind``.
        kind: the kind of folder (:data:`FOLDER_KINDS`).
        check: refuse any other folder first (:func:`check_out_dir`).
        manifest: more fields for the manifest.

    Yields:
        The hidden folder to write into; it replaces ``out_dir`` when the block succeeds and
        is deleted when it fails.
    """
    target = Path(os.path.realpath(out_dir))
    if check:
        check_out_dir(target, kind)
    clean_stale_siblings(target)
    tmp = make_sibling(target, "tmp", create=True)
    try:
        yield tmp
        write_manifest(tmp, kind, manifest)
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns:
        True if the folders were swapped; False when the system cannot (another OS, an old
        kernel or C library, a file system without support): the caller falls back to renames.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def swap_in(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` at ``target``, replacing what was there.

    ``new`` is first renamed to a hidden ``.NAME.new-*`` sibling (a name that always means "a
    complete folder"), then exchanged with ``target`` in one atomic step where the system allows
    it (Linux), so a crash at any moment leaves ``target`` whole: old or new. Elsewhere the old
    folder is renamed aside, ``new`` renamed in and the old one deleted; if the second rename
    fails the old folder is put back, and only a crash between the two renames leaves ``target``
    missing, with both complete folders next to it as hidden siblings.
    """
    if not target.exists():
        os.rename(new, target)
        return
    ready = make_sibling(target, "new", create=False)
    os.rename(new, ready)
    try:
        swapped = _exchange(ready, target)
    except BaseException:
        shutil.rmtree(ready, ignore_errors=True)
        raise
    if swapped:
        shutil.rmtree(ready, ignore_errors=True)  # it now holds the old folder
        return
    old = make_sibling(target, "old", create=False)
    os.rename(target, old)
    try:
        os.rename(ready, target)
    except BaseException:
        os.rename(old, target)
        shutil.rmtree(ready, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def safe_name(text: str) -> str:
    """A file-name-safe version of a strategy or metric name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"
