"""`rl.sweep`: a parameter grid, ranked, with its over-fitting statistics, as
`run_backtest.py sweep` computes it."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.api.catalog import StrategySpec, resolve_spec
from engine.api.display import curves_figure
from engine.api.inputs import Sections, as_overrides, section_values, shown_call
from engine.api.startup import check_reports_root, report_once, start_up
from engine.config.run_config import RunConfig, build_config, strategy_document
from engine.data.findings import notify
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, shorten
from engine.paths import project_root, resolve
from engine.stats.sweep_columns import RANK_METRICS

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

__all__ = ["METRICS", "SweepResult", "sweep"]

METRICS = RANK_METRICS
HEATMAP_OTHERS = ("mean", "best", "default")
GridSpec = Mapping[str, Any] | Sequence[str] | None


@dataclass
class SweepResult:
    """A finished sweep. `top` holds the best rows by the metric (parameters, statistics,
    rank), `best` the first; every row is in the Parquet dataset at `dataset`, and `table`
    reads it back as one table (parameters, statistics, rank) for sweeps of up to a million
    combinations. `pbo` is the probability of backtest overfitting (None when it cannot be
    computed, see `pbo_note`); `deflated_sharpe` the deflated Sharpe ratio of the best
    combination against this sweep's number of trials."""

    study: Any  # engine.tuning.study.Study
    setup: Any  # engine.tuning.sweep.SweepSetup
    config: RunConfig
    benchmarks: pd.DataFrame  # cagr, sharpe, max_drawdown of the config's benchmarks
    command: str
    executor: str
    heatmaps: list[tuple[str, str]] = field(default_factory=list)
    heatmap_others: str = "mean"
    seconds: float = 0.0
    benchmark_equity: pd.DataFrame | None = None  # the benchmarks' equity curves
    _folders: dict[Path, Path] = field(default_factory=dict, repr=False)

    @property
    def metric(self) -> str:
        return self.study.sweep.metric

    @property
    def table(self) -> pd.DataFrame:
        """Every combination, read back from `dataset` (a BadInputError above a million
        rows: read the dataset in parts instead)."""
        return self.study.sweep.table

    @property
    def dataset(self) -> Path:
        """The folder of Parquet parts (one per chunk) holding every combination's number,
        parameters, statistics and CSCV block sums. It lives as long as this result
        (`keep_dataset()` keeps it for good; a new run of the same sweep replaces it)."""
        return self.study.sweep.dataset

    def keep_dataset(self) -> Path:
        """Keep `dataset` after this result is gone; returns its folder."""
        return self.study.sweep.keep_dataset()

    def remove_dataset(self) -> None:
        """Delete `dataset` now (`top`, `best` and the report's figures stay available)."""
        self.study.sweep.remove_dataset()

    @property
    def top(self) -> pd.DataFrame:
        """The best combinations (at least 100, or `top`): rank, parameters, statistics."""
        return self.study.sweep.top

    @property
    def best(self) -> pd.Series:
        return self.top.iloc[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return self.study.sweep.best_values()

    @property
    def default_rank(self) -> int:
        return self.study.sweep.default_rank

    @property
    def default_stats(self) -> pd.Series:
        return self.study.sweep.default_stats

    @property
    def pbo(self) -> float | None:
        return None if self.study.pbo is None else float(self.study.pbo.pbo)

    @property
    def pbo_note(self) -> str:
        return self.study.pbo_note

    @property
    def deflated_sharpe(self) -> float:
        return float(self.study.dsr.probability)

    @property
    def equity(self) -> pd.DataFrame:
        """Equity of the best few combinations and the default's."""
        return self.study.equity

    @property
    def walk_forward(self) -> Any:
        return self.study.walk_forward

    @property
    def check(self) -> pd.DataFrame | None:
        return self.study.check

    @property
    def period(self) -> tuple[Any, Any]:
        return self.setup.period.start.date(), self.setup.period.end.date()

    def plot(self) -> Figure:
        """Equity (log scale) and drawdown of the best combinations and the default."""
        first = [str(c) for c in self.equity.columns[:1]]
        return curves_figure(self.equity, f"{self.setup.strategy.name}: sweep", first)

    def report(self, folder: str | Path | None = None) -> Path:
        """Write the sweep report under `folder` (default: report.output_dir) and return its
        folder, <strategy>/sweep-<run-id>; the sweep's trials are recorded there too."""
        from engine.report.sweep.report import SweepReport, write_sweep_report
        from engine.report.toolkit.provenance import new_run_id, package_versions

        def write(root: Path) -> Path:
            report = SweepReport(
                run_id=new_run_id(),
                command=self.command,
                study=self.study,
                versions={**package_versions(), **extra_versions()},
                heatmaps=self.heatmaps,
                heatmap_others=self.heatmap_others,  # type: ignore[arg-type]
                benchmarks=self.benchmarks,
                benchmark_equity=self.benchmark_equity,
                executor=self.executor,
            )
            return write_sweep_report(report, root)

        return report_once(self._folders, folder, self.config.report.output_dir, write)

    def _repr_html_(self) -> str:
        shown = ["rank", *self.setup.grid.names, "cagr", "sharpe", "max_drawdown"]
        if self.metric not in shown:
            shown.append(self.metric)
        top = self.top.head(10)[shown]
        pbo = "n/a" if self.pbo is None else f"{self.pbo:.3f}"
        return (
            f"<div><b>sweep {self.setup.strategy.name}</b>: {self.setup.n_combos:,} "
            f"combinations, {self.period[0]} to {self.period[1]}; deflated Sharpe "
            f"{self.deflated_sharpe:.3f}, PBO {pbo}; default rank {self.default_rank:,}"
            f"{top.to_html(index=False)}</div>"
        )

    def __str__(self) -> str:
        """What the sweep found, in plain text: the answer first, then the best rows and the
        luck tests, as the command line prints them."""
        from engine.report.sweep.terminal import summary_text

        return summary_text(self.study)

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.setup.strategy.name}: {self.setup.n_combos} combinations; "
            "print() it for a summary>"
        )


def extra_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("dask", "distributed", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _within(value: int | None, name: str, minimum: int = 1, maximum: int = 10**9) -> None:
    if value is not None and not minimum <= value <= maximum:
        shown = f"{value:,}" if abs(value) < 10**15 else f"a {len(str(abs(value)))}-digit number"
        raise BadInputError(f"{name} must be between {minimum:,} and {maximum:,}, got {shown}")


_SCHEDULER = re.compile(r"^((tcp|tls|ws|wss|ucx|inproc)://)?[\w.\-\[\]:]+:\d{1,5}$")


def check_scheduler(address: str | None) -> None:
    """A Dask scheduler address must look like one (tcp://host:8786) before any connection is
    tried: anything else ends deep inside the client with an unrelated error."""
    if address is not None and not _SCHEDULER.match(address):
        raise BadInputError(
            f"--scheduler {shorten(repr(address))} is not a Dask scheduler address; give "
            "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786), or drop --scheduler for a local cluster"
        )


def usable_workers(workers: int | None, executor: str, scheduler: str | None) -> int | None:
    """Local worker processes beyond the machine's cores only compete for them (and for
    memory): capped at the core count, and said so."""
    cores = os.cpu_count() or 1
    if workers is None or workers <= cores or scheduler is not None:
        return workers
    notify(
        f"--workers {workers} is more than this machine's {cores} core(s); using {cores} "
        f"({executor} executor)"
    )
    return cores


def heatmap_pairs(texts: Sequence[str | tuple[str, str]]) -> list[tuple[str, str]]:
    """'X,Y' strings (or pairs) -> pairs of distinct parameter names."""
    pairs = []
    for item in texts:
        parts = [p.strip() for p in item.split(",")] if isinstance(item, str) else list(item)
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise BadInputError(f"--heatmap {item!r}: expected two parameter names, X,Y")
        pairs.append((parts[0], parts[1]))
    return pairs


def _grid_inputs(grid: GridSpec) -> tuple[list[str], dict[str, Any]]:
    """The CLI's NAME=VALUES strings, or a dict NAME -> values (a list, 'a:b:step', one value)."""
    if grid is None:
        return [], {}
    if isinstance(grid, Mapping):
        return [], {str(k): list(v) if isinstance(v, tuple | range) else v for k, v in grid.items()}
    if isinstance(grid, str):
        return [grid], {}
    return list(grid), {}


def sweep(
    strategy: StrategySpec,
    grid: GridSpec = None,
    *,
    config_grid: bool = True,
    metric: str = "sharpe",
    walk_forward: str | None = None,
    engine: str = "auto",
    executor: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    max_combinations: int | None = None,
    blocks: int = 16,
    check: int = 3,
    top: int = 20,
    seed: int = 0,
    heatmaps: Sequence[str | tuple[str, str]] = (),
    heatmap_others: str = "mean",
    progress: bool = False,
    resume: bool = False,
    config: str | Path | None = None,
    defaults: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    backtest: Sections = None,
    data: Sections = None,
    report: Sections = None,
    strategies_dir: str | Path | None = None,
    catalog: Mapping[str, Strategy] | None = None,
    command: str | None = None,
    on_setup: Callable[[Any], None] | None = None,
    **params: Any,
) -> SweepResult:
    """Sweep a strategy's parameters over `grid` (dict NAME -> values, or the CLI's
    'NAME=a:b:step' strings); the config's [sweep] table is the default grid and `grid`
    replaces its keys of the same name, as `--grid` does (`config_grid=False`: `grid` alone).
    `walk_forward` takes the CLI's 'train=8y,test=2y'. Finished chunks stream to a Parquet
    dataset under report.output_dir/<strategy>/sweep-parts-<fingerprint>/, which holds the
    result's rows (`.dataset`, kept while the result lives); `resume=True` continues an
    interrupted run of the same sweep from it.
    Other parameters and sections as in `rl.run`; `on_setup(setup)` is called once the data
    is loaded, before the first combination runs. Bad input raises `rl.BadInputError`.
    """
    from engine.simulate.pipeline import beta_returns, simulate_benchmarks
    from engine.stats.metrics import stats_table
    from engine.tuning.executors import make_executor
    from engine.tuning.grid import MAX_COMBINATIONS, build_grid
    from engine.tuning.ledger import recorded_trials
    from engine.tuning.study import StudyOptions, run_study
    from engine.tuning.sweep import load_sweep
    from engine.tuning.walk_forward import WalkForwardSpec

    started = time.perf_counter()
    chosen = resolve_spec(strategy, strategies_dir, catalog)
    if metric not in METRICS:
        raise BadInputError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if heatmap_others not in HEATMAP_OTHERS:
        raise BadInputError(
            f"heatmap others {heatmap_others!r}: use one of {', '.join(HEATMAP_OTHERS)}"
        )
    _within(max_combinations, "--max-combinations")
    _within(workers, "--workers", 1, 64)
    workers = usable_workers(workers, executor, scheduler)
    check_scheduler(scheduler)
    _within(chunk_size, "--chunk-size", 1, 10**8)
    _within(top, "--top", 1, 10**6)
    _within(check, "--check", 0, 10_000)
    _within(seed, "--seed", 0, 2**32 - 1)
    _within(blocks, "--blocks", 2, 24)  # C(24, 12) = 2.7 million CSCV splits at most
    if blocks % 2:
        raise BadInputError(f"--blocks must be an even number of at least 2, got {blocks}")
    if scheduler is not None:  # a malformed address is refused before any work
        from engine.tuning.executors import parse_scheduler

        if executor != "dask":
            raise BadInputError("--scheduler needs --executor dask")
        parse_scheduler(scheduler)
    pairs = heatmap_pairs(heatmaps)
    walk = WalkForwardSpec.parse(walk_forward) if walk_forward else None

    values = section_values(params, backtest, data, report)
    doc = strategy_document(
        chosen,
        None if config is None else Path(config),
        as_overrides(overrides),
        None if defaults is None else Path(defaults),
        values,
    )
    sweep_table = doc.pop("sweep", None)
    if sweep_table is not None and not isinstance(sweep_table, dict):
        raise BadInputError("[sweep] in the config file must be a table of NAME = VALUES")
    if not config_grid:
        sweep_table = None
    cfg = build_config(chosen, doc)
    start_up(cfg.data, None)
    check_reports_root(resolve(cfg.report.output_dir))  # a file there: refused before any work
    texts, table = _grid_inputs(grid)
    limit = max_combinations or MAX_COMBINATIONS
    merged = {**(sweep_table or {}), **table}
    grid_obj = build_grid(chosen.params_model, cfg.params, texts, merged, limit)
    refusal = grid_obj.heatmap_refusal(pairs)
    if refusal:
        raise BadInputError(refusal)
    setup = load_sweep(chosen, cfg, grid_obj, project_root(), engine)
    if on_setup is not None:
        on_setup(setup)
    prior = recorded_trials(resolve(cfg.report.output_dir) / chosen.name)
    options = StudyOptions(
        metric=metric,
        chunk_size=chunk_size,
        progress=progress,
        blocks=blocks,
        check=check,
        top=top,
        walk_forward=walk,
        seed=seed,
        prior_trials=prior,
        parts=resolve(cfg.report.output_dir) / chosen.name,
        resume=resume,
    )
    with make_executor(executor, scheduler, workers) as pool:
        executor_name = pool.describe() if hasattr(pool, "describe") else "local"
        study = run_study(setup, pool, options)
    benchmarks = simulate_benchmarks(cfg, setup.data, setup.period)
    bench_stats = stats_table(benchmarks, beta_returns(cfg, setup.data, setup.period))
    bench_table = bench_stats.loc[["cagr", "sharpe", "max_drawdown"]].T.astype(float)
    shown = command or shown_call("sweep", chosen.name, grid=grid, metric=metric, **values)
    return SweepResult(
        study=study,
        setup=setup,
        config=cfg,
        benchmarks=bench_table,
        benchmark_equity=pd.concat({n: r.equity for n, r in benchmarks.items()}, axis=1),
        command=shown,
        executor=executor_name,
        heatmaps=pairs,
        heatmap_others=heatmap_others,
        seconds=time.perf_counter() - started,
    )
