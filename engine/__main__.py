"""`python -m engine ...` (and the `rotation-lab` command of an installed copy): the same
command line as `python run_backtest.py ...` in a checkout.

The clock of "done in" starts with the process, and before the slow imports the first run of a
version of the code says that numba compiles its kernels once (`engine.numba_cache`).
"""

from __future__ import annotations

import gc
import sys
import time

__all__ = ["command_line_collector", "run"]

# Commands that never run a kernel: no compile notice for them.
_LIGHT = {"list", "data", "-h", "--help"}


def seconds_since_process_start() -> float:
    """How long this process has existed (Linux: from /proc; elsewhere 0, the clock then
    starts here, a few tens of milliseconds late)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        import os

        return max(0.0, now - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def _first_word(argv: list[str]) -> str:
    words = [a for a in argv if not a.startswith("-") or a in ("-h", "--help")]
    return words[0] if words else "--help"


def command_line_collector() -> None:
    """Collect cyclic garbage after every 100,000 new objects instead of 700, for the command
    line's own process.

    The imports (pandas, numba, vectorbt, matplotlib) leave about 380,000 long-lived objects,
    and with CPython's default thresholds a single run makes seven full collections as they
    pile up, each scanning them all: about 0.95 s of a 7.6 s `first10days`, against 0.25 s
    with these thresholds (0.7 s saved). Young garbage is still collected, only less often;
    the Python API leaves the caller's interpreter as it is."""
    gc.set_threshold(100_000, 10, 10)


def run(argv: list[str] | None = None) -> int:
    command_line_collector()
    started = time.perf_counter() - seconds_since_process_start()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from engine import numba_cache

        announce = _first_word(argv) not in _LIGHT
        if announce:
            numba_cache.first_run_notice()
        from engine.cli.main import main
        from engine.decisions.discovery import library

        strategies = library()
    except KeyboardInterrupt:  # Ctrl-C while the engine is still being imported
        print("interrupted: stopped before the end; nothing was written", file=sys.stderr)
        return 1
    code = main(strategies, argv, started=started, announce=announce)
    if code == 0 and announce:
        numba_cache.mark_warm()
    return code


if __name__ == "__main__":
    sys.exit(run())
