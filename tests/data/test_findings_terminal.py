"""Warning-level data findings reach the terminal, one line each, with --no-report too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.cli.main import main
from engine.data import cache
from engine.data.findings import MAX_LINE, MAX_LINES, terminal_lines
from engine.data.model import DataIssue, MarketData
from strategies import discover
from tests.test_faults import TICKERS, isolated, synthetic_mirror, yahoo_history_from_mirror

STRATEGIES = discover()


def data_with(issues: list[DataIssue]) -> MarketData:
    frame = pd.DataFrame({"X": [1.0]}, index=pd.DatetimeIndex(["2024-01-02"]))
    return MarketData(fields={"adj_close": frame}, issues=issues)


def test_one_line_per_warning_info_left_to_the_report() -> None:
    issues = [
        DataIssue("A", "starts_late", "info", "A: history starts later"),
        DataIssue("B", "stale_cache", "warning", "B: using the cached copy\nfetched  at t0"),
        DataIssue("C", "duplicate_dates", "error", "C: twice"),
        DataIssue("D", "large_move", "warning", "D: " + "x" * 5000),
    ]
    lines = terminal_lines(data_with(issues))
    assert lines[:2] == [
        "data warning: B: using the cached copy fetched at t0",
        "data error: C: twice",
    ]
    assert len(lines) == 3 and len(lines[2]) == len("data warning: ") + MAX_LINE
    assert lines[2].endswith("...")


def test_many_findings_are_capped_and_counted() -> None:
    issues = [DataIssue(f"T{i}", "k", "warning", f"T{i}: bad") for i in range(MAX_LINES + 7)]
    lines = terminal_lines(data_with(issues))
    assert len(lines) == MAX_LINES + 1
    assert lines[-1].startswith("data: 7 more finding(s) of warning level")


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_mirror(tmp_path_factory.mktemp("mirror"))


def test_a_stale_cache_used_offline_is_said_with_no_report(
    tmp_path: Path, mirror: Path, no_network, capsys
) -> None:
    cache_dir = tmp_path / "cache"
    for ticker in TICKERS:
        cache.write_entry(cache_dir, yahoo_history_from_mirror(mirror, ticker, days_old=4))
    iso = isolated(tmp_path, mirror, providers="['cache', 'yfinance']")
    code = main(
        STRATEGIES, ["first10days", "--no-report", *iso, "--set", "data.download_retries=1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    stale = [
        ln
        for ln in out.splitlines()
        if ln.startswith("data warning: ") and "using the cached copy" in ln
    ]
    assert sorted(ln.split(":")[1].strip() for ln in stale) == sorted(TICKERS)
    assert all("refreshing failed" in ln for ln in stale)
    assert not (tmp_path / "reports").exists()
