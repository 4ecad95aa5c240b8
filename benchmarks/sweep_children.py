"""What each fresh child process of benchmarks/sweep_benchmark.py measures: a whole `sweep`
command, a sweep's compute (or the whole streamed sweep) with its peak memory, and the same grid
through vectorbt's own broadcasting. Each returns a dict the parent prints; nothing is asserted.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIRROR = (ROOT / ".." / "shared" / "market-data").resolve()

VECTORBT_GRIDS = {
    "rsi_trim": {"upper": "60:85:5", "lower": "30:50:10", "n": "7:28:7", "cooldown": "0:5:5"},
    "small_cap_lead": {"lookback_days": "5:60:5", "spread_threshold": "-0.01:0.03:0.01"},
}


def _overrides(cache: str) -> list[str]:
    return [f"data.cache_dir='{cache}'", f"data.mirror_dir='{MIRROR}'",
            "data.providers=['cache', 'mirror']"]  # fmt: skip


def _config_with_grid(name: str, grid: dict[str, Any], folder: Path) -> Path:
    """The strategy's default config file with `grid` as its [sweep] table."""
    import tomli_w

    from engine.config.run_config import read_toml
    from strategies import discover

    doc = read_toml(discover()[name].default_config)
    doc["sweep"] = grid
    path = folder / f"{name}.toml"
    path.write_bytes(tomli_w.dumps(doc).encode())
    return path


def run_command(name: str, grid: dict[str, Any], report: bool) -> dict[str, Any]:
    """One whole sweep command in this (fresh) process: wall time, peak RSS, combinations, and
    with the report the sweep's own phase timings (summary.json) plus the report's writing."""
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    from engine.__main__ import command_line_collector
    from engine.cli.main import main
    from strategies import discover

    command_line_collector()  # as the command line's process runs

    folder = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    config = _config_with_grid(name, grid, folder)
    argv = ["sweep", name, "--config", str(config), "--no-progress"]
    argv += [] if report else ["--no-report"]
    for item in [*_overrides(str(folder / "cache")), f"report.output_dir='{folder / 'reports'}'"]:
        argv += ["--set", item]
    import contextlib
    import io

    spent = _time_report() if report else {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(discover(), argv)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{name}: exit {code}\n{out.getvalue()}")
    head = out.getvalue().splitlines()[0]
    combos = int(head.split(": ", 1)[1].split(" combinations")[0].replace(",", ""))
    phases: dict[str, float] = {}
    for summary in (folder / "reports").glob("*/sweep-*/summary.json"):
        phases = dict(json.loads(summary.read_text()).get("timings_s", {}))
    phases.update(spent)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,  # the whole process, every thread
        "combinations": combos,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "line": head,
        "phases": phases,
    }


def _time_report() -> dict[str, float]:
    """Seconds the API spends writing the report (`report_s`), by wrapping its method in this
    benchmark's own process; the command runs unchanged."""
    from engine.api import sweep_grid

    spent: dict[str, float] = {}
    cls = getattr(sweep_grid, "SweepResult", None)
    original = getattr(cls, "report", None)
    if original is None:
        return spent

    def report(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent["report_s"] = time.perf_counter() - started

    cls.report = report  # type: ignore[union-attr]
    return spent


def _loaded(name: str, axes: Any, start: str | None = None) -> tuple[Any, float, Any, float]:
    """(sweep setup, seconds to load it, its window, seconds of the first (compiling) call)."""
    sys.path.insert(0, str(ROOT))
    from engine.config.run_config import apply_overrides, build_config, read_toml
    from engine.tuning.grid import build_grid
    from engine.tuning.sweep import load_sweep
    from strategies import discover

    strategy = discover()[name]
    doc = read_toml(strategy.default_config)
    doc.pop("sweep", None)
    sets = _overrides(tempfile.mkdtemp()) + ([f"backtest.start='{start}'"] if start else [])
    cfg = build_config(strategy, apply_overrides(doc, sets))
    if isinstance(axes, dict):
        grid = build_grid(strategy.params_model, cfg.params, (), axes, 10**8)
    else:
        grid = build_grid(strategy.params_model, cfg.params, axes, max_combinations=10**8)
    started = time.perf_counter()
    setup = load_sweep(strategy, cfg, grid, ROOT)
    load_s = time.perf_counter() - started
    window = setup.window(16)
    started = time.perf_counter()
    setup.plan.core.run(setup.plan.payload(0, 2), window)  # compile or load numba's cache
    return setup, load_s, window, time.perf_counter() - started


def measure_compute(name: str, axes: Any, reference_axes: Any, repeats: int) -> dict[str, Any]:
    """A strategy's sweep compute on its grid and the fused rsi_trim kernel on
    `reference_axes`, timed in turn `repeats` times in this one process, the fastest of each:
    the machine's speed drifts over minutes, so a ratio of two figures taken side by side is
    steadier than one of figures from different processes."""
    from benchmarks.fused_rsi_trim import measure_fused
    from engine.tuning.executors import LocalExecutor
    from engine.tuning.sweep import default_chunk_size, run_plan

    setup, _, window, _ = _loaded(name, axes)
    reference = setup if name == "rsi_trim" else _loaded("rsi_trim", reference_axes)[0]
    measure_fused(reference, repeats=1)  # compile
    seconds, fused, floor = float("inf"), float("inf"), float("inf")
    with LocalExecutor() as executor:
        size = default_chunk_size(setup, executor.workers)
        for _ in range(repeats):
            timed = measure_fused(reference, repeats=1)
            fused, floor = min(fused, timed["seconds"]), min(floor, timed["floor_seconds"])
            setup.plan.core.forget_decisions()  # decided again each time
            started = time.perf_counter()
            run_plan(setup.plan, setup.plan_size, window, executor, size, lambda *a: None, False)
            seconds = min(seconds, time.perf_counter() - started)
    return {
        "combinations": setup.n_combos,
        "seconds": seconds,
        "per_combo_us": seconds / setup.plan_size * 1e6,
        "fused_combinations": len(reference.table),
        "fused_seconds": fused,
        "fused_us": fused / len(reference.table) * 1e6,
        "floor_us": floor / len(reference.table) * 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_scale(
    name: str,
    axes: Any,
    stream: bool = False,
    start: str | None = None,
    fused: bool = False,
) -> dict[str, Any]:
    """The sweep's compute for one grid, after loading and the first call; with `stream`,
    the whole `run_sweep`: every row to a Parquet dataset (in a temporary folder, counted and
    removed) and the bounded summaries in memory; with `fused` (rsi_trim), the fused reference
    kernel on the same grid too (benchmarks/fused_rsi_trim)."""
    sys.path.insert(0, str(ROOT))
    import numba
    import numpy as np
    import pyarrow.parquet as pq

    from engine.stats.sweep_columns import STAT_COLUMNS
    from engine.tuning.executors import LocalExecutor
    from engine.tuning.sweep import default_chunk_size, run_plan, run_sweep

    setup, load_s, window, first_s = _loaded(name, axes, start)
    rows, disk = 0, 0
    kept = np.full((setup.n_combos, len(STAT_COLUMNS)), np.nan) if fused else None

    def keep_stats(start_row: int, stop_row: int, result: Any) -> None:
        if kept is not None:
            stop_row = min(stop_row, setup.n_combos)
            kept[start_row:stop_row] = result.stats[: stop_row - start_row]

    with LocalExecutor() as executor, tempfile.TemporaryDirectory() as parts:
        size = default_chunk_size(setup, executor.workers)
        started = time.perf_counter()
        if stream:
            result = run_sweep(setup, executor, chunk_size=size, progress=False, parts=Path(parts))
            seconds = time.perf_counter() - started
            files = list(result.dataset.glob("part-*.parquet"))
            rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            disk = sum(f.stat().st_size for f in files)
        else:
            run_plan(setup.plan, setup.plan_size, window, executor, size, keep_stats, False)
            seconds = time.perf_counter() - started
    extra = {}
    if fused:
        from benchmarks.fused_rsi_trim import measure_fused

        extra = {f"fused_{k}": v for k, v in measure_fused(setup, kept).items()}
    return {
        **extra,
        "load_s": load_s,
        "dataset_rows": rows,
        "dataset_gb": disk / 1e9,
        "combinations": setup.n_combos,
        "sessions": len(setup.index),
        "seconds": seconds,
        "per_combo_us": seconds / setup.plan_size * 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "first_call_s": first_s,
        "threads": numba.get_num_threads(),
    }


def compare_vectorbt(name: str) -> dict[str, Any]:
    """The same grid through the kernel and through vectorbt's column-group broadcasting."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    from engine.config.run_config import apply_overrides, build_config, read_toml
    from engine.simulate.pipeline import trim_weights
    from engine.tuning.grid import build_grid
    from engine.tuning.sweep import load_sweep
    from strategies import discover

    strategy = discover()[name]
    doc = read_toml(strategy.default_config)
    doc.pop("sweep", None)
    cfg = build_config(strategy, apply_overrides(doc, _overrides(tempfile.mkdtemp())))
    grid = build_grid(strategy.params_model, cfg.params, (), VECTORBT_GRIDS[name])
    setup = load_sweep(strategy, cfg, grid, ROOT)
    window = setup.window(1)
    n = setup.n_combos
    core = setup.plan.core
    core.run(setup.plan.payload(0, 2), window)  # compile
    started = time.perf_counter()
    kernel = core.run(setup.plan.payload(0, n), window).stats[:, 0]
    kernel_s = time.perf_counter() - started

    started = time.perf_counter()
    index = setup.index
    chunk = setup.plan.payload(0, n)
    frames = []
    for members, decisions, first in core.decisions(chunk):
        view_index = setup.data.index[first:]
        for k, j in enumerate(members):
            frame = decisions.frame(k).set_axis(view_index)
            frames.append((int(j), trim_weights(frame, index)))
    frames.sort(key=lambda item: item[0])
    tickers = sorted({c for _, f in frames for c in f.columns})
    wide = pd.concat(
        [f.reindex(columns=tickers) for _, f in frames], axis=1, keys=[j for j, _ in frames]
    )
    orders = wide.shift(cfg.backtest.lag)  # decided at t, traded at t + lag
    close = setup.data.adj_close.loc[index, tickers]
    close_wide = pd.concat([close] * n, axis=1, keys=range(n))
    fee = cfg.backtest.fees_bps / 1e4
    slip = cfg.backtest.slippage_bps / 1e4
    pf = vbt.Portfolio.from_orders(
        close=close_wide,
        size=orders,
        size_type="targetpercent",
        direction="longonly",
        fees=fee,
        slippage=slip,
        init_cash=cfg.backtest.initial_cash,
        group_by=close_wide.columns.get_level_values(0),
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )
    final = pf.value().iloc[-1].to_numpy()
    vbt_s = time.perf_counter() - started
    gap = float(np.max(np.abs(kernel / final - 1.0)))
    return {
        "strategy": name,
        "combinations": n,
        "sessions": len(index),
        "kernel_s": kernel_s,
        "vectorbt_s": vbt_s,
        "max_gap": gap,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
