"""Plausible settings that used to give silently wrong results are refused, with the fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import engine as rl
from engine.data.validation import cash_series_problem
from engine.errors import ConfigError, DataQualityError
from engine.simulate.portfolio import cash_returns_from_series
from tests.helpers import MIRROR


@pytest.fixture(scope="module")
def sections(tmp_path_factory) -> dict:
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    iso = tmp_path_factory.mktemp("silent")
    return {
        "data": {
            "cache_dir": str(iso / "cache"),
            "mirror_dir": str(MIRROR),
            "providers": ["cache", "mirror"],
        },
        "report": {"output_dir": str(iso / "reports")},
    }


def test_a_fund_read_as_a_yield_is_refused_and_read_as_a_price_runs(sections) -> None:
    """BIL (about 91) read as a 91% yield once turned $100k of cash into $129 million."""
    backtest = {"start": "2019-01-02", "end": "2020-12-31", "cash_ticker": "BIL"}
    with pytest.raises(ConfigError) as caught:
        rl.run("fixed_mix", backtest=backtest, **sections)
    assert "backtest.cash_ticker = 'BIL' is read as an annual yield in percent" in str(caught.value)
    assert 'set backtest.cash_ticker_kind = "price"' in str(caught.value)
    r = rl.run("fixed_mix", backtest={**backtest, "cash_ticker_kind": "price"}, **sections)
    assert abs(r.stats.loc["cagr", "fixed_mix"]) < 0.5  # a plausible return, not 46% a year


def test_a_yield_read_as_a_price_is_refused() -> None:
    index = pd.bdate_range("2021-01-04", periods=6)
    irx = pd.Series([0.05, 0.02, 0.05, 0.04, 0.0, 0.03], index=index, name="^IRX")
    with pytest.raises(ConfigError, match="moved 150% in one session"):
        cash_returns_from_series(irx, "price")
    mostly_zero = pd.Series([0.0, 0.0, 0.01, 0.0, -0.01, 0.0], index=index, name="^IRX")
    with pytest.raises(ConfigError, match="most of its values are at or below 0"):
        cash_returns_from_series(mostly_zero, "price")
    positive = irx + 0.01
    assert "moved 300% in one session (2021-01-11)" in cash_series_problem(positive, "price")
    assert cash_series_problem(irx, "annual_yield_pct") is None
    bil = pd.Series([91.4, 91.41, 91.42], index=index[:3], name="BIL")
    assert cash_series_problem(bil, "price") is None
    # a real yield in percent: 5% a year is (1.05)^(1/252) - 1 a session
    flat = pd.Series([5.0, 5.0, 5.0], index=index[:3], name="^IRX")
    daily = cash_returns_from_series(flat, "annual_yield_pct")
    assert daily.iloc[1] == pytest.approx(1.05 ** (1 / 252) - 1, rel=1e-12)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["first10days", "other"], "benchmarks.0.name = 'first10days' is the strategy's name"),
        (["SPY", "spy"], "benchmarks.1.name = 'spy' names two benchmarks"),
    ],
)
def test_benchmarks_named_like_the_strategy_or_each_other_are_refused(sections, names, expected):
    """Once the strategy's column was replaced, or one of two benchmarks silently dropped."""
    overrides = [
        "benchmarks=[" + ", ".join(f'{{name="{n}", weights={{SPY=1.0}}}}' for n in names) + "]"
    ]
    backtest = {"start": "2020-01-02", "end": "2020-03-31"}
    with pytest.raises(rl.BadInputError, match=expected):
        rl.run("first10days", overrides=overrides, backtest=backtest, **sections)


def test_a_benchmark_name_with_a_control_character_is_refused() -> None:
    with pytest.raises(rl.BadInputError, match=r"control character \('\\x1b'\)"):
        rl.run("first10days", overrides=['benchmarks=[{name="a\\u001b[31m", weights={SPY=1.0}}]'])


def _mirror_with_iwm(tmp: Path, iwm: pd.DataFrame) -> Path:
    """The mirror (linked) with `iwm` in place of IWM's file."""
    folder = tmp / "mirror"
    folder.mkdir()
    for path in MIRROR.glob("*.csv"):
        if path.stem != "IWM":
            (folder / path.name).symlink_to(path)
    iwm.to_csv(folder / "IWM.csv", index=False)
    return folder


def _split_mirror(tmp: Path) -> Path:
    """The mirror with a copy of IWM holding an unadjusted 10x split in 2021."""
    frame = pd.read_csv(MIRROR / "IWM.csv")
    later = frame["date"] >= "2021-06-01"
    for column in ("open", "high", "low", "close", "adj_close"):
        frame.loc[later, column] = frame.loc[later, column] / 10
    return _mirror_with_iwm(tmp, frame)


def test_strict_makes_a_data_warning_fatal(tmp_path, capsys) -> None:
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    from engine.cli.main import main
    from strategies import discover

    data = {"mirror_dir": str(_split_mirror(tmp_path)), "providers": ["mirror"]}
    backtest = {"start": "2021-01-04", "end": "2021-12-31"}
    lenient = rl.run("first10days", data=data, backtest=backtest)
    warned = "1 data validation finding(s) of warning level or above; see the data section."
    assert warned in lenient.notes  # only flagged, and the run published
    with pytest.raises(DataQualityError, match=r"data\.strict is set and the data has a warn"):
        rl.run("first10days", data={**data, "strict": True}, backtest=backtest)
    argv = ["first10days", "--strict", "--no-report"]
    argv += ["--set", f"data.mirror_dir='{data['mirror_dir']}'"]
    argv += ["--set", "data.providers=['mirror']", "--set", "backtest.start=2021-01-04"]
    argv += ["--set", "backtest.end=2021-12-31"]
    assert main(discover(), argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: data.strict is set and the data has a warning: IWM")
    assert len(err.strip().splitlines()) == 1
    # compare: --strict applies to every strategy compared
    defaults = tmp_path / "defaults.toml"
    defaults.write_text(
        f"[data]\nmirror_dir = '{data['mirror_dir']}'\nproviders = ['mirror']\n"
        "[backtest]\nstart = 2021-01-04\nend = 2021-12-31\n"
    )
    argv = ["compare", "first10days", "rsi_trim", "--defaults", str(defaults), "--no-report"]
    assert main(discover(), argv) == 0
    capsys.readouterr()
    assert main(discover(), [*argv, "--strict"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: data.strict is set and the data has a warning: IWM")


def test_one_ticker_ending_early_is_named_in_the_period_note(tmp_path) -> None:
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    frame = pd.read_csv(MIRROR / "IWM.csv")
    folder = _mirror_with_iwm(tmp_path, frame[frame["date"] <= "2021-06-30"])
    data = {"mirror_dir": str(folder), "providers": ["mirror"]}
    r = rl.run("first10days", data=data, backtest={"start": "2021-01-04", "end": "2021-12-31"})
    assert str(r.period[1])[:10] == "2021-06-30"
    note = r.input.period_note
    assert "IWM's data end 128 session(s) before the other tickers' (2021-12-31)" in note
    assert "update IWM's data" in note


def test_a_few_sessions_get_no_interval_and_no_verdict() -> None:
    """One daily return once read 'active return -338% a year (interval -338% to -338%,
    p < 0.001): luck alone is unlikely to explain it'."""
    from engine.inference.verdicts import MIN_SESSIONS, active_return, rng_for, with_minimum_sample
    from engine.report.verdict_text import active_line

    index = pd.bdate_range("2024-01-02", periods=5)
    strategy = pd.Series([-0.0134, 0.001, 0.002, -0.001, 0.0], index=index)
    bench = pd.Series([0.0, 0.0, 0.001, 0.0, 0.001], index=index)
    a = with_minimum_sample(active_return(strategy, bench, "SPY", rng_for("SPY")))
    assert a.sessions == 5 < MIN_SESSIONS
    assert a.mean_active == pytest.approx((strategy - bench).mean() * 252)  # still reported
    assert all(pd.isna(v) for v in (a.mean_low, a.mean_high, a.mean_p, a.cagr_low, a.cagr_p))
    line = active_line(a)
    assert line.endswith("too short a record to tell.")
    assert "luck alone" not in line and "p < 0.001" not in line
