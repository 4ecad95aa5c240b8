"""`run_backtest.py STRATEGY`: one strategy against its benchmarks, with a report."""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence

from engine.commands.common import add_config_options
from engine.strategy import Strategy


def add_arguments(parser: argparse.ArgumentParser, strategy: Strategy) -> None:
    add_config_options(parser)
    parser.add_argument("--no-report", action="store_true", help="print the stats, write nothing")


def run(strategy: Strategy, args: argparse.Namespace, argv: Sequence[str]) -> int:
    from engine.api import run as api_run  # heavy imports only when a run is asked for
    from engine.data.findings import terminal_lines
    from engine.report.run.terminal import render_terminal_summary
    from engine.verdict_words import render_verdicts

    started = time.perf_counter()
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    result = api_run(
        strategy,
        config=args.config,
        defaults=args.defaults,
        overrides=args.overrides,
        command=command,
    )
    inp = result.input
    for line in terminal_lines(inp.data):
        print(line)
    print(render_terminal_summary(inp))
    print(render_verdicts(inp))
    for note in inp.notes:
        print(f"note: {note}")
    if not args.no_report:
        folder = result.report()
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def describe(strategies: Mapping[str, Strategy]) -> str:
    return "\n".join(f"  {n:<18} {s.description}" for n, s in sorted(strategies.items()))
