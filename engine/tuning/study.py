"""A whole tuning study: the sweep, its cross-check, over-fitting statistics and walk-forward.

This is what `run_backtest.py sweep` computes before writing the report; tests call it directly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.inference.luck import (
    TOP_K,
    ExcessSharpe,
    Snooping,
    excess_deflated_sharpe,
    reconcile,
    snooping,
)
from engine.inference.overfitting import (
    DeflatedSharpe,
    PBOResult,
    deflated_sharpe_of_returns,
    pbo_cscv,
)
from engine.stats.metrics import daily_risk_free
from engine.stats.returns_nb import PERIODS_PER_YEAR
from engine.tuning.benchmark import main_benchmark, main_benchmark_returns
from engine.tuning.sweep import (
    SweepResult,
    SweepSetup,
    check_against_engine,
    daily_returns,
    default_chunk_size,
    run_sweep,
)
from engine.tuning.walk_forward import WalkForwardResult, WalkForwardSpec, run_walk_forward
from engine.tuning.windows import STAT_INDEX

# relative, final equity: the sweep kernel against the oracle (vectorbt)
CHECK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class StudyOptions:
    metric: str = "sharpe"
    chunk_size: int | None = None
    progress: bool = True
    blocks: int = 16  # CSCV blocks (even)
    check: int = 3  # sampled combinations re-run through engine.simulate.portfolio (vectorbt)
    top: int = 20
    curves: int = 5  # equity curves of the best combinations kept for the report
    walk_forward: WalkForwardSpec | None = None
    seed: int = 0
    prior_trials: int = 0  # combinations tried in earlier recorded sweeps of this strategy
    parts: Path | None = None  # where finished chunks stream (engine.tuning.resume)
    resume: bool = False  # reuse the chunks an interrupted run of the same sweep finished


@dataclass
class Study:
    options: StudyOptions
    sweep: SweepResult
    equity: pd.DataFrame  # best `curves` combinations and the default, from initial cash
    check: pd.DataFrame | None  # kernel vs engine final equity on sampled rows
    dsr: DeflatedSharpe  # best combination, N = combinations of this sweep
    dsr_all: DeflatedSharpe | None  # the same with every recorded trial of this strategy
    pbo: PBOResult | None
    pbo_note: str
    walk_forward: WalkForwardResult | None
    timings: dict[str, float] = field(default_factory=dict)
    # the best combination's DSR in excess of the main benchmark, and a sentence reconciling
    # DSR and PBO when they point different ways ('' when they agree)
    dsr_excess: ExcessSharpe | None = None
    reconciliation: str = ""
    snooping: Snooping | None = None  # Hansen's SPA and StepM, against the benchmark and zero

    @property
    def check_passed(self) -> bool:
        return self.check is None or bool((self.check["relative_gap"] <= CHECK_TOLERANCE).all())


def _label(setup: SweepSetup, row: int) -> str:
    values = setup.plan.values(row)
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def excess_sharpe(
    setup: SweepSetup, window, best_returns: np.ndarray, information_ratios: np.ndarray | float
) -> ExcessSharpe | None:
    """DSR of the best's daily returns minus the main benchmark's bought and held on `window`."""
    bench = main_benchmark(setup.cfg)
    if bench is None:
        return None
    name, _ = bench
    benchmark = main_benchmark_returns(setup.cfg, setup.data, window.start, window.end)
    n = setup.n_combos
    # every trial's Sharpe ratio in excess of the benchmark: its information ratio, per period
    # (or the variance of the information ratios, per period)
    if isinstance(information_ratios, float):
        spread: np.ndarray | float = information_ratios / PERIODS_PER_YEAR
    else:
        spread = information_ratios / math.sqrt(PERIODS_PER_YEAR)
    note = f"the spread of the {n:,} trials' own excess Sharpe ratios (information ratios)"
    dsr = excess_deflated_sharpe(best_returns, benchmark, spread, n)
    return ExcessSharpe(name, dsr, f"Luck level from {note}.")


def snooping_study(setup: SweepSetup, window, order: np.ndarray, seed: int) -> Snooping:
    """SPA/StepM on the top TOP_K rows by the ranking metric (see `engine.inference.luck`)."""
    rows = [int(r) for r in order[:TOP_K]]
    returns = daily_returns(setup, rows, window)[:, 1:]
    bench = main_benchmark(setup.cfg)
    benchmark = (
        None
        if bench is None
        else main_benchmark_returns(setup.cfg, setup.data, window.start, window.end)
    )
    name = bench[0] if bench is not None else ""
    return snooping(returns, benchmark, name, rows, setup.n_combos, seed)


def run_study(setup: SweepSetup, executor, options: StudyOptions) -> Study:
    timings: dict[str, float] = {}
    n = setup.n_combos
    sampled: list[int] = []
    if options.check > 0:  # drawn before the sweep, so their rows are kept as they stream
        rng = np.random.default_rng(options.seed)
        sampled = [int(r) for r in rng.choice(n, size=min(options.check, n), replace=False)]
    sweep = run_sweep(
        setup, executor, options.metric, options.chunk_size, options.progress, options.blocks,
        options.parts, options.resume, keep=max(options.top, options.curves, TOP_K),
        watch=sampled, seed=options.seed,
    )  # fmt: skip
    timings["sweep_s"] = sweep.seconds
    window = sweep.window
    order = sweep.order

    started = time.perf_counter()
    check = None
    if options.check > 0:
        rows = list(dict.fromkeys([int(order[0]), *sampled]))[: max(1, options.check)]
        final = np.array([sweep.stats_of(r)[STAT_INDEX["final_equity"]] for r in rows])
        check = check_against_engine(setup, rows, final, window)
    timings["check_s"] = time.perf_counter() - started

    started = time.perf_counter()
    curve_rows = [int(r) for r in order[: options.curves]]
    if setup.default_row not in curve_rows:
        curve_rows.append(setup.default_row)
    returns = daily_returns(setup, curve_rows, window)
    index = setup.data.index[window.start : window.end + 1]
    initial = setup.cfg.backtest.initial_cash
    equity = pd.DataFrame(
        initial * np.cumprod(1.0 + returns, axis=1).T,
        index=index,
        columns=[
            ("default: " if r == setup.default_row else f"#{i + 1}: ") + _label(setup, r)
            for i, r in enumerate(curve_rows)
        ],
    )
    rf = daily_risk_free(setup.cfg.backtest.risk_free_pct)
    moments = sweep.summary.moments  # of the trials' Sharpe ratios, streamed
    trial_variance = moments["sharpe"].variance / PERIODS_PER_YEAR
    best_returns = returns[0, 1:]
    dsr = deflated_sharpe_of_returns(best_returns, trial_variance, n, rf)
    dsr_all = None
    if options.prior_trials > 0:
        total = n + options.prior_trials
        dsr_all = deflated_sharpe_of_returns(best_returns, trial_variance, total, rf)
    dsr_excess = excess_sharpe(setup, window, best_returns, moments["information_ratio"].variance)
    timings["dsr_s"] = time.perf_counter() - started
    started = time.perf_counter()
    snoop = snooping_study(setup, window, order, options.seed) if n >= 1 else None
    timings["spa_s"] = time.perf_counter() - started

    started = time.perf_counter()
    pbo, pbo_note = None, ""
    if n < 2:
        pbo_note = "PBO needs at least two combinations."
    elif window.blocks < 2 or window.blocks % 2:
        pbo_note = f"PBO needs an even number of blocks; the period allows {window.blocks}."
    else:
        pbo = pbo_cscv(sweep.summary.pbo_blocks, window.block_counts(), rf, seed=options.seed)
        if sweep.summary.pbo_rows is not None:
            sample = len(sweep.summary.pbo_rows)
            pbo_note = (
                f"PBO was computed on a random sample of {sample:,} of the {n:,} "
                f"combinations (seed {options.seed}): the block sums of every combination "
                "would not fit in memory. "
            )
        if pbo.n_splits < pbo.total_splits:
            pbo_note += (
                f"{pbo.n_splits:,} of the {pbo.total_splits:,} splits were drawn at random "
                f"(standard error of the estimate {pbo.standard_error:.3f})."
            )
        pbo_note = pbo_note.strip()
    timings["pbo_s"] = time.perf_counter() - started

    walk = None
    if options.walk_forward is not None:
        started = time.perf_counter()
        size = options.chunk_size or default_chunk_size(setup, getattr(executor, "workers", 1))
        walk = run_walk_forward(
            setup, executor, options.walk_forward, options.metric, size, options.progress
        )
        timings["walk_forward_s"] = time.perf_counter() - started
    return Study(
        options,
        sweep,
        equity,
        check,
        dsr,
        dsr_all,
        pbo,
        pbo_note,
        walk,
        timings,
        dsr_excess=dsr_excess,
        reconciliation=reconcile(dsr, dsr_excess, pbo, snoop),
        snooping=snoop,
    )
