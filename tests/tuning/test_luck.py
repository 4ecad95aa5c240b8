"""The deflated Sharpe ratio against the main benchmark, and DSR/PBO reconciled in words."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from engine.inference.luck import ExcessSharpe, excess_deflated_sharpe, reconcile
from engine.inference.overfitting import PBOResult, deflated_sharpe, deflated_sharpe_of_returns
from engine.paths import PROJECT_ROOT
from engine.report.sweep.report import SweepReport, write_sweep_report
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.study import StudyOptions, run_study
from engine.tuning.sweep import daily_returns, load_sweep
from tests.tuning.conftest import RSI_TRIM, rsi_config


def test_excess_dsr_is_the_plain_dsr_when_the_benchmark_earns_nothing():
    rng = np.random.default_rng(5)
    returns = rng.normal(0.0005, 0.01, 1500)
    trials = rng.normal(0.02, 0.01, 40)
    plain = deflated_sharpe_of_returns(returns, trials, 40, 0.0)
    excess = excess_deflated_sharpe(returns, np.zeros_like(returns), trials, 40)
    assert dataclasses.asdict(excess) == pytest.approx(dataclasses.asdict(plain), rel=1e-14)
    # a benchmark with the same returns leaves nothing: no variance, no Sharpe ratio
    assert np.isnan(excess_deflated_sharpe(returns, returns, trials, 40).sharpe)


def _pbo(value: float) -> PBOResult:
    empty = np.zeros(0)
    return PBOResult(value, 70, 70, 8, empty, empty, empty, 0.2)


def test_reconcile_words_when_dsr_and_pbo_disagree():
    high = deflated_sharpe(0.05, 6000, 54, 1e-5, 0.0, 3.0)
    assert high.probability > 0.99
    text = reconcile(high, None, _pbo(0.73))
    assert "unlikely to be luck given 54 trials" in text
    assert "below-median performer out of sample 73% of the time" in text
    assert "unstable" in text
    assert reconcile(high, None, _pbo(0.10)) == ""  # both say "real": nothing to reconcile
    low = deflated_sharpe(0.001, 500, 54, 1e-4, 0.0, 3.0)
    assert "the edge is not proven" in reconcile(low, None, _pbo(0.2))
    weak = ExcessSharpe("SPY buy & hold", low, "")
    assert "in excess of SPY buy & hold are not" in reconcile(high, weak, _pbo(0.1))


@pytest.fixture(scope="module")
def study(walk_data):
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=60,70,80", "lower=40,50"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    with LocalExecutor() as ex:
        return run_study(setup, ex, StudyOptions(check=1, blocks=8, progress=False))


def test_study_excess_dsr_against_spy_computed_independently(study, walk_data):
    setup, window = study.sweep.setup, study.sweep.window
    e = study.dsr_excess
    assert e is not None and e.benchmark == "SPY buy & hold"
    # SPY as the single-run benchmark trades it: in cash until the first fill `lag` sessions
    # after the window's start, bought at that close paying fees and slippage, then held.
    bt = setup.cfg.backtest
    cost = 1.0 / ((1 + bt.fees_bps / 1e4) * (1 + bt.slippage_bps / 1e4))
    spy = walk_data.adj_close["SPY"].to_numpy()[window.start : window.end + 1]
    equity = np.ones(len(spy))
    equity[bt.lag :] = cost * spy[bt.lag :] / spy[bt.lag]
    spy_daily = equity[1:] / equity[:-1] - 1
    every = daily_returns(setup, list(range(setup.n_combos)), window)[:, 1:] - spy_daily
    sharpes = every.mean(axis=1) / every.std(axis=1, ddof=1)
    best = every[study.sweep.best_row]
    expected = deflated_sharpe_of_returns(best, sharpes, setup.n_combos, 0.0)
    assert e.dsr.sharpe == pytest.approx(best.mean() / best.std(ddof=1), rel=1e-12)
    assert e.dsr.sr_variance == pytest.approx(sharpes.var(ddof=1), rel=1e-10)
    assert e.dsr.probability == pytest.approx(expected.probability, rel=1e-10)


def test_summary_json_carries_the_excess_dsr(study, tmp_path):
    report = SweepReport(run_id="x1", command="sweep", study=study, versions={"python": "3.11"})
    folder = write_sweep_report(report, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    excess = summary["deflated_sharpe_excess"]
    assert excess["benchmark"] == "SPY buy & hold"
    assert excess["probability"] == pytest.approx(study.dsr_excess.dsr.probability)
    assert summary["dsr_pbo_reconciliation"] == study.reconciliation
    assert "Against SPY buy & hold rather than zero" in (folder / "report.md").read_text()


def test_study_runs_spa_and_stepm_against_spy_and_zero(study, walk_data, tmp_path):
    """The sweep's SPA p-value is arch's SPA on the same daily returns, recomputed here."""
    from arch.bootstrap import SPA

    from engine.tuning.benchmark import main_benchmark_returns

    s = study.snooping
    assert s is not None and s.benchmark is not None
    setup, window = study.sweep.setup, study.sweep.window
    assert s.rows[0] == study.sweep.best_row and len(s.rows) == setup.n_combos == 6
    returns = daily_returns(setup, s.rows, window)[:, 1:].T
    bench = main_benchmark_returns(setup.cfg, walk_data, window.start, window.end)
    spa = SPA(-bench, -returns, block_size=s.benchmark.block_length, reps=s.benchmark.reps,
              bootstrap="stationary", seed=0)  # fmt: skip
    spa.compute()
    assert s.benchmark.p_value == pytest.approx(float(spa.pvalues["consistent"]))
    assert 0.0 <= s.zero.p_value <= 1.0 and s.zero.reference == "zero"
    report = SweepReport(run_id="x2", command="sweep", study=study, versions={"python": "3.11"})
    folder = write_sweep_report(report, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["spa_stepm"]["benchmark"]["spa_p"] == pytest.approx(s.benchmark.p_value)
    assert "Hansen's SPA p =" in (folder / "report.md").read_text()
