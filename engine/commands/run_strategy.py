"""`run_backtest.py STRATEGY`: one strategy against its benchmarks, with a report."""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence

from engine.commands.common import add_config_options, start_up
from engine.config import load_config
from engine.paths import PROJECT_ROOT, resolve
from engine.strategy import Strategy


def add_arguments(parser: argparse.ArgumentParser, strategy: Strategy) -> None:
    add_config_options(parser)
    parser.add_argument("--no-report", action="store_true", help="print the stats, write nothing")


def run(strategy: Strategy, args: argparse.Namespace, argv: Sequence[str]) -> int:
    from engine.data.findings import terminal_lines
    from engine.pipeline import run_strategy  # heavy imports only when a run is asked for
    from engine.report import render_terminal_summary, write_report

    started = time.perf_counter()
    cfg = load_config(strategy, args.config, args.overrides)
    start_up(cfg.data, None if args.no_report else resolve(cfg.report.output_dir))
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    inp = run_strategy(strategy, cfg, PROJECT_ROOT, command)
    for line in terminal_lines(inp.data):
        print(line)
    print(render_terminal_summary(inp))
    for note in inp.notes:
        print(f"note: {note}")
    if not args.no_report:
        folder = write_report(inp, resolve(cfg.report.output_dir))
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def describe(strategies: Mapping[str, Strategy]) -> str:
    return "\n".join(f"  {n:<18} {s.description}" for n, s in sorted(strategies.items()))
