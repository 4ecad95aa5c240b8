"""Sweeps on the real IWM/SPY history from the offline mirror (skipped when it is absent)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli.main import main
from engine.config.run_config import load_config
from engine.paths import PROJECT_ROOT
from engine.simulate.oracle import oracle_combination
from engine.simulate.pipeline import simulate_strategy
from engine.tuning.grid import build_grid
from engine.tuning.sweep import load_sweep
from tests.helpers import MIRROR
from tests.tuning.conftest import RSI_TRIM, STRATEGIES

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}"),
]


def _overrides(tmp) -> list[str]:
    return [
        f"data.cache_dir='{tmp / 'cache'}'",
        f"report.output_dir='{tmp / 'reports'}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
    ]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("sweep-real")


@pytest.fixture(scope="module")
def real_setup(tmp):
    cfg = load_config(RSI_TRIM, overrides=[*_overrides(tmp), "backtest.fees_bps=2"])
    axes = ["upper=60:85:5", "lower=30,40,50", "n=7:21:7", "destination=SPY,cash"]
    grid = build_grid(RSI_TRIM.params_model, cfg.params, axes)
    return load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT)


def test_kernel_matches_vectorbt_on_sampled_real_combinations(real_setup):
    setup = real_setup
    assert setup.engine == "batch" and setup.n_combos == 108
    assert (setup.period.start.date().isoformat(), setup.period.end.date().isoformat()) == (
        "2000-05-26",
        "2026-08-21",
    )
    window = setup.window(16)
    rows = np.random.default_rng(42).choice(setup.n_combos, size=4, replace=False)
    fast = setup.plan.core.run(setup.plan.select(rows), window).stats[:, 0]
    base = setup.cfg.params
    models = [base.model_copy(update=c) for c in setup.table.iloc[rows].to_dict("records")]
    runs = [oracle_combination(setup.strategy, setup.cfg, setup.data, p, window) for p in models]
    engine = np.array([run.equity.iloc[-1] for run in runs])
    np.testing.assert_allclose(fast, engine, rtol=1e-9)
    assert len(set(np.round(engine, 2))) == 4  # four genuinely different results


def test_default_row_equals_a_single_run_of_the_strategy(real_setup):
    setup = real_setup
    single = simulate_strategy(setup.strategy, setup.cfg, setup.data, setup.period)
    window = setup.window(1)
    row = setup.plan.core.run(setup.plan.select(np.array([setup.default_row])), window)
    assert row.stats[0, 0] == pytest.approx(single.equity.iloc[-1], rel=1e-9)
    assert row.stats[0, 8] == len(single.orders)


def test_cli_sweep_with_walk_forward_writes_the_report(tmp, capsys):
    args = ["sweep", "rsi_trim", "--grid", "upper=65:75:5", "--grid", "lower=40,50"]
    args += ["--grid", "n=7,14", "--walk-forward", "train=8y,test=4y", "--no-progress"]
    for item in _overrides(tmp):
        args += ["--set", item]
    assert main(STRATEGIES, args) == 0
    out = capsys.readouterr().out
    assert "rsi_trim: 12 combinations, 6,598 sessions 2000-05-26..2026-08-21" in out
    assert "deflated Sharpe ratio of the best" in out and "walk-forward train=8y" in out
    # The folder the command itself names (a glob of the strategy folder could match the trials
    # ledger or another test's sweep in this module's shared tmp folder).
    report_line = next(line for line in out.splitlines() if line.startswith("report: "))
    folder = Path(report_line.removeprefix("report: ")).parent
    assert folder.parent == tmp / "reports" / "rsi_trim" and folder.name.startswith("sweep-")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["combinations_tried"] == 12 and summary["engine"] == "batch"
    assert summary["engine_check"]["passed"] is True
    windows = pd.read_csv(folder / "walk_forward.csv")
    assert windows["test_start"].iloc[0] == "2008-05-27" and len(windows) == 5


def test_first10days_sweep_rows_equal_single_runs(tmp):
    strategy = STRATEGIES["first10days"]
    cfg = load_config(strategy, overrides=_overrides(tmp))
    grid = build_grid(strategy.params_model, cfg.params, ["lead_days=5,10"])
    setup = load_sweep(strategy, cfg, grid, PROJECT_ROOT)
    assert setup.default_in_grid
    result = setup.plan.core.run(setup.plan.payload(0, setup.n_combos), setup.window())
    params = strategy.params_model(lead_days=5)
    single = simulate_strategy(
        strategy, dataclasses.replace(cfg, params=params), setup.data, setup.period
    )
    assert result.stats[0, 0] == single.equity.iloc[-1]
