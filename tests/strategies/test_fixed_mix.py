"""fixed_mix: calendar rows on hand-listed dates, drift bands crossed at hand-computed prices,
the shipped press configs, and real-data runs checked against the mirror's CSV files."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from engine.api.report_input import run_strategy
from engine.calendar import nyse_sessions
from engine.config.run_config import load_config
from engine.paths import PROJECT_ROOT
from engine.simulate.portfolio import static_mix_weights
from engine.tuning.grid import build_grid
from strategies import discover
from strategies.fixed_mix import STRATEGY, Params, rebalances
from tests.helpers import MIRROR, market_data, mirror_overrides, random_walk

CONFIGS = PROJECT_ROOT / "strategies" / "configs"


def _dates(frame: pd.DataFrame) -> list[str]:
    return [str(pd.Timestamp(d).date()) for d in frame.index]


def _flat_pair(start: str, end: str) -> pd.DataFrame:
    index = nyse_sessions(start, end)
    return pd.DataFrame({"A": 100.0, "B": 50.0}, index=index)


MONTH_ENDS = [
    "2019-11-29",
    "2019-12-31",
    "2020-01-31",
    "2020-02-28",
    "2020-03-31",
    "2020-04-30",
    "2020-05-29",
    "2020-06-30",
    "2020-07-31",
    "2020-08-31",
    "2020-09-30",
    "2020-10-30",
    "2020-11-30",
    "2020-12-31",
    "2021-01-29",
]


@pytest.mark.parametrize(
    ("rebalance", "expected"),
    [
        ("none", []),
        ("monthly", MONTH_ENDS),
        ("quarterly", ["2019-12-31", "2020-03-31", "2020-06-30", "2020-09-30", "2020-12-31"]),
        ("yearly", ["2019-12-31", "2020-12-31"]),
    ],
)
def test_rows_on_the_first_session_and_each_calendar_period_end(rebalance, expected):
    """The data ends on 2021-02-10, which closes no period, so it is no rebalance."""
    prices = _flat_pair("2019-11-01", "2021-02-10")
    params = Params(weights={"A": 0.6, "B": 0.3}, rebalance=rebalance, band=0.0)
    rows = STRATEGY.weights(market_data(prices), params).dropna(how="all")
    assert _dates(rows) == ["2019-11-01", *expected]
    assert (rows["A"] == 0.6).all() and (rows["B"] == 0.3).all()


def test_the_first_row_waits_for_every_ticker_and_nothing_follows_the_data_end():
    prices = _flat_pair("2020-01-02", "2020-04-30")
    prices.iloc[:3, 1] = np.nan  # B starts on the 4th session
    prices.loc["2020-03-20":, :] = np.nan  # the data ends before the March month end
    params = Params(weights={"A": 0.5, "B": 0.5}, rebalance="monthly", band=0.0)
    rows = STRATEGY.weights(market_data(prices), params).dropna(how="all")
    assert _dates(rows) == ["2020-01-07", "2020-01-31", "2020-02-28"]


def _stepped(b_prices: list[float]) -> pd.DataFrame:
    index = nyse_sessions("2021-03-01", "2021-03-31")[: len(b_prices)]
    return pd.DataFrame({"A": 100.0, "B": b_prices}, index=index)


def test_the_band_fires_when_a_weight_first_drifts_past_it():
    """50/50, band 5 points, A flat. B's weight is x/(1+x), x = B's price relative since the
    last rebalance: over 0.55 once x > 11/9 = 1.2222. 122 -> 0.5495 (no), 123 -> 0.5516 (yes,
    new anchor 123); 150/123 = 1.2195 -> 0.5495 (no), 151/123 -> 0.5511 (yes, anchor 151);
    140/151 -> 0.4811 (no); 120/151 -> 0.4429, 5.7 points below (yes)."""
    prices = _stepped([100, 110, 120, 122, 123, 130, 150, 151, 140, 120])
    params = Params(weights={"A": 0.5, "B": 0.5}, rebalance="none", band=0.05)
    table = rebalances(market_data(prices), params)
    days = prices.index
    assert table.index.tolist() == [days[0], days[4], days[7], days[9]]
    assert table["reason"].tolist() == ["start", "band", "band", "band"]
    assert table.loc[days[4], "B_drifted"] == pytest.approx(1.23 / 2.23, rel=1e-12)
    assert table.loc[days[7], "max_drift"] == pytest.approx(
        (151 / 123) / (1 + 151 / 123) - 0.5, rel=1e-12
    )
    assert table.loc[days[9], "A_drifted"] == pytest.approx(1 / (1 + 120 / 151), rel=1e-12)
    rows = STRATEGY.weights(market_data(prices), params).dropna(how="all")
    assert rows.index.tolist() == table.index.tolist()


def test_the_band_counts_the_cash_part():
    """60% A, 40% cash, band 10 points: A's weight 0.6x/(0.6x+0.4) passes 0.7 once x > 14/9."""
    index = nyse_sessions("2021-03-01", "2021-03-31")[:4]
    prices = pd.DataFrame({"A": [100.0, 150, 155, 156]}, index=index)  # 1.55 -> 0.6992: no
    table = rebalances(market_data(prices), Params(weights={"A": 0.6}, rebalance="none", band=0.1))
    assert table.index.tolist() == [prices.index[0], prices.index[3]]
    assert table["A_drifted"].iloc[1] == pytest.approx(0.936 / 1.336, rel=1e-12)


def test_a_calendar_rebalance_restarts_the_drift():
    """B rises 20% into the January month end (weight 0.5455, inside the band), is rebalanced
    there, then rises 2% more: 1.224 from the start would be 0.5504 (outside), but from the
    month end it is only 0.505."""
    index = nyse_sessions("2021-01-04", "2021-02-05")
    b = pd.Series(100.0, index=index)
    b["2021-01-29":] = 120.0
    b["2021-02-01":] = 122.4
    prices = pd.DataFrame({"A": 100.0, "B": b})
    params = Params(weights={"A": 0.5, "B": 0.5}, rebalance="monthly", band=0.05)
    table = rebalances(market_data(prices), params)
    assert _dates(table) == ["2021-01-04", "2021-01-29"]
    assert table["reason"].tolist() == ["start", "calendar"]
    without_calendar = params.model_copy(update={"rebalance": "none"})
    assert _dates(rebalances(market_data(prices), without_calendar)) == ["2021-01-04", "2021-02-01"]


@pytest.mark.parametrize("rebalance", ["none", "monthly", "quarterly", "yearly"])
def test_without_a_band_it_matches_the_engines_static_mix(rebalance):
    """The engine's benchmark mixes are built independently (from the data's own periods); on
    data ending on a year end both give the same rows."""
    prices = random_walk(["A", "B", "C"], "2018-01-02", "2020-12-31", seed=4)
    weights = {"A": 0.5, "B": 0.2, "C": 0.25}
    mine = STRATEGY.weights(
        market_data(prices), Params(weights=weights, rebalance=rebalance, band=0)
    )
    engine = static_mix_weights(prices.index, weights, rebalance)
    pd.testing.assert_frame_equal(mine, engine, check_names=False, check_freq=False)


def test_the_trader_playbook_is_the_default_and_ships_as_a_config():
    strategy = discover()["fixed_mix"]
    default = load_config(strategy)
    playbook = load_config(strategy, CONFIGS / "fixed_mix_trader_playbook.toml")
    assert playbook.as_dict() == default.as_dict()
    w = default.params.weights
    # Against the SPY 50 / QQQ 25 / IWM 25 core: IWM +10 points, QQQ cut by a fifth, XLI + XLF.
    assert w["IWM"] == 0.35 and w["QQQ"] == pytest.approx(0.25 * 0.8) and w["SPY"] == 0.30
    assert w["XLI"] == w["XLF"] == 0.075
    assert sum(w.values()) == pytest.approx(1.0)


def test_the_long_term_config_has_the_press_sleeves():
    cfg = load_config(discover()["fixed_mix"], CONFIGS / "fixed_mix_long_term.toml")
    w = cfg.params.weights
    assert w["IWM"] == pytest.approx(0.30)  # small caps
    assert sum(w[t] for t in ("XLI", "XLF", "XLB", "XLE")) == pytest.approx(0.20)  # cyclicals
    assert sum(w[t] for t in ("XLV", "XLP", "XLU")) == pytest.approx(0.20)  # value proxy
    assert w["SPY"] == pytest.approx(0.30)  # core: the rest
    assert sum(w.values()) == pytest.approx(1.0)
    assert (cfg.params.rebalance, cfg.params.band) == ("yearly", 0.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": {"SPY": 0.7, "IWM": 0.4}}, "at most 1"),
        ({"weights": {}}, "at least 1"),
        ({"band": -0.01}, "greater than or equal to 0"),
        ({"rebalance": "weekly"}, "quarterly"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


# --------------------------------------------------------------------------- real data

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")


def _csv(tickers: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t: pd.read_csv(MIRROR / f"{t}.csv", index_col="date", parse_dates=True)["adj_close"]
            for t in tickers
        }
    )


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fixed_mix")
    strategy = discover()["fixed_mix"]
    overrides = mirror_overrides(tmp)
    runs = {}
    for name, path in {"playbook": None, "long_term": CONFIGS / "fixed_mix_long_term.toml"}.items():
        cfg = load_config(strategy, path, overrides)
        runs[name] = (cfg.params, run_strategy(strategy, cfg, PROJECT_ROOT, "test"))
    return runs


def _drift(prices: pd.DataFrame, target: pd.Series, anchor: pd.Timestamp) -> pd.Series:
    """Largest |weight - target| per session since `anchor`, recomputed from the CSV prices."""
    held = prices.loc[anchor:].div(prices.loc[anchor]).mul(target)
    weights = held.div(held.sum(axis=1) + (1 - target.sum()), axis=0)
    return weights.sub(target).abs().max(axis=1)


@pytest.mark.realdata
@needs_mirror
def test_playbook_on_real_data(real_runs):
    params, inp = real_runs["playbook"]
    assert inp.period == (pd.Timestamp("2000-05-26").date(), pd.Timestamp("2026-08-21").date())
    table = inp.tables["rebalances"]
    prices = _csv(list(params.weights)).loc["2000-05-26":"2026-08-21"]
    quarter_ends = prices.groupby(prices.index.to_period("Q")).tail(1).index[:-1]  # Q3 2026 open
    calendar = table.index[table["reason"] == "calendar"]
    assert calendar.tolist() == quarter_ends.tolist()
    target = pd.Series(params.weights)
    bands = table.index[table["reason"] == "band"]
    assert len(bands) >= 3
    for day in bands:  # the band was crossed that day and not on any session before it
        anchor = table.index[table.index < day][-1]
        drift = _drift(prices, target, anchor).loc[:day]
        assert drift.iloc[-1] > params.band
        assert (drift.iloc[:-1] <= params.band).all()
    # Wanted rows are exactly the table's dates (the first carried to the period start).
    wanted = inp.strategy.target_weights.dropna(how="all")
    assert wanted.index.tolist() == table.index.tolist()


@pytest.mark.realdata
@needs_mirror
def test_long_term_mix_on_real_data_matches_an_independent_replay(real_runs):
    """Replay from the CSVs: buy the mix at the close after each decision (lag 1), hold the
    shares to the next one; the engine's result differs only by 2 bps costs on what is traded."""
    params, inp = real_runs["long_term"]
    assert inp.period == (pd.Timestamp("2000-05-26").date(), pd.Timestamp("2026-08-21").date())
    table = inp.tables["rebalances"]
    assert table["reason"].iloc[0] == "start"
    assert all(d.month == 12 for d in table.index[1:])
    target = pd.Series(params.weights)
    prices = _csv(list(target.index)).loc["2000-05-26":"2026-08-21"]
    trades = [prices.index.get_loc(d) + 1 for d in table.index]
    values, weights = prices.to_numpy(), target.to_numpy()
    value = 1.0
    for start, end in zip(trades, [*trades[1:], len(prices) - 1], strict=True):
        value *= float(weights @ (values[end] / values[start]))  # buy at start, hold to end
    equity = inp.strategy.equity
    assert equity.iloc[-1] / equity.iloc[0] == pytest.approx(value, rel=2e-3)
    yearly = inp.strategy.weights.loc["2010-01-04"]  # the session after a year-end decision
    assert np.allclose(yearly[target.index], target, atol=1e-3)


# --------------------------------------------------------------------------- batch form


def test_a_batch_of_three_bands_by_hand():
    """The stepped prices above (50/50, A flat, B's weight x/(1+x)): a 5-point band rebalances
    on sessions 0, 4, 7, 9 (as above); a 10-point band needs x > 1.5: 150/100 gives exactly
    0.6 (not more), 151/100 fires on session 7, after which 140/151 and 120/151 stay within 10
    points; no band leaves only the start row."""
    prices = _stepped([100, 110, 120, 122, 123, 130, 150, 151, 140, 120])
    data = market_data(prices)
    base = Params(weights={"A": 0.5, "B": 0.5}, rebalance="none", band=0.0)
    table = pd.DataFrame({"band": [0.05, 0.10, 0.0]})
    batch = STRATEGY.decide(data, base, table)
    assert [batch.events(j)[0].tolist() for j in range(3)] == [[0, 4, 7, 9], [0, 7], [0]]
    assert batch.palette.tolist() == [[0.5, 0.5]]  # one allocation, stored once
    for j in range(3):
        single = base.model_copy(update={"band": float(table["band"].iloc[j])})
        pd.testing.assert_frame_equal(batch.frame(j), STRATEGY.weights(data, single))
        assert batch.events(j)[0].tolist() == [
            prices.index.get_loc(d) for d in rebalances(data, single).index
        ]


BATCH_PRICES = random_walk(["A", "B", "C"], "2012-01-01", "2015-12-31", seed=21)
BATCH_PRICES.iloc[200:203, 1] = np.nan  # a gap: those sessions are skipped
BATCH_BASE = Params(weights={"A": 0.4, "B": 0.3, "C": 0.2}, rebalance="quarterly", band=0.02)


def test_swept_weight_maps_keep_the_table_order():
    data = market_data(BATCH_PRICES)
    maps = [{"A": 0.5, "B": 0.5}, {"A": 0.4, "B": 0.3, "C": 0.2}, {"A": 0.5, "B": 0.5}]
    table = pd.DataFrame({"weights": pd.array(maps, dtype="object"), "band": [0.01, 0.02, 0.05]})
    batch = STRATEGY.decide(data, BATCH_BASE, table)
    for j in range(3):
        single = STRATEGY.weights(
            data, BATCH_BASE.model_copy(update={"weights": maps[j], "band": table.band[j]})
        )
        pd.testing.assert_frame_equal(batch.frame(j)[single.columns], single, check_exact=True)


def test_the_default_sweep_grid_builds():
    doc = tomllib.loads(discover()["fixed_mix"].default_config.read_text())
    grid = build_grid(Params, BATCH_BASE, toml_sweep=doc["sweep"])
    assert grid.size == 44
    table, data = grid.table(), market_data(BATCH_PRICES)
    batch = STRATEGY.decide(data, BATCH_BASE, table)
    assert batch.n_combos == 44
    # Combinations share drift computations while their anchors coincide: each still equals
    # its own single run.
    for j in range(44):
        single = BATCH_BASE.model_copy(update=table.iloc[j].to_dict())
        pd.testing.assert_frame_equal(batch.frame(j), STRATEGY.weights(data, single))


def test_explain_gives_the_largest_drift_and_the_next_quarter_end():
    """B rises 10% after the 2021-03-31 rebalance: 0.55 / 1.05 = 0.5238 and A 0.4762, both 2.4
    points off (the first listed is named), inside the 3-point band."""
    index = nyse_sessions("2021-03-01", "2021-04-15")
    b = pd.Series(100.0, index=index)
    b["2021-04-05":] = 110.0
    prices = pd.DataFrame({"A": 100.0, "B": b})
    params = Params(weights={"A": 0.5, "B": 0.5}, rebalance="quarterly", band=0.03)
    out = STRATEGY.explain(market_data(prices), params)
    assert out["inputs"] == (
        "quarterly rebalance; largest drift from the 2021-03-31 target on 2021-04-15: "
        "A 2.4 pts <= 3-pt band"
    )
    assert out["next_decision"] == "2021-06-30 (or any session a weight drifts past the 3-pt band)"
    assert STRATEGY.active_and_base is None
