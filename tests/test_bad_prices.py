"""Bad prices are never simulated: a zero, negative or non-finite price on a session a strategy
or a benchmark holds or trades is refused exactly like a missing one (exit 1, ticker, date, the
fix); on a session nothing holds it is a warning line on the terminal; rows dated where no daily
price can exist are flagged, not dropped silently.

The CLI cases run on a copy of the real mirror files in a temporary folder with one row edited
(skipped when the mirror is absent); the engine cases on small hand-made frames.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli.main import main
from engine.config.settings import BacktestSettings
from engine.errors import DataQualityError
from engine.simulate.portfolio import run_backtest, unusable_prices
from strategies import discover
from tests.helpers import MIRROR, market_data

STRATEGIES = discover()
TICKERS = ("SPY", "QQQ", "IWM", "DIA")
DAY = "2020-03-16"  # inside the run, held by the SPY and 50/50 benchmarks

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")


def mirror_copy(tmp: Path, edits: dict[str, dict[str, str]] | None = None) -> Path:
    """The first10days tickers' real mirror files, copied; edits: {ticker: {date: adj_close}}."""
    folder = tmp / "mirror"
    folder.mkdir()
    for ticker in TICKERS:
        shutil.copy(MIRROR / f"{ticker}.csv", folder / f"{ticker}.csv")
    for ticker, rows in (edits or {}).items():
        path = folder / f"{ticker}.csv"
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            cells = line.split(",")
            if cells[0] in rows:
                cells[5] = rows[cells[0]]
                lines[i] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
    return folder


def run(tmp: Path, mirror: Path, capsys, *extra: str) -> tuple[int, str, str]:
    argv = ["first10days", "--no-report", "--set", "backtest.start=2019-01-01"]
    for item in (
        f"data.cache_dir='{tmp / 'cache'}'",
        f"report.output_dir='{tmp / 'reports'}'",
        f"data.mirror_dir='{mirror}'",
        "data.providers=['cache', 'mirror']",
        *extra,
    ):
        argv += ["--set", item]
    code = main(STRATEGIES, argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@needs_mirror
@pytest.mark.parametrize(
    ("ticker", "value", "shown"),
    [("SPY", "0", "0"), ("IWM", "-5.25", "-5.25"), ("SPY", "0.000000", "0")],
)
def test_a_held_non_positive_price_is_refused_like_a_missing_one(
    tmp_path: Path, capsys, ticker: str, value: str, shown: str
) -> None:
    mirror = mirror_copy(tmp_path, {ticker: {DAY: value}})
    code, out, err = run(tmp_path, mirror, capsys)
    assert code == 1, err
    [message] = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    expected = f"would hold {ticker} on {DAY} but {ticker} has the unusable price {shown} then"
    assert expected in message
    assert "correct or remove that row in the source (the mirror CSV)" in message
    assert "CAGR" not in out and "Traceback" not in err  # no statistic was computed


@needs_mirror
def test_a_missing_price_and_a_zero_get_the_same_refusal_and_exit_code(tmp_path: Path, capsys):
    """The missing-price refusal (an empty field) is the reference the bad price mirrors."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code_missing, _, err_missing = run(
        tmp_path / "a", mirror_copy(tmp_path / "a", {"SPY": {DAY: ""}}), capsys
    )
    code_zero, _, err_zero = run(
        tmp_path / "b", mirror_copy(tmp_path / "b", {"SPY": {DAY: "0"}}), capsys
    )
    assert code_missing == code_zero == 1
    assert f"would hold SPY on {DAY} but SPY has no price then" in err_missing
    assert f"would hold SPY on {DAY} but SPY has the unusable price 0 then" in err_zero


@needs_mirror
def test_a_bad_price_nothing_holds_runs_and_is_one_warning_line(tmp_path: Path, capsys) -> None:
    """DIA is only compared, never held: the run goes on, and the terminal says so."""
    mirror = mirror_copy(tmp_path, {"DIA": {DAY: "0"}})
    code, out, err = run(tmp_path, mirror, capsys)
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith("data warning: DIA")]
    assert lines == [
        f"data warning: DIA: 1 row(s) have a missing, zero or negative price in adj_close ({DAY})"
    ]
    assert not (tmp_path / "reports").exists()  # --no-report wrote nothing


@needs_mirror
def test_rows_dated_before_the_calendar_or_in_the_future_are_flagged(tmp_path: Path, capsys):
    mirror = mirror_copy(tmp_path)
    path = mirror / "QQQ.csv"
    lines = path.read_text().splitlines()
    lines.insert(1, "1901-01-02,1,1,1,1,1,100")
    lines.append("2099-01-02,1,1,1,1,1,100")
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(tmp_path, mirror, capsys)
    assert code == 0, err
    [line] = [ln for ln in out.splitlines() if "QQQ: 2 row(s) dated" in ln]
    assert line.startswith("data warning: QQQ: 2 row(s) dated before 1925-12-01")
    assert f"1901-01-02 (line 2), 2099-01-02 (line {len(lines)})" in line
    assert "Fix the dates in the source" in line


# --------------------------------------------------------------------------- engine level

INDEX = pd.bdate_range("2024-01-01", periods=6)
PRICES = pd.DataFrame({"A": [10.0, 11, 12, 13, 14, 15], "B": [20.0, 20, 21, 22, 23, 24]}, INDEX)
NO_COSTS = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0)


def weights(rows: dict[int, list[float]]) -> pd.DataFrame:
    frame = pd.DataFrame(np.nan, index=INDEX, columns=["A", "B"])
    for i, row in rows.items():
        frame.iloc[i] = row
    return frame


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, -np.inf, np.nan])
def test_every_unusable_value_on_a_held_session_is_refused(bad: float) -> None:
    prices = PRICES.copy()
    prices.iloc[3, 0] = bad
    with pytest.raises(DataQualityError) as err:
        run_backtest(weights({0: [1.0, 0.0]}), market_data(prices), NO_COSTS)
    assert f"would hold A on {INDEX[3].date()}" in str(err.value)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_an_unusable_fill_price_is_refused_on_the_trade_session(bad: float) -> None:
    prices = PRICES.copy()
    prices.iloc[1, 1] = bad  # B bought on session 1 (decided on 0, lag 1)
    with pytest.raises(DataQualityError) as err:
        run_backtest(weights({0: [0.0, 1.0]}), market_data(prices), NO_COSTS)
    assert f"would trade at the fill price B on {INDEX[1].date()}" in str(err.value)


def test_a_bad_price_outside_the_holding_changes_nothing() -> None:
    """B is bad on session 4 but only held until the switch to A fills on session 2."""
    prices = PRICES.copy()
    prices.iloc[4, 1] = 0.0
    w = weights({0: [0.0, 1.0], 1: [1.0, 0.0]})
    got = run_backtest(w, market_data(prices), NO_COSTS)
    reference = run_backtest(w, market_data(PRICES), NO_COSTS)
    pd.testing.assert_series_equal(got.equity, reference.equity)
    # hand check: 1000 in B at 20 (session 1), sold at 21 (session 2) for A at 12
    assert got.equity.iloc[-1] == pytest.approx(1000 / 20 * 21 / 12 * 15)


def test_unusable_prices_marks_exactly_the_bad_cells() -> None:
    frame = pd.DataFrame({"A": [1.0, 0.0, -2.0, np.inf, np.nan, 1e-300]})
    assert unusable_prices(frame)["A"].tolist() == [False, True, True, True, True, False]


def test_a_cash_fund_with_a_zero_price_is_refused() -> None:
    from engine.simulate.portfolio import cash_returns_from_series

    fund = pd.Series([100.0, 100.01, 0.0, 100.03, 100.04, 100.05], index=INDEX)
    cash = cash_returns_from_series(fund, "price")
    with pytest.raises(DataQualityError) as err:
        run_backtest(weights({0: [0.5, 0.0]}), market_data(PRICES), NO_COSTS, cash_returns=cash)
    assert f"the cash series (backtest.cash_ticker) pays -1 on {INDEX[2].date()}" in str(err.value)


def test_selling_at_an_unusable_fill_price_is_refused() -> None:
    """A is held, then sold on session 3 (decided on 2) when its price is missing: refused like
    a purchase, never a position silently kept (or a crash on a zero price)."""
    for bad in (np.nan, 0.0):
        prices = PRICES.copy()
        prices.iloc[3, 0] = bad
        with pytest.raises(DataQualityError) as err:
            run_backtest(weights({0: [1.0, 0.0], 2: [0.0, 1.0]}), market_data(prices), NO_COSTS)
        assert f"would trade at the fill price A on {INDEX[3].date()}" in str(err.value)
