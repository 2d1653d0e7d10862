"""The ``channelsim`` command line: the typer app, its verbs, and the entry point.

Exit codes follow DESIGN section 4: 0 success, 2 bad input (file, TOML, schema, flags; one
``error: ...`` line per problem on stderr, at most a screenful, never a traceback), 1 an
unexpected failure (one line; ``CHANNELSIM_DEBUG=1`` shows the traceback), 130 interrupted.

**Ctrl-C.** The first SIGINT raises KeyboardInterrupt in the main process, which stops its
worker processes at once (they ignore SIGINT themselves, see
:mod:`channelsim.experiments.executors`), closes its files and exits with 130. A second SIGINT
while it does so cannot cut that short into orphans: it kills the worker processes that are
left and exits with 130 at once.

The verbs live in :mod:`.run_verbs` (the analyst's), :mod:`.plan_verbs` (the planners'),
:mod:`.decide_verbs` (``optimize`` and ``voi``), :mod:`.calibrate_verb` (a CRM export in, a
calibrated scenario out) and :mod:`.metrics_verb` (the metric catalogue); this module registers
them. Heavy modules are imported inside
the verbs, so ``--help``, ``--version`` and input errors answer quickly.
"""

from __future__ import annotations

import atexit
import gc
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from channelsim import __version__
from channelsim.cli import calibrate_verb, decide_verbs, metrics_verb, plan_verbs, run_verbs
from channelsim.cli.common import (
    DEBUG_ENV,
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
)
from channelsim.errors import ScenarioError

__all__ = ["app", "main"]

_BRACED = re.compile(r"\{([^{}]+)\}")


class _PlainHelp:
    """Help without the type artefacts of recent typer versions.

    Newer typer shows ``<bool>`` in the type column of every flag (``--quiet <bool>``) and
    braces around required arguments in the usage line (``run [OPTIONS] {SCENARIO}``): noise
    to a newcomer, who reads ``<bool>`` as "this flag takes a value". A flag gets an empty
    metavar (nothing in the type column), and the usage line loses the braces.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [_BRACED.sub(r"\1", piece) for piece in pieces]


class _Command(_PlainHelp, TyperCommand):
    """A verb, with plain help (see :class:`_PlainHelp`)."""


class _Group(_PlainHelp, TyperGroup):
    """The ``channelsim`` group, with plain help (see :class:`_PlainHelp`)."""


app = typer.Typer(
    name="channelsim",
    cls=_Group,
    help="Direct, indirect or hybrid sales? Simulate a sales-channel strategy and read its "
    "margins, costs and scaling speed, with confidence intervals.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"channelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the channelsim version and exit.",
        ),
    ] = False,
) -> None:
    """Direct, indirect or hybrid sales? A discrete-event simulator of sales channels."""


for _verb in (
    run_verbs.run,
    run_verbs.compare,
    run_verbs.report,
    run_verbs.validate,
    run_verbs.schema,
    metrics_verb.metrics,
    plan_verbs.sweep,
    plan_verbs.breakeven,
    plan_verbs.sensitivity,
    decide_verbs.optimize,
    decide_verbs.voi,
    calibrate_verb.calibrate,
):
    app.command(cls=_Command)(_verb)


def _is_click_error(exc: BaseException) -> bool:
    """A usage error raised by typer's argument parser (vendored click or click itself)."""
    return callable(getattr(exc, "format_message", None)) and isinstance(
        getattr(exc, "exit_code", None), int
    )


def _usage_line(exc: Any) -> str:
    message = " ".join(str(exc.format_message()).split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return f"error: {message}"


_interrupts = {"signalled": False}


def _on_interrupt(_signum: int, _frame: object) -> None:
    """The first Ctrl-C: unwind (workers stopped, files closed); a second one ends it now."""
    _interrupts["signalled"] = True
    signal.signal(signal.SIGINT, _on_second_interrupt)
    raise KeyboardInterrupt


def _on_second_interrupt(_signum: int, _frame: object) -> None:
    import multiprocessing  # here: --help need not import it

    for child in multiprocessing.active_children():
        child.kill()
    print("error: interrupted", file=sys.stderr, flush=True)
    os._exit(EXIT_INTERRUPTED)


def entry() -> None:
    """The ``channelsim`` program: :func:`main`, then exit with its code.

    Before the interpreter exits, the objects still alive (pandas, numpy, pydantic and the
    rest: about a million) are frozen out of the garbage collector. Its last passes over them
    took 0.3 s of every command; they are freed as they would be anyway.
    """
    code = main()
    gc.freeze()
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (0 ok, 1 unexpected failure, 2 bad input).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["--help"]
    # channelsim has no pydantic plugin; looking for plugins in every installed package's
    # entry points took 0.1 s of each command (a user's own setting is kept)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    watch = threading.current_thread() is threading.main_thread()
    _interrupts["signalled"] = False
    previous = signal.signal(signal.SIGINT, _on_interrupt) if watch else None
    try:
        return _run(args)
    finally:
        if watch and previous is not None and not _interrupts["signalled"]:
            signal.signal(signal.SIGINT, previous)
        elif _interrupts["signalled"]:
            # A second Ctrl-C while the interpreter exits: still handled (above) while exit
            # joins the pools' threads; then ignored, since the interpreter's finalization
            # puts back the default action, which would kill the process with SIGINT
            # instead of letting it exit with 130.
            atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)


def _run(args: list[str]) -> int:
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="channelsim", standalone_mode=False)
    except ScenarioError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, typer.Abort):
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _is_click_error(exc):
            print(_usage_line(exc), file=sys.stderr)
            return int(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()
        message = " ".join(str(exc).split())
        print(
            f"error: unexpected failure: {type(exc).__name__}: {message} "
            f"(set {DEBUG_ENV}=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if rv == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
        print("error: interrupted", file=sys.stderr)
    return rv if isinstance(rv, int) else EXIT_OK
