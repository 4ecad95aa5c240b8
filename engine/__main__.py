"""`python -m engine ...` (and the `rotation-lab` command of an installed copy): the same
command line as `python run_backtest.py ...` in a checkout."""

from __future__ import annotations

import sys

__all__ = ["run"]


def run() -> int:
    try:
        from engine.cli import main
        from engine.plugins import library
    except KeyboardInterrupt:  # Ctrl-C while the engine is still being imported
        print("interrupted: stopped before the end; nothing was written", file=sys.stderr)
        return 1
    return main(library())


if __name__ == "__main__":
    sys.exit(run())
