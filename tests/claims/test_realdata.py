"""All the shipped claims on the offline mirror through the CLI, checked against independent
computations straight from the mirror's CSV files (skipped when the mirror is absent)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine.cli.main import main
from strategies import discover
from tests.claims.test_rsi import loop_rsi
from tests.helpers import MIRROR

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}"),
]


def mirror(ticker: str, field: str = "close") -> pd.Series:
    frame = pd.read_csv(MIRROR / f"{ticker}.csv", index_col="date", parse_dates=True)
    return frame[field]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("claims")
    argv = [
        "claims",
        "--set",
        f"data.cache_dir='{tmp / 'cache'}'",
        "--set",
        f"report.output_dir='{tmp / 'reports'}'",
        "--set",
        f"data.mirror_dir='{MIRROR}'",
        "--set",
        "data.providers=['cache', 'mirror']",
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(discover(), argv)
    assert code == 0
    folder = next((tmp / "reports" / "claims").glob("2*"))
    return folder, out.getvalue()


def finding(folder: Path, claim: str, key: str) -> pd.Series:
    table = pd.read_csv(folder / "findings.csv")
    rows = table[(table["claim"] == claim) & (table["finding"] == key)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_all_claims_ran_and_were_written(run):
    folder, out = run
    record = json.loads((folder / "run.json").read_text())
    assert set(record["claims"]) == {
        "first10days",
        "rut_spx_streak",
        "rsi_overbought",
        "first_five_days",
        "small_cap_january",
        "equal_weight_lead",
        "smb_january_year",
        "smb_january_rest",
        "smb_january_effect",
        "rut_january_effect",
    }
    for name in record["claims"]:
        assert (folder / name / "events.csv").is_file()
        assert (folder / name / "sensitivity.csv").is_file()
        assert f"{name}:" in out
        # One block per claim on the terminal, opening with its name, and no closing table
        # repeating the answers; verdicts are in ordinary case.
        assert sum(line.startswith(f"{name}: ") for line in out.splitlines()) == 1
    assert "Claim answers" not in out and "Verdict: " in out
    verdicts = [line.split("Verdict: ")[1] for line in out.splitlines() if "Verdict: " in line]
    assert len(verdicts) == len(record["claims"]) and all(v == v.lower() for v in verdicts)
    assert record["claims"]["rsi_overbought"]["data"]["tickers"]["^RUT"]["provider"] == "mirror"


def test_the_2026_streak_matches_a_plain_loop(run):
    folder, _ = run
    both = pd.concat({"rut": mirror("^RUT"), "spx": mirror("^GSPC")}, axis=1, sort=True).dropna()
    rut, spx = both["rut"].tolist(), both["spx"].tolist()
    dates = [d.date().isoformat() for d in both.index]
    streaks, start = [], None
    for i in range(1, len(dates)):
        beat = rut[i] / rut[i - 1] - 1 > spx[i] / spx[i - 1] - 1
        if beat and start is None:
            start = i
        if not beat and start is not None:
            streaks.append((dates[start], dates[i - 1], i - start))
            start = None
    if start is not None:
        streaks.append((dates[start], dates[-1], len(dates) - start))
    jan26 = [s for s in streaks if s[0] <= "2026-01-22" <= s[1]]
    assert jan26 == [("2026-01-02", "2026-01-22", 14)]
    assert finding(folder, "rut_spx_streak", "streak_on_date")["value"] == 14
    previous = [s for s in streaks if s[1] < "2026-01-02" and s[2] >= 14][-1]
    assert finding(folder, "rut_spx_streak", "longest_since")["value"] == int(previous[1][:4])
    top = pd.read_csv(folder / "rut_spx_streak" / "longest_streaks.csv")
    loop_top = sorted(streaks, key=lambda s: -s[2])[:3]  # lengths 16, 14, 13: no ties
    assert list(zip(top["start"], top["end"], top["length"], strict=False))[:3] == loop_top
    assert len(pd.read_csv(folder / "rut_spx_streak" / "all_streaks.csv")) == len(streaks)


def test_rsi_on_the_asked_date_matches_a_plain_loop(run):
    folder, _ = run
    rut = mirror("^RUT")
    values = loop_rsi(rut.tolist())
    expected = values[rut.index.get_loc(pd.Timestamp("2026-01-15"))]
    on_date = pd.read_csv(folder / "rsi_overbought" / "rsi_on_date.csv")
    assert on_date.loc[on_date["ticker"] == "^RUT", "rsi_14"].iloc[0] == pytest.approx(expected)
    assert expected == pytest.approx(71.18, abs=0.01)
    events = pd.read_csv(folder / "rsi_overbought" / "events.csv", index_col="date")
    assert (events["rsi"] > 70).all()
    assert (events["sessions_below_before"] >= 10).all()


def test_equal_weight_spread_matches_the_csv(run):
    folder, _ = run
    rsp, spy = mirror("RSP", "adj_close"), mirror("SPY", "adj_close")
    day14 = rsp.loc["2026"].index[13]
    assert str(day14.date()) == "2026-01-22"
    expected = (rsp[day14] / rsp["2025-12-31"] - 1) - (spy[day14] / spy["2025-12-31"] - 1)
    assert finding(folder, "equal_weight_lead", "window_spread")["value"] == pytest.approx(expected)


def test_first_five_days_counts_match_a_groupby(run):
    folder, _ = run
    spx = mirror("^GSPC").loc["1949-12-01":"2025-12-31"]
    first5, full = {}, {}
    for year in range(1950, 2026):
        prior = spx.loc[: f"{year - 1}-12-31"].iloc[-1]
        this = spx.loc[str(year)]
        first5[year] = this.iloc[4] / prior - 1
        full[year] = this.iloc[-1] / prior - 1
    up_years = [y for y in first5 if first5[y] > 0]
    row = finding(folder, "first_five_days", "up_window_up_outcome")
    assert row["n"] == len(up_years)
    assert row["hits"] == sum(full[y] > 0 for y in up_years)
    # Compared with the complementary (down-window) years; all years together give the old
    # base rate. Fisher's exact test of the 2x2 table, one-sided, recomputed by scipy.
    down_years = [y for y in first5 if first5[y] <= 0]
    up_hits, down_hits = sum(full[y] > 0 for y in up_years), sum(full[y] > 0 for y in down_years)
    assert row["base"] == pytest.approx(np.mean([full[y] > 0 for y in down_years]))
    assert (row["base_hits"], row["base_n"]) == (down_hits, len(down_years))
    assert (row["hits"] + row["base_hits"]) / (row["n"] + row["base_n"]) == pytest.approx(
        np.mean([full[y] > 0 for y in full])
    )
    table = [[up_hits, len(up_years) - up_hits], [down_hits, len(down_years) - down_hits]]
    assert row["p_value"] == pytest.approx(stats.fisher_exact(table, alternative="greater").pvalue)
    events = pd.read_csv(folder / "first_five_days" / "events.csv", index_col="year")
    assert events.loc[2008, "window_ret"] == pytest.approx(first5[2008])
    assert not events.loc[2026, "complete"]


def test_small_cap_january_years_match_the_csv(run):
    folder, _ = run
    rut, spx = mirror("^RUT"), mirror("^GSPC")
    spreads, signal = {}, []
    for year in range(1988, 2026):
        ends = {}
        for name, s in (("rut", rut), ("spx", spx)):
            prior = s.loc[: f"{year - 1}-12-31"].iloc[-1]
            jan = s.loc[f"{year}-01"].iloc[-1]
            ends[name] = (jan / prior - 1, s.loc[str(year)].iloc[-1] / prior - 1)
        if ends["rut"][0] > ends["spx"][0]:
            signal.append(year)
        spreads[year] = ends["rut"][1] - ends["spx"][1]
    row = finding(folder, "small_cap_january", "spread_after_signal")
    assert row["n"] == len(signal)
    assert row["value"] == pytest.approx(np.mean([spreads[y] for y in signal]))
    assert row["base"] == pytest.approx(np.mean([spreads[y] for y in spreads if y not in signal]))


def test_first10days_excludes_2026_and_counts_signal_years(run):
    folder, _ = run
    years = pd.read_csv(folder / "first10days" / "events.csv", index_col="year")
    assert not years.loc[2026, "complete"]
    counted = years[(years["signal"] == True) & (years["complete"] == True)]  # noqa: E712
    row = finding(folder, "first10days", "ended_higher_all")
    assert row["n"] == len(counted)
    assert row["hits"] == int((counted["year_up"] == True).sum())  # noqa: E712
    sens = pd.read_csv(folder / "first10days" / "sensitivity.csv")
    assert sens["conventions"].nunique() == 24  # 4 universes x 3 anchors x 2 outcomes


def test_headlines_answer_the_quote_first(run):
    folder, out = run
    answer = finding(folder, "first10days", "ended_higher_recent")["answer"]
    assert answer.startswith(
        'Quoted "9 of 10": reproduced under universe = index_ndx or rut_vs_spx, anchor = '
        "prior_close (4 of 24 conventions"
    )
    # Against the 27 years the small cap did not lead over the same span (not a base rate that
    # contains the signal years).
    assert "9 of 10 (90.0%) would not beat 18 of 27 otherwise (66.7%)" in answer
    p_quote = stats.fisher_exact([[9, 1], [18, 9]], alternative="greater").pvalue
    assert f"one-sided, p = {p_quote:.3f}" in answer
    assert answer.endswith(
        "Default convention: 8 of 9 after the signal (88.9%) vs 18 of 27 otherwise (66.7%), "
        "p = 0.199, 1.000 adjusted for 24 conventions, too few cases to tell."
    )
    streak = finding(folder, "rut_spx_streak", "streak_on_date")
    assert streak["claim_type"] == "quoted fact" and streak["verdict"] == "reproduced"
    block = out[out.index("first10days: ") :].split("\n\n")[0]
    assert '  - Quoted "9 of 10": reproduced under' in block and "  Verdict: " in block


def test_rsi_base_rate_counts_sessions_with_an_rsi(run):
    folder, _ = run
    rut = mirror("^RUT").dropna()
    row = finding(folder, "rsi_overbought", "pullback_21")
    assert row["base_label"] == (
        "the same share from the other sessions with an RSI (1987-09-30 on)"
    )
    with_rsi = rut.iloc[14:]  # the RSI(14) exists from the 15th price on
    assert str(with_rsi.index[0].date()) == "1987-09-30"
    forward = (rut.shift(-21) / rut - 1.0).loc[with_rsi.index].dropna()
    # Non-overlapping subsamples: the other sessions every 21st one clear of the events'
    # windows, so far fewer than every session with a forward return.
    assert 0 < row["base_n"] < len(forward) / 21 + 1
    assert row["base_hits"] <= row["base_n"]


def test_the_claim_and_the_strategy_agree_on_every_etf_year(tmp_path):
    """One leadership rule: the claim's ETF universe and the first10days strategy's defaults
    (SPY, QQQ, IWM, DIA, total return, prior year-end close, day 10) name the same leaders."""
    from engine.claim_checks import load_definitions
    from engine.claim_checks.kinds import leadership
    from engine.config.settings import DataSettings
    from engine.data import load_market_data
    from engine.paths import PROJECT_ROOT
    from strategies.first10days import Params, yearly_leadership

    defn = load_definitions(overrides=["first10days.universe=etf"])["first10days"]
    settings = DataSettings(mirror_dir=str(MIRROR), cache_dir=str(tmp_path), providers=["mirror"])
    data = load_market_data(["SPY", "QQQ", "IWM", "DIA"], None, None, settings, PROJECT_ROOT)
    claim = leadership.yearly_table(data, defn)
    strategy = yearly_leadership(data, Params())
    years = claim.index[claim["signal"].notna()].intersection(strategy.index)
    assert len(years) >= 25
    assert claim.loc[years, "leader"].tolist() == strategy.loc[years, "leader"].tolist()
    led = strategy.loc[years, "signal"] == "lead"
    assert claim.loc[years, "signal"].astype(bool).tolist() == led.tolist()


FACTORS = MIRROR.parent / "factor-data" / "F-F_Research_Data_Factors_monthly.csv"


def factors() -> pd.DataFrame:
    frame = pd.read_csv(FACTORS, dtype={"Date": str})
    frame["year"] = frame["Date"].str[:4].astype(int)
    frame["month"] = frame["Date"].str[4:].astype(int)
    return frame


@pytest.mark.skipif(not FACTORS.is_file(), reason="no factor-data mirror")
def test_the_monthly_claims_match_plain_loops_over_the_factor_file(run):
    folder, out = run
    rows = factors()
    # the January effect: January's SMB against every other month's, 1927-2018
    kept = rows[rows["year"] >= 1927]
    jan, other = kept[kept["month"] == 1]["SMB"] / 100, kept[kept["month"] != 1]["SMB"] / 100
    effect = finding(folder, "smb_january_effect", "month_vs_other_months")
    assert effect["n"] == len(jan) == 92 and effect["base_n"] == len(other) == 1011
    assert effect["value"] == pytest.approx(jan.mean(), abs=1e-12)
    assert effect["base"] == pytest.approx(other.mean(), abs=1e-12)
    # January SMB > 0 -> the market's total return over the year, compounded, above 0
    signal, up, other, other_up = 0, 0, 0, 0
    for year in range(1927, 2018):  # 2018 ends in November: incomplete
        months = rows[rows["year"] == year]
        smb_jan = months[months["month"] == 1]["SMB"].iloc[0]
        market = float(np.prod(1 + (months["Mkt-RF"] + months["RF"]) / 100) - 1)
        if smb_jan > 0:
            signal += 1
            up += market > 0
        else:
            other += 1
            other_up += market > 0
    assert signal + other == 91
    year_claim = finding(folder, "smb_january_year", "up_outcome_after_signal")
    assert (year_claim["n"], year_claim["hits"]) == (signal, up)
    assert (year_claim["base_n"], year_claim["base_hits"]) == (other, other_up)
    eras = pd.read_csv(folder / "smb_january_year" / "eras.csv")
    head = eras[eras["finding"] == "up_outcome_after_signal"].set_index("era")
    assert head.loc["before 1988", "n"] + head.loc["1988 on", "n"] == signal
    assert list(head.index) == ["all years", "before 1988", "1988 on"]
    assert "Era by era" in out and "Against first10days" in out
    assert (folder / "smb_january_effect" / "counterpart.csv").is_file()


def test_the_daily_january_effect_matches_month_end_closes(run):
    folder, _ = run
    closes = pd.concat({"rut": mirror("^RUT"), "spx": mirror("^GSPC")}, axis=1, sort=True)
    ends = closes.groupby(closes.index.to_period("M")).last()  # both have every month-end close
    spread = (ends["rut"].pct_change() - ends["spx"].pct_change()).iloc[:-1]  # last month open
    spread = spread[(spread.index.year >= 1988)].dropna()
    jan = spread[spread.index.month == 1]
    effect = finding(folder, "rut_january_effect", "month_vs_other_months")
    assert effect["n"] == len(jan) and effect["base_n"] == len(spread) - len(jan)
    assert effect["value"] == pytest.approx(jan.mean(), abs=1e-12)
