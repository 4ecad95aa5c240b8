"""The report's new views on hand-computed cases: drawdown periods, monthly returns, rolling
beta, beat counts, column names in words, log-axis ticks, grouped findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.data.model import DataIssue
from engine.report.run.narrative import beat_lines
from engine.report.toolkit.charts import equity_ticks
from engine.report.toolkit.format import human_column
from engine.report.toolkit.provenance import issues_table
from engine.stats.metrics import beta_correlation, drawdown_periods, monthly_returns, rolling_beta


def test_drawdown_periods_by_hand():
    equity = pd.Series([100, 110, 99, 105, 111, 90, 95, 120, 118.0],
                       index=pd.bdate_range("2020-01-01", periods=9))  # fmt: skip
    table = drawdown_periods(equity, top=5)
    d = equity.index
    # deepest: 111 (d4) -> 90 (d5), recovered at 120 (d7); then 110 (d1) -> 99 (d2) -> 111 (d4)
    assert list(table["peak"]) == [d[4], d[1], d[7]]
    assert list(table["trough"]) == [d[5], d[2], d[8]]
    assert table["depth"].tolist() == pytest.approx([90 / 111 - 1, 99 / 110 - 1, 118 / 120 - 1])
    assert table["recovery"].iloc[0] == d[7] and pd.isna(table["recovery"].iloc[2])
    assert table["decline_sessions"].tolist() == [1, 1, 1]
    assert table["length_sessions"].tolist() == [3, 3, 1]
    assert table["recovered"].tolist() == [True, True, False]


def test_monthly_returns_by_hand():
    index = pd.DatetimeIndex(["2021-01-04", "2021-01-29", "2021-02-26", "2021-03-01"])
    table = monthly_returns(pd.Series([100.0, 110.0, 99.0, 108.9], index=index))
    assert table.loc[2021, 1] == pytest.approx(0.10)
    assert table.loc[2021, 2] == pytest.approx(-0.10)
    assert table.loc[2021, 3] == pytest.approx(0.10)
    assert list(table.columns) == list(range(1, 13)) and np.isnan(table.loc[2021, 4])


def test_rolling_beta_matches_the_full_sample_beta():
    rng = np.random.default_rng(3)
    index = pd.bdate_range("2020-01-01", periods=60)
    b = pd.Series(rng.normal(0, 0.01, 60), index=index)
    a = 1.5 * b + pd.Series(rng.normal(0, 0.002, 60), index=index)
    rolled = rolling_beta(a, b, window=60)
    assert rolled.iloc[-1] == pytest.approx(beta_correlation(a, b)[0], rel=1e-12)
    assert rolled.iloc[:59].isna().all()


def test_beat_lines_count_complete_years_only_with_ties_within_a_tenth_of_a_point():
    """Year returns 2020-2022: rule +5%, -2%, +3.05% vs SPY +8%, -5%, +3%: lagged, beat, tie
    (0.05 point apart); 2019 starts in June, so it is partial and left out."""
    index = nyse_sessions("2019-06-03", "2022-12-30")

    def curve(returns: dict[int, float]) -> pd.Series:
        ends = {y: index[index.year == y][-1] for y in returns}
        values = pd.Series(np.nan, index=index)
        values.iloc[0] = 100.0
        level = 100.0
        for year, r in returns.items():
            level *= 1 + r
            values[ends[year]] = level
        return values.interpolate()

    rule = curve({2019: 0.10, 2020: 0.05, 2021: -0.02, 2022: 0.0305})
    spy = curve({2019: 0.01, 2020: 0.08, 2021: -0.05, 2022: 0.03})
    lines = beat_lines(rule, {"SPY": spy}, "rule")
    assert lines[0] == (
        "rule beat SPY in 1 of 3 complete calendar years (lagged in 1; 1 within 0.1 point)."
    )
    assert lines[1] == "Partial years left out of these counts: 2019."


@pytest.mark.parametrize(
    ("name", "words"),
    [("IWM_rest_ret", "IWM rest of year"), ("^GSPC_year_ret", "^GSPC full year"),
     ("diff_fwd_21_ret", "Difference, 21 sessions ahead"), ("oos_cagr", "Out of sample CAGR"),
     ("served_from_cache", "Served from cache"), ("SPY", "SPY"), ("n", "n")],
)  # fmt: skip
def test_column_names_in_words(name, words):
    assert human_column(name) == words


def test_equity_ticks_keep_the_start_and_the_lows():
    ticks = equity_ticks(52_000, 900_000, keep=[100_000, 56_547, 56_758])
    assert 100_000 in ticks and 56_547 in ticks and 56_758 not in ticks  # near-equal: one label
    assert 5 <= len(ticks) <= 14 and ticks == sorted(ticks)
    assert all(abs(np.log(t / 56_547)) > 0.06 for t in ticks if t != 56_547)


def test_info_findings_are_grouped_and_warnings_come_first():
    issues = [
        DataIssue("RSP", "ends_early", "info", "RSP: history ends on 2026-07-01", ("2026-07-01",)),
        DataIssue("SPY", "ends_early", "info", "SPY: history ends on 2026-08-21", ("2026-08-21",)),
        DataIssue("IWM", "big_move", "warning", "IWM moved 30%", ("2008-10-10",)),
    ]
    rows = [[c.text for c in row] for row in issues_table(issues).rows]
    assert rows[0][:3] == ["IWM", "big_move", "warning"]
    assert rows[1][:3] == ["RSP, SPY", "ends_early", "info"]
    assert rows[1][3] == "RSP: history ends on 2026-07-01 (and 1 more like it, listed below)"
    table = issues_table(issues)
    assert table.details == ["RSP: history ends on 2026-07-01", "SPY: history ends on 2026-08-21"]
    assert rows[1][4] == "2" and len(rows) == 2  # distinct dates of the group


def test_verdicts_show_after_the_summary_and_before_the_statistics():
    from engine.report.run.html import build_view, render_html
    from engine.report.run.markdown import render_markdown

    from .conftest import make_input

    inp = make_input()
    inp.verdict_lines = ["Beat SPY buy & hold by 1.2 points a year (p = 0.31): could be luck."]
    inp.verdict_tables = {
        "Active return": pd.DataFrame({"benchmark": ["SPY"], "active_ret": [0.012], "p": [0.31]})
    }
    view = build_view(inp, fingerprint="0" * 64, created_at="x")
    import html

    page = html.unescape(render_html(view, b"png", b"png"))
    summary, verdict = page.index('class="summary"'), page.index(inp.verdict_lines[0])
    table, stats = page.index("<h3>Active return</h3>"), page.index('id="statistics"')
    assert summary < verdict < table < stats
    assert "<th>Benchmark</th>" in page and "1.20%" in page  # words and percent, not raw
    md = render_markdown(view)
    assert md.index(view.summary) < md.index(inp.verdict_lines[0]) < md.index("## Statistics")
    assert "Active return" in md


def test_p_values_are_never_shown_as_percentages():
    """'CAGR p' names a p-value, not a return, although it mentions CAGR."""
    from engine.report.toolkit.tables import column_cells

    p_cells, _ = column_cells("CAGR p", pd.Series([0.2099]))
    diff_cells, _ = column_cells("CAGR difference", pd.Series([-0.0136]))
    # p-values as the words write them (3 decimals), never as percentages
    assert p_cells[0].text == "0.210" and diff_cells[0].text == "-1.36%"
