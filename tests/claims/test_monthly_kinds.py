"""The monthly claims on six made-up years of factors whose answers are worked out by hand:
January SMB -> the market's year, -> SMB's rest of the year, and SMB in January vs the other
months; each era by era, and set beside a counterpart."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.claim_checks.eras import counterpart_lines, eras
from engine.claim_checks.kinds.january_signal import JanuarySignal
from engine.claim_checks.kinds.month_effect import MonthEffect, monthly_returns
from engine.claim_checks.runner import evaluate
from engine.data.factor_source import FactorData, factor_market_data
from engine.data.factors import FactorTable
from tests.helpers import market_data, random_walk

YEARS = [1930, 1931, 1932, 1933, 1934, 1935]
SMB_JAN = [2.0, -1.0, 3.0, 1.0, -2.0, 4.0]  # signal years (SMB > 0): 1930, 1932, 1933, 1935
SMB_FEB = [1.0, 1.0, -1.0, 2.0, -1.0, 0.0]  # the rest of the year is February alone
MKT_JAN = [1.0, -5.0, 1.0, 2.0, 1.0, -1.0]
MKT_FEB = [1.0, 0.0, -3.0, 0.0, 1.0, 2.0]
# market full year: 1930 +2.01%, 1931 -5%, 1932 -2.03%, 1933 +2%, 1934 +2.01%, 1935 +0.98%
STATS: dict[str, Any] = {"min_n": 2, "n_resamples": 500}
COMMON: dict[str, Any] = {"title": "t", "quotes": ["q"], "stats": STATS, "start_year": 1930}


def factor_data() -> FactorData:
    """December 1929, then 1930-1935: every month 0 except the January and February above."""
    months = pd.period_range("1929-12", "1935-12", freq="M", name="month")
    frame = pd.DataFrame(0.0, index=months, columns=["Mkt-RF", "SMB", "HML", "RF"])
    for i, year in enumerate(YEARS):
        jan, feb = pd.Period(f"{year}-01", "M"), pd.Period(f"{year}-02", "M")
        frame.loc[jan, ["Mkt-RF", "SMB"]] = [MKT_JAN[i], SMB_JAN[i]]
        frame.loc[feb, ["Mkt-RF", "SMB"]] = [MKT_FEB[i], SMB_FEB[i]]
    return FactorData(FactorTable(frame), "mirror", "test", "2026-01-01T00:00:00+00:00", "0", False)


def signal_def(**kw: Any) -> JanuarySignal:
    doc = {**COMMON, "name": "jan", "kind": "january_signal", **kw}
    return JanuarySignal.model_validate(doc)


def effect_def(**kw: Any) -> MonthEffect:
    return MonthEffect.model_validate({**COMMON, "name": "eff", "kind": "month_effect", **kw})


def by_key(result: Any) -> dict[str, Any]:
    return {f.key: f for f in result.findings}


def test_january_smb_then_the_market_year_by_hand():
    result = evaluate(signal_def(), factor_market_data(factor_data()))
    found = by_key(result)
    head = found["up_outcome_after_signal"]
    # compared with the other years (1 of 2 up), not with all years (4 of 6)
    assert (head.hits, head.n, head.base, head.base_n) == (3, 4, pytest.approx(1 / 2), 2)
    assert head.base_hits == 1
    other = found["up_outcome_other_years"]
    assert (other.hits, other.n) == (1, 2)
    means = found["mean_outcome_signal_vs_other"]
    signal_years = [1.01 * 1.01 - 1, 1.01 * 0.97 - 1, 0.02, 0.99 * 1.02 - 1]
    assert means.value == pytest.approx(np.mean(signal_years), abs=1e-12)
    assert means.base == pytest.approx(np.mean([-0.05, 1.01 * 1.01 - 1]), abs=1e-12)
    events = result.events
    assert list(events.index) == YEARS and events["signal"].tolist() == [
        True, False, True, True, False, True,
    ]  # fmt: skip
    assert events.loc[1932, "SMB_window_ret"] == pytest.approx(0.03, abs=1e-12)


def test_january_smb_then_smb_for_the_rest_of_the_year_by_hand():
    defn = signal_def(outcome_series="SMB", outcome="rest_of_year")
    head = by_key(evaluate(defn, factor_market_data(factor_data())))["up_outcome_after_signal"]
    # rest of year = February's SMB: 1930 +1 (up), 1932 -1, 1933 +2 (up), 1935 0 (not up)
    # the other years: 1931 (+1, up) and 1934: 1 of 2
    assert (head.hits, head.n, head.base, head.base_n) == (2, 4, pytest.approx(1 / 2), 2)


def test_the_january_effect_by_hand():
    result = evaluate(effect_def(), factor_market_data(factor_data()))
    found = by_key(result)
    means = found["month_vs_other_months"]
    assert means.n == 6 and means.base_n == 66  # December 1929 is before start_year
    assert means.value == pytest.approx(np.mean(SMB_JAN) / 100, abs=1e-12)
    assert means.base == pytest.approx(sum(SMB_FEB) / 100 / 66, abs=1e-12)
    share = found["month_positive_share"]
    assert (share.hits, share.n, share.base, share.base_n) == (4, 6, pytest.approx(3 / 66), 66)
    by_month = result.tables["by_month"]
    assert by_month.loc["January", "months"] == 6
    assert by_month.loc["February", "mean_ret"] == pytest.approx(2 / 6 / 100, abs=1e-12)


def test_every_claim_is_recomputed_era_by_era_side_by_side():
    data = factor_market_data(factor_data())
    defn = signal_def(era_breaks=[1933])
    assert eras(defn) == [
        ("all years", 1930, None),
        ("before 1933", 1930, 1932),
        ("1933 on", 1933, None),
    ]
    result = evaluate(defn, data)
    table = result.tables["eras"]
    head = table[table["finding"] == "up_outcome_after_signal"].set_index("era")
    assert list(head.index) == ["all years", "before 1933", "1933 on"]  # first, side by side
    assert head["years"].tolist() == ["1930-1935", "1930-1932", "1933-1935"]
    # before 1933: signal years 1930 (up), 1932 (down); of 1930-1932 only 1930 ended up, so
    # the one other year (1931) did not
    assert (head.loc["before 1933", "n"], head.loc["before 1933", "base_n"]) == (2, 1)
    assert head.loc["before 1933", "result"] == (
        "1 of 2 after the signal (50.0%) vs 0 of 1 otherwise (0.0%), p = 0.667"
    )
    assert head.loc["before 1933", "vs_base"] == "above"  # 50% against 0%
    assert head.loc["1933 on", "result"].startswith(
        "2 of 2 after the signal (100.0%) vs 1 of 1 otherwise (100.0%)"
    )
    assert head.loc["1933 on", "vs_base"] == "level"  # every year 1933-1935 ended up
    assert any(line.startswith("Era by era") for line in result.headline)
    effect = evaluate(effect_def(era_breaks=[1933]), data).tables["eras"]
    jan = effect[effect["finding"] == "month_vs_other_months"].set_index("era")
    assert jan.loc["before 1933", "result"].startswith("mean 1.33% vs")  # (2 - 1 + 3) / 3
    assert jan.loc["1933 on", "result"].startswith("mean 1.00% vs")  # (1 - 2 + 4) / 3


def test_a_counterpart_run_alongside_is_set_beside_the_claim():
    data = factor_market_data(factor_data())
    monthly = signal_def(
        era_breaks=[1933],
        counterpart={"claim": "other", "finding": "up_outcome_after_signal"},
    )
    other = signal_def(name="other", outcome_series="SMB", outcome="rest_of_year")
    results = [evaluate(monthly, data), evaluate(other, data)]
    counterpart_lines(results)
    line = results[0].headline[-1]
    assert line.startswith("Against other (its default conventions; n = 4 against 2")
    assert "2 of 4 (50.0%)" in line and "1933 on" in line
    # theirs: 2 of 4 = 50% = its base rate (level); ours, 1933 on: 100% = base rate (level)
    assert "lie on the same side of their base rates" in line
    table = results[0].tables["counterpart"]
    assert table["claim"].tolist() == ["jan", "jan", "other"]
    assert results[1].headline[-1].startswith("No figure")  # no counterpart: unchanged
    alone = [evaluate(monthly, data)]
    counterpart_lines(alone)
    assert alone[0].headline[-1].startswith("Its counterpart other was not run alongside")


def test_daily_month_returns_run_from_month_end_to_month_end_and_skip_open_months():
    prices = random_walk(["A", "B"], "2020-12-01", "2021-03-10")
    monthly = monthly_returns(prices["A"], every_row_a_month=False)
    ends = prices["A"].groupby(prices.index.to_period("M")).last()
    expected = ends / ends.shift(1) - 1
    assert np.isnan(monthly["ret"].iloc[-1])  # March 2021 has not ended in the data
    np.testing.assert_allclose(monthly["ret"].iloc[1:-1], expected.iloc[1:-1], rtol=1e-14)
    gap = prices["A"].copy()
    gap.loc["2021-01-29"] = np.nan  # January's last close missing: Jan and Feb cannot count
    holed = monthly_returns(gap, every_row_a_month=False)["ret"]
    assert holed.loc[pd.Period("2021-01", "M")] != holed.loc[pd.Period("2021-01", "M")]
    assert np.isnan(holed.loc[pd.Period("2021-02", "M")])
    spread = evaluate(
        effect_def(data_source="prices", series="A", laggard="B", start_year=2021, stats=STATS),
        market_data(prices),
    )
    assert by_key(spread)["month_vs_other_months"].n == 1  # January 2021 only
