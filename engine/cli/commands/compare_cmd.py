"""`run_backtest.py compare A B ...`: several strategies on their common period, one report."""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence

from engine.cli.commands.common import add_defaults_option, add_repeatable
from engine.decisions.strategy import Strategy

NAME = "compare"
HELP = "run several strategies on their common period and compare them in one report"
EPILOG = """\
Each STRATEGY runs with its default config. Give NAME@LABEL to run one strategy a second
time under another config; LABEL.KEY=VALUE overrides and LABEL=FILE configs go to that label.

examples:
  python run_backtest.py compare first10days rsi_trim --set rsi_trim.backtest.fees_bps=3
  python run_backtest.py compare first10days first10days@n15 --set first10days@n15.lead_days=15
"""


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.description = (
        "Run the strategies on the period they all share (the intersection of their own\n"
        "periods) with the benchmarks of the first one, and write one comparison report."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "specs",
        nargs="+",
        metavar="STRATEGY[@LABEL]",
        help=f"strategies to compare ({', '.join(sorted(strategies)) or 'none registered'})",
    )
    add_repeatable(
        parser,
        "--config",
        "LABEL=FILE",
        "TOML file replacing that strategy's default config, repeatable",
        dest="configs",
    )
    add_repeatable(
        parser,
        "--set",
        "LABEL.KEY=VALUE",
        "override one config value of one strategy (e.g. first10days.lead_days=15)",
        dest="overrides",
    )
    add_defaults_option(parser)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop on any data warning of any strategy (data.strict = true for each)",
    )
    parser.add_argument("--no-report", action="store_true", help="print the stats, write nothing")


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    # Heavy imports (vectorbt, matplotlib) only when a comparison is asked for.
    from engine.api import compare
    from engine.data.findings import terminal_lines
    from engine.report.compare.report import render_compare_summary

    started = getattr(args, "started", None) or time.perf_counter()  # the whole command
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    result = compare(
        args.specs,
        catalog=strategies,
        configs=args.configs,
        overrides=args.overrides,
        defaults=args.defaults,
        data={"strict": True} if args.strict else None,
        command=command,
    )
    inp = result.input
    for line in terminal_lines(inp.data):
        print(line)
    print(render_compare_summary(inp))
    for note in inp.notes:
        print(f"note: {note}")
    if not args.no_report:
        folder = result.report()
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
