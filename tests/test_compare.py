"""`compare`: several strategies on their common period (engine, CLI, and real data).

Two test-only strategies run on synthetic prices with known histories:
    AAA 2019-01-02 .. 2021-10-29, BBB 2019-03-01 .. 2021-12-31, CCC and DDD the whole range.
`hold` holds AAA (benchmarks on AAA and DDD, beta AAA): alone it runs 2019-01-02 .. 2021-10-29.
`switch` alternates BBB and CCC every `every` sessions from its first loaded session (start
2019-02-01, lookback 5; benchmark DDD): alone it runs 2019-03-01 .. 2021-12-31.
So the common period is 2019-03-01 (BBB's first date, for switch) to 2021-10-29 (AAA's last
date, for hold).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from engine.api.comparison import (
    build_contenders,
    compare,
    contender_view,
    return_correlations,
    route_overrides,
    run_comparison,
)
from engine.api.report_input import run_strategy
from engine.cli.main import main
from engine.config.run_config import load_config
from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, ConfigError
from engine.paths import PROJECT_ROOT
from engine.report.compare.report import expected_files, render_compare_summary
from engine.report.toolkit.format import format_value
from tests.helpers import MIRROR, market_data, random_walk

# --------------------------------------------------------------------------- test strategies


class HoldParams(Strict):
    ticker: str = "AAA"


class SwitchParams(Strict):
    first: str = "BBB"
    second: str = "CCC"
    every: int = Field(default=21, ge=1, le=250)


def hold_weights(data: MarketData, params: HoldParams) -> pd.DataFrame:
    weights = pd.DataFrame(np.nan, index=data.index, columns=[params.ticker])
    weights.iloc[0] = 1.0
    return weights


def switch_weights(data: MarketData, params: SwitchParams) -> pd.DataFrame:
    """Calendar-only rule: its phase depends on the first session of the data it is given."""
    weights = pd.DataFrame(np.nan, index=data.index, columns=[params.first, params.second])
    for k, i in enumerate(range(0, len(data.index), params.every)):
        weights.iloc[i] = [1.0, 0.0] if k % 2 == 0 else [0.0, 1.0]
    return weights


def _toml(params: str, start: str, benchmarks: str, beta: str, root: Path) -> str:
    return f"""{params}
[backtest]
start = {start}
fees_bps = 0.0
slippage_bps = 0.0

[data]
providers = ["mirror"]
mirror_dir = "{root / "mirror"}"
cache_dir = "{root / "cache"}"

[report]
output_dir = "{root / "reports"}"
beta_benchmark = "{beta}"

{benchmarks}"""


HOLD_BENCHMARKS = """[[benchmarks]]
name = "AAA buy & hold"
weights = { AAA = 1.0 }

[[benchmarks]]
name = "AAA/DDD monthly"
weights = { AAA = 0.5, DDD = 0.5 }
rebalance = "monthly"

[[benchmarks]]
name = "AAA buy & hold"
weights = { DDD = 1.0 }
"""
SWITCH_BENCHMARKS = """[[benchmarks]]
name = "DDD buy & hold"
weights = { DDD = 1.0 }
"""


def synthetic_prices() -> pd.DataFrame:
    prices = random_walk(["AAA", "BBB", "CCC", "DDD"], "2019-01-02", "2021-12-31", seed=3)
    prices.loc[:"2019-02-28", "BBB"] = np.nan
    prices.loc["2021-11-01":, "AAA"] = np.nan
    return prices


def make_strategies(root: Path) -> dict[str, Strategy]:
    """The two test strategies, their default TOMLs in `root`, and a price mirror there."""
    root.mkdir(parents=True, exist_ok=True)
    hold_toml, switch_toml = root / "hold.toml", root / "switch.toml"
    hold_toml.write_text(_toml('ticker = "AAA"', "2019-01-01", HOLD_BENCHMARKS, "AAA", root))
    switch_toml.write_text(
        _toml(
            'first = "BBB"\nsecond = "CCC"\nevery = 21',
            "2019-02-01",
            SWITCH_BENCHMARKS,
            "DDD",
            root,
        )
    )
    mirror = root / "mirror"
    mirror.mkdir(exist_ok=True)
    for ticker, series in synthetic_prices().items():
        prices = series.dropna().round(6)
        frame = pd.DataFrame(
            {
                "open": prices,
                "high": prices,
                "low": prices,
                "close": prices,
                "adj_close": prices,
                "volume": 1000,
            }
        )
        frame.index.name = "date"
        frame.to_csv(mirror / f"{ticker}.csv", date_format="%Y-%m-%d")
    hold = Strategy(
        name="hold",
        description="Hold one ticker.",
        params_model=HoldParams,
        default_config=hold_toml,
        tickers=lambda p: [p.ticker],
        target_weights=hold_weights,
        lookback_sessions=lambda p: 5,
    )
    switch = Strategy(
        name="switch",
        description="Alternate two tickers every N sessions.",
        params_model=SwitchParams,
        default_config=switch_toml,
        tickers=lambda p: [p.first, p.second],
        target_weights=switch_weights,
        lookback_sessions=lambda p: 5,
    )
    return {"hold": hold, "switch": switch}


def synthetic_comparison(root: Path, *overrides: str, specs=("hold", "switch")):
    """(strategies, contenders, CompareInput) on the in-memory synthetic prices."""
    strategies = make_strategies(root)
    contenders = build_contenders(list(specs), strategies, overrides=list(overrides))
    data = market_data(synthetic_prices())
    return strategies, contenders, run_comparison(contenders, data, "test", run_id="run-1")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_comparison(tmp_path_factory.mktemp("compare"))


# --------------------------------------------------------------------------- the common period


def test_common_period_is_the_intersection_with_its_reasons(synthetic):
    _, _, inp = synthetic
    own = {s.label: s.own_period for s in inp.strategies}
    assert own == {
        "hold": (dt.date(2019, 1, 2), dt.date(2021, 10, 29)),
        "switch": (dt.date(2019, 3, 1), dt.date(2021, 12, 31)),
    }
    assert inp.period == (dt.date(2019, 3, 1), dt.date(2021, 10, 29))
    assert "starts on the first date of BBB" in inp.period_note
    assert "for switch; ends on the last date of AAA" in inp.period_note
    assert inp.period_note.rstrip().endswith("on this same period.")
    for result in inp.results.values():
        assert result.equity.index[0] == pd.Timestamp("2019-03-01")
        assert result.equity.index[-1] == pd.Timestamp("2021-10-29")


def test_a_requested_start_can_set_the_common_start(tmp_path):
    _, _, inp = synthetic_comparison(tmp_path, "switch.backtest.start=2019-06-03")
    assert inp.period == (dt.date(2019, 6, 3), dt.date(2021, 10, 29))
    assert "starts on the requested start 2019-06-03 for switch" in inp.period_note


def test_periods_that_do_not_overlap_are_refused(tmp_path):
    with pytest.raises(Exception, match="share no period"):
        synthetic_comparison(tmp_path, "switch.backtest.start=2021-11-01")


def test_each_strategy_decides_on_the_prices_its_own_run_loads(synthetic):
    """switch's phase depends on its first loaded session: its view starts at its own window."""
    _, contenders, inp = synthetic
    switch = next(c for c in contenders if c.label == "switch")
    view = contender_view(market_data(synthetic_prices()), switch)
    assert view.index[0] == pd.Timestamp("2019-01-25")  # 5 sessions before 2019-02-01
    assert view.tickers == ["BBB", "CCC", "DDD"]
    target = inp.strategies[1].result.target_weights
    # Rows every 21 sessions from 2019-01-25; the one in force on 2019-03-01 (decided on
    # 2019-02-26, the 22nd session, so CCC) is carried in as the first row.
    assert target.iloc[0].tolist() == [0.0, 1.0]
    assert target.index[target.notna().any(axis=1)][1] == pd.Timestamp("2019-03-27")


def test_compare_equals_a_standalone_run_on_the_same_period(tmp_path):
    """Through the data loader: switch alone, ending where the comparison ends, is identical."""
    strategies = make_strategies(tmp_path)
    contenders = build_contenders(["hold", "switch"], strategies)
    inp = compare(contenders, PROJECT_ROOT, "test", run_id="run-1")
    cfg = load_config(strategies["switch"], overrides=["backtest.end=2021-10-29"])
    alone = run_strategy(strategies["switch"], cfg, PROJECT_ROOT, "test")
    assert alone.period == inp.period
    mine = inp.strategies[1].result
    pd.testing.assert_series_equal(mine.equity, alone.strategy.equity, check_names=False)
    pd.testing.assert_frame_equal(mine.orders, alone.strategy.orders)
    # the data was loaded once: every ticker of both strategies and their benchmarks
    assert sorted(inp.data.tickers) == ["AAA", "BBB", "CCC", "DDD"]


# --------------------------------------------------------------------------- series and stats


def test_series_benchmarks_from_the_first_config_deduplicated(synthetic):
    _, _, inp = synthetic
    assert inp.labels == ["hold", "switch"]
    assert list(inp.benchmarks) == ["AAA buy & hold", "AAA/DDD monthly"]  # first definition
    assert inp.benchmarks_from == "hold"
    columns = ["hold", "switch", "AAA buy & hold", "AAA/DDD monthly"]
    assert list(inp.stats.columns) == columns
    assert list(inp.yearly.columns) == columns
    assert list(inp.correlations.columns) == columns
    assert any("appear more than once" in n for n in inp.notes)
    # the kept "AAA buy & hold" holds AAA, not DDD (the dropped repeat)
    assert inp.benchmarks["AAA buy & hold"].weights.columns.tolist() == ["AAA"]


def test_yearly_returns_are_hand_checked(synthetic):
    """No costs and fractional shares: a 2020 fully in AAA returns AAA's 2020 price change."""
    _, _, inp = synthetic
    prices = synthetic_prices()
    aaa_2020 = (
        prices.at[pd.Timestamp("2020-12-31"), "AAA"] / prices.at[pd.Timestamp("2019-12-31"), "AAA"]
    )
    assert inp.yearly.at[2020, "AAA buy & hold"] == pytest.approx(aaa_2020 - 1, rel=1e-9)
    assert inp.yearly.at[2020, "hold"] == pytest.approx(aaa_2020 - 1, rel=1e-9)
    assert inp.yearly.index.tolist() == [2019, 2020, 2021]


def test_correlations_equal_numpy_corrcoef(synthetic):
    _, _, inp = synthetic
    returns = np.vstack([r.returns.to_numpy()[1:] for r in inp.results.values()])
    expected = np.corrcoef(returns)
    np.testing.assert_allclose(inp.correlations.to_numpy(), expected, rtol=1e-12, atol=1e-14)
    assert list(inp.correlations.index) == list(inp.results)
    # hold and the AAA benchmark hold the same ticker from the same day: perfectly correlated
    assert inp.correlations.at["hold", "AAA buy & hold"] == pytest.approx(1.0, abs=1e-12)


def test_a_series_that_never_moves_has_no_correlation(synthetic):
    _, _, inp = synthetic
    flat = inp.strategies[0].result
    still = dataclasses.replace(flat, returns=flat.returns * 0.0)
    corr = return_correlations({"flat": still, "switch": inp.strategies[1].result})
    assert np.isnan(corr.at["flat", "switch"])
    assert corr.at["switch", "switch"] == pytest.approx(1.0)


def test_terminal_summary_one_row_per_series(synthetic):
    _, _, inp = synthetic
    text = render_compare_summary(inp)
    answer, table = text.split("\n\n")
    lines = table.splitlines()
    assert lines[0] == "compare: 2019-03-01 to 2021-10-29"
    assert (lines[1].split()) == [
        "CAGR",
        "Annual",
        "volatility",
        "Sharpe",
        "Sortino",
        "Max",
        "drawdown",
        "Calmar",
    ]
    body = {line.split()[0]: line for line in lines[3:]}
    assert set(body) == {"hold", "switch", "AAA", "AAA/DDD"}
    cagr = format_value(inp.stats.at["cagr", "switch"], "pct")
    calmar = format_value(inp.stats.at["calmar", "switch"], "ratio")
    assert body["switch"].split()[1] == cagr and body["switch"].split()[-1] == calmar
    # the answer first: the most and the least by CAGR, then the main benchmark's Sharpe bar
    stats = inp.stats
    top, bottom = sorted(["hold", "switch"], key=lambda n: -stats.at["cagr", n])
    assert " ".join(answer.split()).startswith(
        f"From 2019-03-01 to 2021-10-29, {top} made the most "
        f"({format_value(stats.at['cagr', top], 'pct')} a year, Sharpe "
        f"{format_value(stats.at['sharpe', top], 'ratio')}) and {bottom} the least"
    )
    main = next(iter(inp.benchmarks))
    beat = [n for n in ("hold", "switch") if stats.at["sharpe", n] > stats.at["sharpe", main]]
    expected = f"{len(beat)} of 2 have" if beat else "None of the 2 has"
    assert f"{expected} a higher Sharpe ratio than {main}" in " ".join(answer.split())


# --------------------------------------------------------------------------- overrides and labels


def test_overrides_are_routed_to_their_strategy(tmp_path):
    strategies = make_strategies(tmp_path)
    contenders = build_contenders(
        ["hold", "switch", "switch@fast"],
        strategies,
        overrides=["switch@fast.every=5", "hold.backtest.fees_bps=3", "switch.every=30"],
    )
    by_label = {c.label: c for c in contenders}
    assert by_label["switch@fast"].cfg.params.every == 5
    assert by_label["switch"].cfg.params.every == 30
    assert by_label["hold"].cfg.backtest.fees_bps == 3.0
    assert by_label["switch"].cfg.backtest.fees_bps == 0.0  # from its TOML, untouched
    assert by_label["switch@fast"].strategy is strategies["switch"]


def test_route_overrides_keeps_dots_and_equals_in_values():
    routed = route_overrides(["a@x.data.mirror_dir='/p/q.r=s'", "a.lead=1"], ["a", "a@x"])
    assert routed == {"a": ["lead=1"], "a@x": ["data.mirror_dir='/p/q.r=s'"]}


def test_a_strategy_twice_under_labels(tmp_path):
    _, _, inp = synthetic_comparison(
        tmp_path, "switch@fast.every=5", specs=("switch", "switch@fast")
    )
    assert inp.labels == ["switch", "switch@fast"]
    assert inp.strategies[1].config["every"] == 5 and inp.strategies[0].config["every"] == 21
    fast = inp.strategies[1].result.orders
    slow = inp.strategies[0].result.orders
    assert len(fast) > 3 * len(slow)
    assert list(inp.benchmarks) == ["DDD buy & hold"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hold", "switch", "--set", "nosuch.every=3"], "'nosuch' is not one of the compared"),
        (["hold", "switch", "--set", "every=3"], "expected LABEL.KEY=VALUE"),
        (["hold", "switch", "--set", "backtest.fees_bps=3"], "(hold, switch)"),
        (["hold", "switch", "--set", "switch@x.every=3"], "'switch@x' is not one of"),
        (["hold", "switch@fast", "--set", "switch@fast.evry=3"], "did you mean 'every'"),
        (["hold", "switch@fast", "--set", "switch@fast.evry=3"], "switch@fast: "),
        (["hold", "hold"], "listed twice"),
        (["hold", "nosuch"], "unknown strategy 'nosuch'"),
        (["hold", "switch@a+b"], "the label after '@'"),
        (["hold"], "at least two strategies"),
        (["hold", "switch", "--config", "nosuch=x.toml"], "'nosuch' is not one of"),
        (["hold", "switch", "--config", "x.toml"], "expected LABEL=FILE"),
        (["hold", "switch", "--config", "hold=/no/such.toml"], "does not exist"),
        (["hold", "switch", "--set", "switch.data.providers=['mirror', 'cache']"], "[data]"),
    ],
)
def test_bad_compare_input_exits_2(tmp_path, capsys, argv, message):
    strategies = make_strategies(tmp_path)
    assert main(strategies, ["compare", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_unknown_prefix_message_lists_the_compared_strategies(tmp_path):
    strategies = make_strategies(tmp_path)
    with pytest.raises(BadInputError) as info:
        build_contenders(["hold", "switch@b"], strategies, overrides=["switchb.every=3"])
    assert "(hold, switch@b)" in str(info.value)


def test_config_file_replaces_one_strategys_default(tmp_path):
    strategies = make_strategies(tmp_path)
    other = tmp_path / "other.toml"
    text = strategies["switch"].default_config.read_text().replace("every = 21", "every = 7")
    other.write_text(text)
    contenders = build_contenders(
        ["switch", "switch@seven"], strategies, configs=[f"switch@seven={other}"]
    )
    assert [c.cfg.params.every for c in contenders] == [21, 7]
    with pytest.raises(ConfigError, match="switch@seven: "):
        build_contenders(
            ["switch", "switch@seven"],
            strategies,
            configs=[f"switch@seven={other}"],
            overrides=["switch@seven.every=0"],
        )


# --------------------------------------------------------------------------- the CLI


def test_cli_writes_the_comparison_report(tmp_path, capsys):
    strategies = make_strategies(tmp_path)
    argv = ["compare", "hold", "switch@fast", "--set", "switch@fast.every=5"]
    assert main(strategies, argv) == 0
    out = capsys.readouterr().out
    assert "compare: 2019-03-01 to 2021-10-29" in out
    [folder] = [p for p in (tmp_path / "reports" / "compare").iterdir() if p.is_dir()]
    assert f"report: {folder / 'report.html'}" in out
    names = {p.name for p in folder.iterdir()}
    assert names == expected_files(["hold", "switch@fast"])
    assert "weights_switch@fast.csv" in names and "exposure_switch@fast.png" in names
    run = json.loads((folder / "run.json").read_text())
    assert run["command"] == "python run_backtest.py " + " ".join(argv)
    assert [s["label"] for s in run["strategies"]] == ["hold", "switch@fast"]
    assert run["strategies"][1]["config"]["every"] == 5
    assert run["period"]["start"] == "2019-03-01" and run["period"]["end"] == "2021-10-29"
    assert run["data"]["tickers"]["BBB"]["provider"] == "mirror"


def test_cli_no_report_writes_nothing(tmp_path, capsys):
    strategies = make_strategies(tmp_path)
    assert main(strategies, ["compare", "hold", "switch", "--no-report"]) == 0
    assert "report:" not in capsys.readouterr().out
    assert not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- real data

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")


def _isolated(tmp: Path, labels: list[str]) -> list[str]:
    out = []
    for label in labels:
        out += [
            f"--set={label}.data.cache_dir='{tmp / 'cache'}'",
            f"--set={label}.report.output_dir='{tmp / 'reports'}'",
            f"--set={label}.data.mirror_dir='{MIRROR}'",
            f"--set={label}.data.providers=['cache', 'mirror']",
        ]
    return out


@pytest.fixture(scope="module")
def real_compare(tmp_path_factory):
    from strategies import discover

    tmp = tmp_path_factory.mktemp("real-compare")
    labels = ["first10days", "first10days@n15"]
    argv = ["compare", *labels, "--set", "first10days@n15.lead_days=15", *_isolated(tmp, labels)]
    strategies = discover()
    code = main(strategies, argv)
    strategy = strategies["first10days"]
    overrides = [o.removeprefix("--set=first10days.") for o in _isolated(tmp, ["first10days"])]
    alone = run_strategy(strategy, load_config(strategy, overrides=overrides), PROJECT_ROOT, "t")
    [folder] = [p for p in (tmp / "reports" / "compare").iterdir() if p.is_dir()]
    return code, folder, alone


@pytest.mark.realdata
@needs_mirror
def test_first10days_against_itself_with_15_days(real_compare):
    code, folder, alone = real_compare
    assert code == 0
    assert {p.name for p in folder.iterdir()} == expected_files(["first10days", "first10days@n15"])
    run = json.loads((folder / "run.json").read_text())
    assert (run["period"]["start"], run["period"]["end"]) == ("2000-05-26", "2026-08-21")
    assert "the first date of IWM" in run["period"]["note"]
    assert [s["config"]["lead_days"] for s in run["strategies"]] == [10, 15]
    assert run["strategies"][0]["own_period"]["start"] == "2000-05-26"
    assert len(run["data"]["fingerprint_sha256"]) == 64
    assert run["benchmarks"]["names"] == [
        "SPY buy & hold",
        "IWM buy & hold",
        "50/50 IWM/SPY monthly",
    ]
    equity = pd.read_csv(folder / "equity.csv", index_col="date", parse_dates=True)
    # first10days with its defaults on the same period is exactly its own run
    np.testing.assert_array_equal(equity["first10days"].to_numpy(), alone.strategy.equity)
    np.testing.assert_array_equal(
        equity["SPY buy & hold"].to_numpy(), alone.benchmarks["SPY buy & hold"].equity
    )
    assert equity["first10days@n15"].iloc[-1] != pytest.approx(equity["first10days"].iloc[-1])
    corr = pd.read_csv(folder / "correlations.csv", index_col=0)
    assert 0.9 < corr.at["first10days", "first10days@n15"] < 1.0
    # n15 never holds IWM in a year's first 15 sessions; n10 does from the 11th when IWM led
    iwm = {
        label: pd.read_csv(folder / f"weights_{label}.csv", index_col=0, parse_dates=True)["IWM"]
        for label in ("first10days", "first10days@n15")
    }
    early_n10 = []
    for year in range(2001, 2027):
        n15 = iwm["first10days@n15"][iwm["first10days@n15"].index.year == year]
        n10 = iwm["first10days"][iwm["first10days"].index.year == year]
        assert (n15.iloc[:15] < 1e-9).all(), year
        early_n10.append(bool((n10.iloc[10:15] > 0.99).all()))
    assert sum(early_n10) >= 5  # IWM led after 10 sessions in several years
