"""The command line (``channelsim``): see :mod:`.app` for the verbs and exit codes."""

from channelsim.cli.app import app, entry, main

__all__ = ["app", "entry", "main"]
