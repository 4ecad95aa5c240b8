"""What the data layer tells the person at the terminal, one line each.

Warning-level findings (a corrupt cache file set aside and re-fetched, a stale cache used, a
cache not writable, bad rows, partial downloads) change what a run means, so they are printed
by every command, with `--no-report` too, not only listed in the report's data section.
Notices (waiting for another process's lock) are printed the moment they happen, on stderr,
so a wait is never silent.
"""

from __future__ import annotations

import sys

from engine.data.model import DataIssue, MarketData

__all__ = ["MAX_LINE", "MAX_LINES", "notify", "terminal_lines"]

MAX_LINE = 600  # characters of one finding on the terminal (the report has the full text)
MAX_LINES = 20  # findings printed; the rest are counted


def _line(issue: DataIssue) -> str:
    text = " ".join(issue.message.split())  # one line, whatever the message holds
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE - 3] + "..."
    return f"data {issue.severity}: {text}"


def terminal_lines(data: MarketData) -> list[str]:
    """One line per finding of warning level or above, in load order, at most MAX_LINES."""
    worth = [i for i in data.issues if i.severity != "info"]
    lines = [_line(i) for i in worth[:MAX_LINES]]
    if len(worth) > MAX_LINES:
        lines.append(
            f"data: {len(worth) - MAX_LINES} more finding(s) of warning level; see run.json "
            "or the report's data section"
        )
    return lines


def notify(text: str) -> None:
    """Say something at once on stderr (the run goes on)."""
    print(f"note: {text}", file=sys.stderr, flush=True)
