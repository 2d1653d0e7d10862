"""``python -m channelsim``: the same as the ``channelsim`` command."""

from channelsim.cli import entry

if __name__ == "__main__":
    entry()
