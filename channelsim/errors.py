"""Problems found in user input, and the exceptions that carry them.

A user mistake (a missing file, bad TOML, an out-of-range value, a bad flag) is reported as a list
of :class:`Problem`, one readable line each, never as a traceback. The CLI prints ``str(error)``
and exits with status 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters (NUL, tab, newline, the ESC of ANSI sequences, DEL) and the
bidirectional controls that make text display in another order than it reads: never printed
as they are, and refused in names."""


def printable(text: str) -> str:
    r"""``text`` with every control character written as its escape (``\x1b``, ``\n``)."""
    return CONTROL_CHARACTERS.sub(lambda m: ascii(m.group())[1:-1], text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input.

    Attributes:
        file: the file the problem is in, or None when it is not tied to a file.
        path: the dotted key path as the user wrote it (``direct.win_rate``,
            ``partners.VARs.commission_rate``), or "" when the problem is not about one key.
        message: what is wrong, in plain words.
    """

    file: str | None
    path: str
    message: str

    def __str__(self) -> str:
        parts = ["error"]
        if self.file is not None:
            parts.append(self.file)
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return printable(": ".join(parts))

    def in_file(self, file: str | None) -> Problem:
        """The same problem attributed to ``file`` (kept as is if it already names a file)."""
        return self if self.file is not None else replace(self, file=file)


PROBLEMS_SHOWN = 20
"""Most problems printed for one command (a screenful); the rest are counted."""


class ScenarioError(Exception):
    """Bad user input: a scenario file, a TOML syntax error, a value out of range.

    Args:
        problems: the problems found; a single Problem or a plain message is accepted too.
        omitted: more problems found but not listed (a file with millions of unknown keys
            lists a screenful and counts the rest, so neither memory nor the terminal fill up).
    """

    def __init__(self, problems: Problem | str | Iterable[Problem], omitted: int = 0) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.omitted = omitted
        super().__init__(str(self))

    def lines(self, limit: int = PROBLEMS_SHOWN) -> list[str]:
        """At most ``limit`` problems, one line each, then a line counting the rest."""
        lines = [str(p) for p in self.problems[:limit]]
        rest = len(self.problems) - len(lines) + self.omitted
        if rest:
            lines.append(f"error: ... and {rest:,} more problems (the first {len(lines)} shown)")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def in_file(self, file: str | None) -> ScenarioError:
        """A copy of this error (same class) whose problems without a file name ``file``."""
        return type(self)([p.in_file(file) for p in self.problems], self.omitted)


class UsageError(ScenarioError):
    """Bad command-line flags (an unknown strategy, a malformed ``--param``, ...)."""
