"""A parameter sweep: load the data once, run every combination of the grid, tabulate.

Every sweep runs through one portfolio kernel (`engine.simulate.portfolio_nb`), fed by the
strategy's
decisions: its batch form computes a chunk of combinations at once (each indicator once per
distinct value), a rule without one is asked one combination at a time (slow, and said so).
Chunks keep a million combinations within a chunk's working memory plus one row of statistics
each: per combination, the statistics of `engine.tuning.windows.STAT_COLUMNS` and the per-block
sums the CSCV overfitting test needs; no equity curve is kept except those the report asks for
again (the best few and the default). vectorbt (`engine.simulate.portfolio`) re-runs sampled rows
as an
independent check.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError
from tqdm.auto import tqdm

from engine.config.run_config import RunConfig
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError
from engine.simulate.oracle import oracle_combination
from engine.simulate.pipeline import (
    Period,
    common_period,
    load_data_for,
    needed_tickers,
    period_index,
)
from engine.stats.sweep_columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.batch import build_plan, requirements
from engine.tuning.grid import Grid, find_row
from engine.tuning.resume import ChunkStore, fingerprint
from engine.tuning.windows import ChunkResult, Window

__all__ = [
    "ENGINES",
    "SweepResult",
    "SweepSetup",
    "check_against_engine",
    "daily_returns",
    "load_sweep",
    "run_sweep",
]

# auto: the batch form where the strategy has one; single: one combination at a time (the
# batch-equals-single check of a whole grid).
ENGINES = ("auto", "batch", "single")
FULL_VALIDATION_LIMIT = 1_000  # above this, combinations are checked by the strategy's mask
VALIDATION_SAMPLE = 500  # rows the mask is checked against the parameter model on
DEFAULT_BATCH_CHUNK = 5_000


def row_values(table: pd.DataFrame, row: int) -> dict[str, Any]:
    """One row as plain Python values, each column keeping its own type (n stays an int)."""
    return combos_of(table.iloc[[row]])[0]


def combos_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as plain-Python parameter dicts."""
    records = table.to_dict(orient="records")
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records
    ]


@dataclass
class SweepSetup:
    """Everything loaded and checked before the first combination runs."""

    strategy: Strategy
    cfg: RunConfig
    grid: Grid
    table: pd.DataFrame  # valid combinations only, one row each, in grid order
    skipped: int  # combinations the strategy refused (e.g. lower > upper)
    skip_reason: str | None
    data: MarketData
    period: Period
    index: pd.DatetimeIndex  # the period's sessions
    engine: str  # "fast" | "generic"
    engine_note: str
    plan: Any  # FastPlan | GenericPlan over the table's rows (+ the default, when not in it)
    default_row: int  # row of the default combination in the plan
    default_in_grid: bool

    @property
    def n_combos(self) -> int:
        return len(self.table)

    @property
    def plan_size(self) -> int:
        return len(self.table) + (0 if self.default_in_grid else 1)

    def window(self, blocks: int = 1) -> Window:
        start = int(self.data.index.get_loc(self.index[0]))
        end = int(self.data.index.get_loc(self.index[-1]))
        return Window.of(start, end, blocks)

    def default_values(self) -> dict[str, Any]:
        return {name: getattr(self.cfg.params, name) for name in self.grid.names}


def _validate_rows(
    strategy: Strategy, base: BaseModel, table: pd.DataFrame
) -> tuple[np.ndarray, str | None]:
    """Which combinations the strategy accepts as a whole, and the first refusal's reason.

    Large grids use the strategy's vectorised `valid_combinations` when it offers one, checked
    against the parameter model on a sample of rows."""
    model = strategy.params_model
    dump = base.model_dump()
    vectorised = strategy.valid_combinations
    if vectorised is not None and len(table) > FULL_VALIDATION_LIMIT:
        mask = np.asarray(vectorised(table, base), dtype=bool)
        sample = np.random.default_rng(0).choice(len(table), size=VALIDATION_SAMPLE, replace=False)
        for i, combo in zip(sample, combos_of(table.iloc[sample]), strict=True):
            try:
                model.model_validate({**dump, **combo})
                ok = True
            except ValidationError:
                ok = False
            if ok != mask[i]:
                raise RuntimeError(
                    f"{strategy.name}: valid_combinations disagrees with the model on {combo}"
                )
        reason = None if mask.all() else "refused by the strategy's cross-checks"
        return mask, reason
    mask = np.ones(len(table), dtype=bool)
    reason = None
    for i, combo in enumerate(combos_of(table)):
        try:
            model.model_validate({**dump, **combo})
        except ValidationError as exc:
            mask[i] = False
            if reason is None:
                reason = f"{combo}: {exc.errors()[0]['msg']}"
    return mask, reason


def _choose_engine(requested: str, strategy: Strategy) -> tuple[str, str]:
    if requested not in ENGINES:
        raise BadInputError(f"unknown --engine {requested!r}; use one of {', '.join(ENGINES)}")
    kernel = "simulated by the portfolio kernel, sampled rows re-checked through vectorbt"
    if requested == "single" or not strategy.has_batch_form:
        if requested == "batch":
            raise BadInputError(
                f"--engine batch is not possible: {strategy.name} has no batch form "
                "(Strategy.decide); use --engine auto"
            )
        why = "as asked" if requested == "single" else f"{strategy.name} has no batch form"
        return "single", (
            f"decisions one combination at a time ({why}; slow: give the strategy a "
            f"`decide` batch form to sweep fast), {kernel}"
        )
    return "batch", f"decisions in batches (the strategy's batch form), {kernel}"


def load_sweep(
    strategy: Strategy,
    cfg: RunConfig,
    grid: Grid,
    project_root: Path,
    engine: str = "auto",
    data: MarketData | None = None,
) -> SweepSetup:
    """Check the grid, load the data once (or use `data`), fix the period, build the plan."""
    chosen, note = _choose_engine(engine, strategy)
    full = grid.table()
    mask, reason = _validate_rows(strategy, cfg.params, full)
    table = full[mask].reset_index(drop=True)
    if table.empty:
        raise BadInputError(f"every combination of the grid is refused by the strategy: {reason}")
    values = {name: getattr(cfg.params, name) for name in grid.names}
    default_row = find_row(table, values)
    in_grid = default_row is not None
    plan_table = table if in_grid else pd.concat([table, pd.DataFrame([values])], ignore_index=True)
    tickers, longest, lookbacks = requirements(strategy, cfg.params, plan_table)
    if data is None:
        data = load_data_for(
            strategy, dataclasses.replace(cfg, params=longest), project_root, extra=tickers
        )
    needed = list(dict.fromkeys([*needed_tickers(strategy, cfg), *(t.upper() for t in tickers)]))
    optional = strategy.optional_tickers(cfg.params)
    period = common_period(data, needed, cfg, end_tickers=optional)
    index = period_index(data, period)
    if len(index) < 3:
        raise BadInputError(f"the period {period.start.date()}..{period.end.date()} is too short")
    plan = build_plan(strategy, cfg, data, plan_table, lookbacks, per_row=chosen == "single")
    return SweepSetup(
        strategy=strategy,
        cfg=cfg,
        grid=grid,
        table=table,
        skipped=int((~mask).sum()),
        skip_reason=reason,
        data=data,
        period=period,
        index=index,
        engine=chosen,
        engine_note=note,
        plan=plan,
        default_row=default_row if in_grid else len(table),
        default_in_grid=in_grid,
    )


def default_chunk_size(setup: SweepSetup, workers: int) -> int:
    if setup.engine == "batch":
        return DEFAULT_BATCH_CHUNK
    return max(1, min(16, math.ceil(setup.plan_size / (4 * max(1, workers)))))


def run_plan(
    plan: Any,
    size: int,
    window: Window,
    executor: Any,
    chunk_size: int,
    progress: bool = True,
    desc: str = "sweep",
    store: ChunkStore | None = None,
) -> ChunkResult:
    """Every row of the plan on the window, chunk by chunk, with a progress bar and an ETA.

    With a `store`, chunks it holds are read back instead of run, and each chunk run is
    written to it as soon as it finishes (an interrupted sweep resumes from them)."""
    bounds = [(s, min(s + chunk_size, size)) for s in range(0, size, chunk_size)]
    done = store.finished() & set(bounds) if store is not None else set()
    stats = np.empty((size, len(STAT_COLUMNS)))
    blocks = np.empty((size, window.blocks, 2))
    with tqdm(
        total=size, unit="combo", desc=desc, disable=not progress, mininterval=0.5, leave=False
    ) as bar:
        for start, stop in sorted(done):
            result = store.read(start, stop)  # type: ignore[union-attr]
            stats[start:stop] = result.stats
            blocks[start:stop] = result.blocks
            bar.update(stop - start)
        chunks = ((s, e, plan.payload(s, e)) for s, e in bounds if (s, e) not in done)
        for start, stop, result in executor.map(plan.core, chunks, window):
            if store is not None:
                store.write(start, stop, result)
            stats[start:stop] = result.stats
            blocks[start:stop] = result.blocks
            bar.update(stop - start)
    return ChunkResult(stats=stats, blocks=blocks)


def ranking(values: np.ndarray, metric: str) -> np.ndarray:
    """Positions from best to worst by `metric` (NaN last, ties in grid order)."""
    key = np.asarray(values, dtype=float)
    key = key.copy() if metric in LOWER_IS_BETTER else -key
    key[np.isnan(key)] = np.inf
    return np.argsort(key, kind="stable")


def rank_of(value: float, values: np.ndarray, metric: str) -> int:
    """1 + how many of `values` are strictly better than `value` (NaN is never better)."""
    values = np.asarray(values, dtype=float)
    if np.isnan(value):
        return int(np.sum(~np.isnan(values))) + 1
    better = values < value if metric in LOWER_IS_BETTER else values > value
    return int(np.sum(better)) + 1


@dataclass
class SweepResult:
    setup: SweepSetup
    metric: str
    window: Window
    table: pd.DataFrame  # parameters + STAT_COLUMNS + rank, grid order
    blocks: np.ndarray  # (combinations, blocks, 2), for CSCV
    default_stats: pd.Series
    default_rank: int  # among the grid's combinations, by `metric` (1 = best)
    seconds: float
    executor: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def order(self) -> np.ndarray:
        return ranking(self.table[self.metric].to_numpy(), self.metric)

    @property
    def best_row(self) -> int:
        return int(self.order[0])


def run_sweep(
    setup: SweepSetup,
    executor: Any,
    metric: str = "sharpe",
    chunk_size: int | None = None,
    progress: bool = True,
    blocks: int = 16,
    parts: Path | None = None,
    resume: bool = False,
) -> SweepResult:
    """The whole grid (and the default, if outside it) over the full period.

    With `parts` (a folder), finished chunks stream to a Parquet dataset under it, named by
    the sweep's fingerprint; `resume` reuses the chunks a previous, interrupted run of the same
    sweep finished. The dataset is removed once the sweep completes."""
    if metric not in STAT_COLUMNS:
        raise BadInputError(f"unknown metric {metric!r}; choose from {', '.join(STAT_COLUMNS)}")
    window = setup.window(blocks)
    size = chunk_size or default_chunk_size(setup, getattr(executor, "workers", 1))
    store = None
    if parts is not None:
        name = f"sweep-parts-{fingerprint(setup, window, size)}"
        store = ChunkStore(parts / name, window.blocks)
        if not resume:
            store.clear()
    started = time.perf_counter()
    result = run_plan(
        setup.plan, setup.plan_size, window, executor, size, progress, "sweep", store
    )
    seconds = time.perf_counter() - started
    if store is not None:
        store.clear()
    n = setup.n_combos
    stats = pd.DataFrame(result.stats[:n], columns=list(STAT_COLUMNS))
    table = pd.concat([setup.table, stats], axis=1)
    order = ranking(table[metric].to_numpy(), metric)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    table["rank"] = rank
    default_stats = pd.Series(result.stats[setup.default_row], index=list(STAT_COLUMNS))
    if setup.default_in_grid:
        default_rank = int(rank[setup.default_row])
    else:
        default_rank = rank_of(default_stats[metric], stats[metric].to_numpy(), metric)
    return SweepResult(
        setup=setup,
        metric=metric,
        window=window,
        table=table,
        blocks=result.blocks[:n],
        default_stats=default_stats,
        default_rank=default_rank,
        seconds=seconds,
        executor=getattr(executor, "name", "local"),
    )


def daily_returns(setup: SweepSetup, rows: list[int], window: Window) -> np.ndarray:
    """Daily returns (len(rows), sessions) of plan rows on a window, recomputed on demand."""
    payload = setup.plan.select(np.asarray(rows, dtype=np.int64))
    return setup.plan.core.returns(payload, window)


def check_against_engine(
    setup: SweepSetup, rows: list[int], final_equity: np.ndarray, window: Window
) -> pd.DataFrame:
    """Final equity of plan rows: the sweep's kernel vs vectorbt (`engine.simulate.oracle`),
    relative
    gap. The oracle run rebuilds the decisions through `Strategy.weights` on the row's own data."""
    out = []
    base = setup.cfg.params
    for row, kernel_value in zip(rows, final_equity, strict=True):
        combo = row_values(setup.plan.table, row)
        params = base.model_copy(update=combo)
        result = oracle_combination(setup.strategy, setup.cfg, setup.data, params, window)
        engine_value = float(result.equity.iloc[-1])
        out.append(
            {
                **combo,
                "kernel_final_equity": float(kernel_value),
                "engine_final_equity": engine_value,
                "relative_gap": abs(float(kernel_value) / engine_value - 1.0),
            }
        )
    return pd.DataFrame(out)
