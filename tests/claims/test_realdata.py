"""All six claims on the offline mirror through the CLI, checked against independent
computations straight from the mirror's CSV files (skipped when the mirror is absent)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli import main
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


def test_all_six_claims_ran_and_were_written(run):
    folder, out = run
    record = json.loads((folder / "run.json").read_text())
    assert set(record["claims"]) == {
        "first10days",
        "rut_spx_streak",
        "rsi_overbought",
        "first_five_days",
        "small_cap_january",
        "equal_weight_lead",
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
    assert len(verdicts) == 6 and all(v == v.lower() for v in verdicts)
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
    assert row["base"] == pytest.approx(np.mean([full[y] > 0 for y in full]))
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
    assert "9 of 10 (90.0%) would not beat the 73.7% base rate" in answer
    assert answer.endswith("Default convention: 8 of 9 (88.9%), too few cases to tell.")
    streak = finding(folder, "rut_spx_streak", "streak_on_date")
    assert streak["claim_type"] == "quoted fact" and streak["verdict"] == "reproduced"
    block = out[out.index("first10days: ") :].split("\n\n")[0]
    assert '  - Quoted "9 of 10": reproduced under' in block and "  Verdict: " in block


def test_rsi_base_rate_counts_sessions_with_an_rsi(run):
    folder, _ = run
    rut = mirror("^RUT").dropna()
    row = finding(folder, "rsi_overbought", "pullback_21")
    assert row["base_label"] == "the same share from every session with an RSI (1987-09-30 on)"
    with_rsi = rut.iloc[14:]  # the RSI(14) exists from the 15th price on
    assert str(with_rsi.index[0].date()) == "1987-09-30"
    forward = (rut.shift(-21) / rut - 1.0).loc[with_rsi.index].dropna()
    assert row["base_n"] == len(forward)
    assert row["base"] == pytest.approx(float((forward < 0).mean()))


def test_the_claim_and_the_strategy_agree_on_every_etf_year(tmp_path):
    """One leadership rule: the claim's ETF universe and the first10days strategy's defaults
    (SPY, QQQ, IWM, DIA, total return, prior year-end close, day 10) name the same leaders."""
    from engine.claims import load_definitions
    from engine.claims.kinds import leadership
    from engine.data import load_market_data
    from engine.paths import PROJECT_ROOT
    from engine.settings import DataSettings
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
