"""The whole pipeline and CLI on the real offline mirror (skipped when it is absent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.api.report_input import run_strategy
from engine.cli.main import main
from engine.config.run_config import load_config
from engine.paths import PROJECT_ROOT
from strategies import discover
from tests.helpers import MIRROR, mirror_overrides

STRATEGIES = discover()
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")


def _isolated(tmp: Path) -> list[str]:
    return [f"--set={o}" for o in mirror_overrides(tmp)]


def _overrides(tmp: Path, *extra: str) -> list[str]:
    return [*mirror_overrides(tmp), *extra]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    strategy = STRATEGIES["first10days"]
    cfg = load_config(strategy, overrides=_overrides(tmp))
    return tmp, run_strategy(strategy, cfg, PROJECT_ROOT, "test")


@pytest.mark.realdata
@needs_mirror
def test_first10days_on_real_data(default_run):
    _, inp = default_run
    assert inp.period == (pd.Timestamp("2000-05-26").date(), pd.Timestamp("2026-08-21").date())
    assert "IWM" in inp.period_note
    per_year = inp.tables["per_year"]
    decided = per_year[per_year["leader"].notna()]
    assert decided.index.tolist() == list(range(2001, 2027))
    # Spot checks against the mirror's values, recomputed independently from the CSV.
    raw = pd.read_csv(MIRROR / "IWM.csv", index_col="date", parse_dates=True)["adj_close"]
    expected_2026 = raw.loc["2026-01-15"] / raw.loc["2025-12-31"] - 1
    assert per_year.loc[2026, "IWM_ret"] == pytest.approx(expected_2026, rel=1e-12)
    assert per_year.loc[2026, "leader"] == "IWM"
    assert per_year.loc[2008, "signal"] == "base"
    assert not per_year.loc[2026, "year_complete"]
    # The strategy holds IWM exactly in the years IWM led, from the session after day 10.
    lead_years = decided.index[decided["signal"] == "lead"]
    held = inp.strategy.weights["IWM"]
    for year in lead_years:
        decision = pd.Timestamp(per_year.loc[year, "decision_date"])
        after = held.index[held.index > decision][0]
        assert held.loc[decision] == 0.0
        assert held.loc[after] > 0.99
    # SPY buy & hold equals SPY's own total return less one entry trade's costs.
    spy = inp.benchmarks["SPY buy & hold"].equity
    first_trade = spy.index[1]
    ratio = raw_spy_ratio(first_trade, spy.index[-1])
    assert spy.iloc[-1] / spy.iloc[0] == pytest.approx(ratio * (1 - 0.0002), rel=2e-4)


def raw_spy_ratio(start: pd.Timestamp, end: pd.Timestamp) -> float:
    spy = pd.read_csv(MIRROR / "SPY.csv", index_col="date", parse_dates=True)["adj_close"]
    return float(spy.loc[end] / spy.loc[start])


@pytest.mark.realdata
@needs_mirror
def test_overrides_change_the_result_and_are_reported(default_run, tmp_path):
    tmp, base = default_run
    strategy = STRATEGIES["first10days"]
    cfg = load_config(strategy, overrides=_overrides(tmp, "lead_days=15", "anchor=first_close"))
    other = run_strategy(strategy, cfg, PROJECT_ROOT, "test")
    assert other.config["lead_days"] == 15 and other.config["anchor"] == "first_close"
    assert "lead_days = 15" in other.config_toml
    changed = other.tables["per_year"]["signal"] != base.tables["per_year"]["signal"]
    assert changed.any()
    assert other.strategy.equity.iloc[-1] != pytest.approx(base.strategy.equity.iloc[-1])
    assert pd.Timestamp(other.tables["per_year"].loc[2020, "decision_date"]) == pd.Timestamp(
        "2020-01-23"
    )  # the 15th session of 2020


@pytest.mark.realdata
@needs_mirror
def test_cli_writes_the_full_report(tmp_path, capsys):
    code = main(STRATEGIES, ["first10days", *_isolated(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "CAGR" in out and "first10days" in out
    run_dir = next((tmp_path / "reports" / "first10days").glob("2*"))
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "report.html",
        "report.md",
        "equity.png",
        "drawdown.png",
        "stats.csv",
        "weights.csv",
        "orders.csv",
        "per_year.csv",
        "run.json",
    } <= names
    run = json.loads((run_dir / "run.json").read_text())
    assert run["config"]["lead_days"] == 10
    assert run["data"]["tickers"]["IWM"]["provider"] == "mirror"
    assert len(run["data"]["fingerprint_sha256"]) == 64
    assert run["versions"]["vectorbt"] == "1.2.0"
    per_year = pd.read_csv(run_dir / "per_year.csv", index_col="year")
    assert per_year.index.max() == 2026


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["nosuch"], 2, "unknown command 'nosuch'"),
        (["first10days", "--set", "lead_day=3"], 2, "did you mean 'lead_days'"),
        (["first10days", "--set", "backtest.fees_bps=-3"], 2, "backtest.fees_bps = -3"),
        (["first10days", "--config", "/no/such.toml"], 2, "does not exist"),
        (["data", "status", "--set", "lead_days=3"], 2, "data.KEY=VALUE"),
    ],
)
def test_cli_bad_input_exits_2_with_a_one_line_cause(argv, code, message, capsys):
    assert main(STRATEGIES, argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@needs_mirror
def test_cli_unknown_ticker_is_bad_input(tmp_path, capsys):
    argv = [
        "first10days",
        "--set",
        "base={ZZZQ = 1.0}",
        "--set",
        f"data.cache_dir='{tmp_path}'",
        "--set",
        f"data.mirror_dir='{MIRROR}'",
        "--set",
        "data.providers=['cache', 'mirror']",
    ]
    assert main(STRATEGIES, argv) == 2
    assert "ZZZQ" in capsys.readouterr().err


def test_help_lists_strategies_and_commands():
    out = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "run_backtest.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "first10days" in out and "data" in out and "list" in out


def test_list_shows_key_parameters(capsys):
    assert main(STRATEGIES, ["list"]) == 0
    out = capsys.readouterr().out
    assert "first10days:" in out and "lead_days = 10" in out
