"""`run_backtest.py sweep STRATEGY --grid NAME=VALUES ...`: tune parameters, honestly.

Runs every combination of the grid (from --grid options and/or a [sweep] table in the config
file), ranks them by a metric, measures how much the best owes to luck (deflated Sharpe ratio,
probability of backtest overfitting) and optionally walks forward out of sample. Writes
reports/<strategy>/sweep-<run-id>/ unless --no-report.
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence

from engine.cli.commands.common import add_config_options, add_repeatable
from engine.decisions.strategy import Strategy
from engine.stats.sweep_columns import RANK_METRICS as METRICS

NAME = "sweep"
HELP = "sweep a strategy's parameters over a grid, with out-of-sample and over-fitting checks"
# The options handed to `rl.sweep` as they are, under the same name.
PASSED_ON = (
    "metric", "walk_forward", "engine", "executor", "scheduler", "workers", "chunk_size",
    "max_combinations", "blocks", "check", "top", "seed", "heatmap_others", "resume", "config",
    "defaults", "overrides",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.add_argument("strategy", metavar="STRATEGY", help="the strategy to tune")
    add_repeatable(
        parser,
        "--grid",
        "NAME=VALUES",
        "a swept parameter: a:b:step (both ends included), a,b,c or one value; repeatable",
    )
    add_config_options(parser)
    parser.add_argument("--metric", default="sharpe", choices=METRICS)
    parser.add_argument(
        "--walk-forward",
        metavar="SPEC",
        help="train=8y,test=2y[,mode=rolling|expanding]: choose on each training window, "
        "test on the next",
    )
    parser.add_argument("--executor", choices=("local", "dask"), default="local")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786); default: local"
    )
    parser.add_argument("--workers", type=int, help="processes (local generic path, dask local)")
    parser.add_argument("--chunk-size", type=int, help="combinations per chunk")
    parser.add_argument(
        "--max-combinations",
        type=int,
        default=None,
        metavar="N",
        help="refuse a larger grid, with its time and memory estimate (default 2,000,000)",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "batch", "single"),
        default="auto",
        help="batch = the strategy's batch form (default where it has one), single = its "
        "decisions one combination at a time (to check the batch form)",
    )
    parser.add_argument("--blocks", type=int, default=16, help="CSCV blocks for PBO (even)")
    parser.add_argument("--check", type=int, default=3, help="combinations re-run through vectorbt")
    parser.add_argument("--top", type=int, default=20, help="rows of the top table")
    add_repeatable(
        parser,
        "--heatmap",
        "X,Y",
        "parameters of a heatmap (repeatable); default: each pair of the first three swept "
        "parameters",
    )
    parser.add_argument(
        "--heatmap-others",
        choices=("mean", "best", "default"),
        default="mean",
        help="the other parameters: averaged, or fixed at the best's or the default's values",
    )
    parser.add_argument("--seed", type=int, default=0, help="for sampled checks and PBO splits")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run of the same sweep from its finished chunks",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-report", action="store_true", help="print the results only")


def _announce(setup) -> None:
    from engine.data.findings import terminal_lines

    for line in terminal_lines(setup.data):
        print(line)
    print(
        f"{setup.strategy.name}: {setup.n_combos:,} combinations"
        + (f" ({setup.skipped:,} refused: {setup.skip_reason})" if setup.skipped else "")
        + f", {len(setup.index):,} sessions {setup.period.start.date()}..{setup.period.end.date()}"
        + f"; {setup.engine_note}"
    )


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.api import sweep
    from engine.report.sweep.terminal import summary_text
    from engine.tuning.results import READ_BACK_LIMIT

    started = getattr(args, "started", None) or time.perf_counter()  # the whole command
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    result = sweep(
        args.strategy,
        args.grid,
        catalog=strategies,
        heatmaps=args.heatmap,
        progress=not args.no_progress,
        command=command,
        on_setup=_announce,
        **{name: getattr(args, name) for name in PASSED_ON},
    )
    setup = result.setup
    print()
    print(summary_text(result.study))
    if not args.no_report:
        folder = result.report()
        print(f"report: {folder / 'report.html'}")
        result.remove_dataset()  # the report holds every row (its table or the dataset)
    elif setup.n_combos > READ_BACK_LIMIT:
        print(f"every combination's row: the Parquet dataset {result.keep_dataset()}")
    else:
        result.remove_dataset()
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
