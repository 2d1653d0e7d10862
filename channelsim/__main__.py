"""``python -m channelsim``: the same as the ``channelsim`` command."""

from channelsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
