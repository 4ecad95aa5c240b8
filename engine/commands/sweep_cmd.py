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

from engine.commands.common import add_config_options, start_up
from engine.errors import BadInputError, unknown_name
from engine.strategy import Strategy

NAME = "sweep"
HELP = "sweep a strategy's parameters over a grid, with out-of-sample and over-fitting checks"
METRIC_CHOICES = (
    "sharpe",
    "cagr",
    "sortino",
    "calmar",
    "total_return",
    "final_equity",
    "max_drawdown",
    "ann_volatility",
    "turnover",
)


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.add_argument("strategy", metavar="STRATEGY", help="the strategy to tune")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="a swept parameter: a:b:step (both ends included), a,b,c or one value; repeatable",
    )
    add_config_options(parser)
    parser.add_argument("--metric", default="sharpe", choices=METRIC_CHOICES)
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
        choices=("auto", "fast", "generic"),
        default="auto",
        help="fast = the fused kernel, generic = engine.backtest per combination",
    )
    parser.add_argument("--blocks", type=int, default=16, help="CSCV blocks for PBO (even)")
    parser.add_argument(
        "--check", type=int, default=3, help="combinations re-run through the engine (fast path)"
    )
    parser.add_argument("--top", type=int, default=20, help="rows of the top table")
    parser.add_argument(
        "--heatmap",
        action="append",
        default=[],
        metavar="X,Y",
        help="parameters of a heatmap (repeatable); default: every pair",
    )
    parser.add_argument(
        "--heatmap-others",
        choices=("mean", "best", "default"),
        default="mean",
        help="the other parameters: averaged, or fixed at the best's or the default's values",
    )
    parser.add_argument("--seed", type=int, default=0, help="for sampled checks and PBO splits")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-report", action="store_true", help="print the results only")


def _positive(value: int | None, name: str, minimum: int = 1, maximum: int = 10**9) -> None:
    if value is not None and not minimum <= value <= maximum:
        shown = f"{value:,}" if abs(value) < 10**15 else f"a {len(str(abs(value)))}-digit number"
        raise BadInputError(f"{name} must be between {minimum:,} and {maximum:,}, got {shown}")


def _heatmaps(texts: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for text in texts:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise BadInputError(f"--heatmap {text!r}: expected two parameter names, X,Y")
        pairs.append((parts[0], parts[1]))
    return pairs


def _check_heatmaps(pairs: list[tuple[str, str]], swept: list[str]) -> None:
    """Refuse a heatmap of a parameter the grid does not vary, before any work."""
    for x, y in pairs:
        for name in (x, y):
            if name not in swept:
                raise BadInputError(
                    f"--heatmap {x},{y}: {name!r} is not a swept parameter with two or more "
                    f"values ({', '.join(swept) or 'none'})"
                )


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from tabulate import tabulate

    from engine.config import apply_overrides, build_config, read_toml
    from engine.data.findings import terminal_lines
    from engine.metrics import stats_table
    from engine.paths import PROJECT_ROOT, resolve
    from engine.pipeline import (
        beta_returns,
        new_run_id,
        package_versions,
        simulate_benchmarks,
    )
    from engine.tuning.executors import make_executor
    from engine.tuning.grid import MAX_COMBINATIONS, build_grid
    from engine.tuning.report import (
        SweepReport,
        format_table,
        recorded_trials,
        top_table,
        write_sweep_report,
    )
    from engine.tuning.study import StudyOptions, run_study
    from engine.tuning.sweep import load_sweep
    from engine.tuning.walk_forward import WalkForwardSpec

    started = time.perf_counter()
    if args.strategy not in strategies:
        raise BadInputError(unknown_name("strategy", args.strategy, sorted(strategies)))
    _positive(args.max_combinations, "--max-combinations")
    _positive(args.workers, "--workers", 1, 64)
    _positive(args.chunk_size, "--chunk-size", 1, 10**8)
    _positive(args.top, "--top", 1, 10**6)
    _positive(args.check, "--check", 0, 10_000)
    _positive(args.seed, "--seed", 0, 2**32 - 1)
    _positive(args.blocks, "--blocks", 2, 24)  # C(24, 12) = 2.7 million CSCV splits at most
    if args.blocks % 2:
        raise BadInputError(f"--blocks must be an even number of at least 2, got {args.blocks}")
    heatmaps = _heatmaps(args.heatmap)
    walk = WalkForwardSpec.parse(args.walk_forward) if args.walk_forward else None

    strategy = strategies[args.strategy]
    doc = read_toml(args.config if args.config is not None else strategy.default_config)
    sweep_table = doc.pop("sweep", None)
    if sweep_table is not None and not isinstance(sweep_table, dict):
        raise BadInputError("[sweep] in the config file must be a table of NAME = VALUES")
    cfg = build_config(strategy, apply_overrides(doc, args.overrides))
    start_up(cfg.data, None if args.no_report else resolve(cfg.report.output_dir))
    limit = args.max_combinations or MAX_COMBINATIONS
    grid = build_grid(strategy.params_model, cfg.params, args.grid, sweep_table, limit)
    _check_heatmaps(heatmaps, [a.name for a in grid.axes if len(a.values) > 1])
    setup = load_sweep(strategy, cfg, grid, PROJECT_ROOT, args.engine)
    for line in terminal_lines(setup.data):
        print(line)
    print(
        f"{strategy.name}: {setup.n_combos:,} combinations"
        + (f" ({setup.skipped:,} refused: {setup.skip_reason})" if setup.skipped else "")
        + f", {len(setup.index):,} sessions {setup.period.start.date()}..{setup.period.end.date()}"
        + f"; {setup.engine_note}"
    )
    reports_root = resolve(cfg.report.output_dir)
    prior = recorded_trials(reports_root / strategy.name)
    options = StudyOptions(
        metric=args.metric,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
        blocks=args.blocks,
        check=args.check,
        top=args.top,
        walk_forward=walk,
        seed=args.seed,
        prior_trials=prior,
    )
    with make_executor(args.executor, args.scheduler, args.workers) as executor:
        executor_name = executor.describe() if hasattr(executor, "describe") else "local"
        study = run_study(setup, executor, options)
    benchmarks = simulate_benchmarks(cfg, setup.data, setup.period)
    bench_stats = stats_table(benchmarks, beta_returns(cfg, setup.data, setup.period))
    bench_table = bench_stats.loc[["cagr", "sharpe", "max_drawdown"]].T.astype(float)

    shown = ["rank", *grid.names, "cagr", "sharpe", "sortino", "max_drawdown", "trades"]
    if args.metric not in shown:
        shown.append(args.metric)
    top = top_table(study).head(10)[shown]
    print(f"\ntop by {args.metric} (of {setup.n_combos:,}); sweep {study.sweep.seconds:.2f} s")
    print(
        tabulate(
            format_table(top),
            headers="keys",
            tablefmt="simple",
            showindex=False,
            disable_numparse=True,
        )
    )
    d = study.dsr
    print(f"default parameters rank {study.sweep.default_rank:,} of {setup.n_combos:,}")
    print(
        f"deflated Sharpe ratio of the best: {d.probability:.3f} "
        f"(best daily SR {d.sharpe:.4f} vs {d.sr0:.4f} expected from luck, N={d.n_trials:,})"
    )
    if study.pbo is not None:
        print(
            f"probability of backtest overfitting: {study.pbo.pbo:.3f} "
            f"({study.pbo.n_splits:,} CSCV splits of {study.pbo.blocks} blocks)"
        )
    if study.check is not None:
        gap = float(study.check["relative_gap"].max())
        flag = "ok" if study.check_passed else "ABOVE TOLERANCE"
        print(f"fast path vs engine: max relative gap in final equity {gap:.1e} ({flag})")
    if study.walk_forward is not None:
        print(f"\nwalk-forward {walk.describe()}:")  # type: ignore[union-attr]
        print(
            tabulate(
                format_table(study.walk_forward.summary.reset_index()),
                headers="keys",
                tablefmt="simple",
                showindex=False,
                disable_numparse=True,
            )
        )
    if not args.no_report:
        command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
        report = SweepReport(
            run_id=new_run_id(),
            command=command,
            study=study,
            versions={**package_versions(), **_extra_versions()},
            heatmaps=heatmaps,
            heatmap_others=args.heatmap_others,
            benchmarks=bench_table,
            executor=executor_name,
        )
        folder = write_sweep_report(report, reports_root)
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _extra_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("dask", "distributed", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
