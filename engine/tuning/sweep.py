"""A parameter sweep: load the data once, run every combination of the grid, keep summaries.

Every sweep runs through one portfolio kernel (`engine.simulate.portfolio_nb`), fed by the
strategy's decisions: its batch form computes a chunk of combinations at once (each indicator
once per distinct value), a rule without one is asked one combination at a time (slow, and said
so). Chunks are decoded from their row numbers (`engine.tuning.plan`), so no table of the whole
grid exists; each chunk's rows (the statistics of `engine.tuning.windows.STAT_COLUMNS` and the
per-block sums the CSCV overfitting test needs) stream to a Parquet dataset
(`engine.tuning.resume`) while memory keeps bounded summaries (`engine.tuning.summary`): a
10-million-combination sweep fits in well under 2 GB. No equity curve is kept except those the
report asks for again (the best few and the default). vectorbt (`engine.simulate.portfolio`)
re-runs sampled rows as an independent check.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
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
from engine.stats.sweep_columns import STAT_COLUMNS
from engine.tuning.combinations import Combinations, accepted_combinations, combos_of
from engine.tuning.grid import Grid
from engine.tuning.plan import GridPlan, profiles_of
from engine.tuning.results import READ_BACK_LIMIT, SweepResult, default_rank, rank_of, ranking
from engine.tuning.resume import ChunkStore, fingerprint
from engine.tuning.summary import PBO_MAX_COMBINATIONS, SweepSummary
from engine.tuning.windows import ChunkResult, Window

__all__ = [
    "ENGINES",
    "SweepResult",
    "SweepSetup",
    "check_against_engine",
    "combos_of",
    "daily_returns",
    "load_sweep",
    "rank_of",
    "ranking",
    "run_sweep",
]

# auto: the batch form where the strategy has one; single: one combination at a time (the
# batch-equals-single check of a whole grid).
ENGINES = ("auto", "batch", "single")
DEFAULT_BATCH_CHUNK = 5_000


def row_values(table: pd.DataFrame, row: int) -> dict[str, Any]:
    """One row as plain Python values, each column keeping its own type (n stays an int)."""
    return combos_of(table.iloc[[row]])[0]


@dataclass
class SweepSetup:
    """Everything loaded and checked before the first combination runs."""

    strategy: Strategy
    cfg: RunConfig
    grid: Grid
    combos: Combinations  # the accepted combinations, numbered in grid order
    data: MarketData
    period: Period
    index: pd.DatetimeIndex  # the period's sessions
    engine: str  # "batch" | "single"
    engine_note: str
    plan: GridPlan  # the combinations' rows (+ the default, when not among them)
    default_row: int  # row of the default combination in the plan
    default_in_grid: bool

    @property
    def n_combos(self) -> int:
        return self.combos.n

    @property
    def skipped(self) -> int:
        return self.combos.skipped

    @property
    def skip_reason(self) -> str | None:
        return self.combos.reason

    @property
    def plan_size(self) -> int:
        return self.plan.size

    @property
    def table(self) -> pd.DataFrame:
        """Every combination's parameters (small grids only: a sweep decodes its chunks)."""
        if self.n_combos > READ_BACK_LIMIT:
            raise BadInputError(
                f"the grid has {self.n_combos:,} combinations: too many for one table (at most "
                f"{READ_BACK_LIMIT:,}); use combos.table(start, stop) for a range"
            )
        return self.combos.table(0, self.n_combos)

    def window(self, blocks: int = 1) -> Window:
        start = int(self.data.index.get_loc(self.index[0]))
        end = int(self.data.index.get_loc(self.index[-1]))
        return Window.of(start, end, blocks)

    def default_values(self) -> dict[str, Any]:
        return {name: getattr(self.cfg.params, name) for name in self.grid.names}


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
    combos = accepted_combinations(strategy, cfg.params, grid)
    if combos.n == 0:
        raise BadInputError(
            f"every combination of the grid is refused by the strategy: {combos.reason}"
        )
    values = {name: getattr(cfg.params, name) for name in grid.names}
    default_row = combos.number_of(grid.index_of(values))
    in_grid = default_row is not None
    extra = None if in_grid else values
    profiles = profiles_of(strategy, cfg.params, combos, extra)
    tickers, longest = profiles.tickers, profiles.longest
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
    plan = GridPlan.build(strategy, cfg, data, combos, extra, profiles, per_row=chosen == "single")
    return SweepSetup(
        strategy=strategy,
        cfg=cfg,
        grid=grid,
        combos=combos,
        data=data,
        period=period,
        index=index,
        engine=chosen,
        engine_note=note,
        plan=plan,
        default_row=default_row if in_grid else combos.n,
        default_in_grid=in_grid,
    )


def default_chunk_size(setup: SweepSetup, workers: int) -> int:
    if setup.engine == "batch":
        return DEFAULT_BATCH_CHUNK
    return max(1, min(16, math.ceil(setup.plan_size / (4 * max(1, workers)))))


Sink = Callable[[int, int, ChunkResult], None]


def run_plan(
    plan: Any,
    size: int,
    window: Window,
    executor: Any,
    chunk_size: int,
    sink: Sink,
    progress: bool = True,
    desc: str = "sweep",
    store: ChunkStore | None = None,
) -> None:
    """Every row of the plan on the window, chunk by chunk, with a progress bar and an ETA;
    each chunk's results go to `sink(start, stop, result)` as it finishes (in any order).

    With a `store`, chunks it holds are read back instead of run, and each chunk run is
    written to it as soon as it finishes (an interrupted sweep resumes from them)."""
    bounds = [(s, min(s + chunk_size, size)) for s in range(0, size, chunk_size)]
    done = store.finished() & set(bounds) if store is not None else set()
    with tqdm(
        total=size, unit="combo", desc=desc, disable=not progress, mininterval=0.5, leave=False
    ) as bar:
        for start, stop in sorted(done):
            sink(start, stop, store.read(start, stop))  # type: ignore[union-attr]
            bar.update(stop - start)
        tables: dict[int, pd.DataFrame] = {}  # parameters of the chunks in flight

        def chunks() -> Iterator[tuple[int, int, Any]]:
            for s, e in bounds:
                if (s, e) not in done:
                    payload = plan.payload(s, e)
                    tables[s] = payload.table
                    yield s, e, payload

        for start, stop, result in executor.map(plan.core, chunks(), window):
            if store is not None:
                store.write(start, stop, result, tables.pop(start))
            else:
                tables.pop(start)
            sink(start, stop, result)
            bar.update(stop - start)


def _store(setup: SweepSetup, window: Window, size: int, parts: Path | None, resume: bool):
    """The sweep's dataset: under `parts`, named by the sweep's fingerprint (emptied unless
    resuming); without `parts`, in a temporary folder removed with the result."""
    name = f"sweep-parts-{fingerprint(setup, window, size)}"
    if parts is None:
        folder = Path(tempfile.mkdtemp(prefix="rotation-lab-sweep-"))
        return ChunkStore(folder / name, window.blocks)
    store = ChunkStore(parts / name, window.blocks)
    if not resume:
        store.clear()
    return store


def run_sweep(
    setup: SweepSetup,
    executor: Any,
    metric: str = "sharpe",
    chunk_size: int | None = None,
    progress: bool = True,
    blocks: int = 16,
    parts: Path | None = None,
    resume: bool = False,
    keep: int = 100,
    watch: Sequence[int] = (),
    seed: int = 0,
) -> SweepResult:
    """The whole grid (and the default, if outside it) over the full period.

    Every row streams to a Parquet dataset, chunk by chunk (`engine.tuning.resume`): under
    `parts` (a folder), named by the sweep's fingerprint, where `resume` reuses the chunks a
    previous, interrupted run of the same sweep finished; without `parts`, in a temporary
    folder. The dataset is removed with the result (`SweepResult.keep_dataset` keeps it).
    Memory holds bounded summaries (`SweepSummary`): the best `keep` rows, the `watch`ed rows
    and the default, heatmap cells, the trials' moments and CSCV block sums (a seeded sample
    above PBO_MAX_COMBINATIONS combinations)."""
    if metric not in STAT_COLUMNS:
        raise BadInputError(f"unknown metric {metric!r}; choose from {', '.join(STAT_COLUMNS)}")
    window = setup.window(blocks)
    size = chunk_size or default_chunk_size(setup, getattr(executor, "workers", 1))
    store = _store(setup, window, size, parts, resume)
    n = setup.n_combos
    sample = None
    if n > PBO_MAX_COMBINATIONS:
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=PBO_MAX_COMBINATIONS, replace=False))
    summary = SweepSummary(
        setup.combos, metric, keep, window.blocks, {setup.default_row, *map(int, watch)}, sample
    )
    started = time.perf_counter()
    run_plan(
        setup.plan, setup.plan_size, window, executor, size, summary.add, progress, "sweep", store
    )
    seconds = time.perf_counter() - started
    default_stats = pd.Series(summary.watched[setup.default_row], index=list(STAT_COLUMNS))
    result = SweepResult(
        setup=setup,
        metric=metric,
        window=window,
        summary=summary,
        store=store,
        default_stats=default_stats,
        default_rank=default_rank(summary, store, setup, default_stats[metric]),
        seconds=seconds,
        executor=getattr(executor, "name", "local"),
    )
    # the dataset goes with the result (a temporary one with its folder), unless kept
    folder = store.folder.parent if parts is None else store.folder
    result.finalizer = weakref.finalize(result, shutil.rmtree, folder, True)
    return result


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
        combo = setup.plan.values(row)
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
