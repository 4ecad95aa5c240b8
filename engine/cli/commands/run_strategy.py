"""`run_backtest.py STRATEGY`: one strategy against its benchmarks, with a report.

The terminal gets at most `MAX_LINES` lines by default: the statistics table, the warm-up in
cash if any, then as many verdicts (the main benchmark's first) and notes as fit, and a line
saying how many more `--verbose` (or the report) shows.
"""

from __future__ import annotations

import argparse
import shlex
import textwrap
import time
from collections.abc import Mapping, Sequence

from engine.cli.commands.common import add_config_options
from engine.decisions.strategy import Strategy

MAX_LINES = 25  # a run's default terminal output, "done in" included
WIDTH = 100


def add_arguments(parser: argparse.ArgumentParser, strategy: Strategy) -> None:
    add_config_options(parser)
    parser.add_argument("--no-report", action="store_true", help="print the stats, write nothing")
    parser.add_argument(
        "--verbose", action="store_true", help="print every verdict and note (default: 25 lines)"
    )


def _wrapped(text: str, bullet: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=bullet, subsequent_indent="  ") or [bullet]


def terminal_lines(
    head: list[str], firsts: list[list[str]], rest: list[list[str]], tail: int, verbose: bool
) -> list[str]:
    """`head` always; then the blocks of `firsts` and `rest` in order, each whole, while they fit
    in MAX_LINES with `tail` closing lines and the "more" line; everything when `verbose`."""
    blocks = firsts + rest
    if verbose:
        return head + [line for block in blocks for line in block]
    lines = list(head)
    for i, block in enumerate(blocks):
        left = len(blocks) - i - 1
        room = MAX_LINES - tail - len(lines) - (1 if left else 0)
        if len(block) > room:
            hidden = sum(len(b) for b in blocks[i:])
            lines.append(
                f"({hidden} more line(s): the other verdicts and notes; --verbose prints them, "
                "the report has them)"
            )
            break
        lines.extend(block)
    return lines


def run(strategy: Strategy, args: argparse.Namespace, argv: Sequence[str]) -> int:
    from engine.api.run_strategy import run as api_run  # heavy imports only when a run is asked for
    from engine.data.findings import terminal_lines as data_lines
    from engine.report.run.terminal import render_terminal_summary

    started = getattr(args, "started", None) or time.perf_counter()
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    result = api_run(
        strategy,
        config=args.config,
        defaults=args.defaults,
        overrides=args.overrides,
        command=command,
    )
    inp = result.input
    head = data_lines(inp.data) + render_terminal_summary(inp).splitlines()
    warm = [n for n in inp.notes if inp.warmup_sessions and n.startswith(inp.title + " held cash")]
    firsts = [_wrapped(f"note: {n}", "") for n in warm]
    firsts += [_wrapped(line, "- ") for line in inp.verdict_lines]
    rest = [_wrapped(f"note: {n}", "") for n in inp.notes if n not in warm]
    tail = 1 if args.no_report else 2
    for line in terminal_lines(head, firsts, rest, tail, args.verbose):
        print(line)
    if not args.no_report:
        folder = result.report()
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def describe(strategies: Mapping[str, Strategy]) -> str:
    return "\n".join(f"  {n:<18} {s.description}" for n, s in sorted(strategies.items()))
