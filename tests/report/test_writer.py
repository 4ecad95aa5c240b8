"""The report folder: files, hashes, CSV round trips, run.json, atomic publish."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.errors import RotationLabError
from engine.report.model import ReportInput
from engine.report.run import plots
from engine.report.run.writer import FIXED_FILES, write_report
from engine.report.toolkit.folder import LATEST_FILE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPECTED_FILES = {*FIXED_FILES, "per_year.csv"}


@pytest.fixture
def written(report_input: ReportInput, tmp_path: Path) -> Path:
    return write_report(report_input, tmp_path / "reports")


def test_folder_layout_and_exact_files(written: Path, report_input: ReportInput, tmp_path: Path):
    assert written == tmp_path / "reports" / report_input.title / report_input.run_id
    assert {p.name for p in written.iterdir()} == EXPECTED_FILES
    assert all(p.is_file() for p in written.iterdir())
    siblings = {p.name for p in written.parent.iterdir()}
    assert siblings == {report_input.run_id, LATEST_FILE}
    latest = written.parent / LATEST_FILE
    assert latest.is_file() and not latest.is_symlink()
    assert latest.read_text() == report_input.run_id


def test_run_json(written: Path, report_input: ReportInput):
    text = (written / "run.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    run = json.loads(text)
    assert run["run_id"] == report_input.run_id
    assert run["title"] == report_input.title
    assert run["command"] == report_input.command
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", run["created_at"])
    assert run["period"] == {
        "start": report_input.period[0].isoformat(),
        "end": report_input.period[1].isoformat(),
        "note": report_input.period_note,
    }
    assert run["config"]["odd"] is None  # NaN written as null
    assert run["config"]["backtest"] == report_input.config["backtest"]
    assert run["versions"] == report_input.versions
    assert run["notes"] == report_input.notes
    assert run["data"]["fingerprint_sha256"] == report_input.data.fingerprint()
    assert set(run["data"]["tickers"]) == {"IWM", "SPY"}
    assert run["data"]["tickers"]["SPY"]["served_from_cache"] is True
    assert run["data"]["tickers"]["IWM"]["rows"] == len(report_input.strategy.equity)
    [issue] = run["data"]["issues"]
    assert issue["message"] == report_input.data.issues[0].message
    assert issue["dates"] == list(report_input.data.issues[0].dates)

    listed = {f["name"]: f for f in run["files"]}
    assert set(listed) == EXPECTED_FILES - {"run.json"}
    for name, entry in listed.items():
        data = (written / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert entry["bytes"] == len(data)


def test_stats_csv_round_trips(written: Path, report_input: ReportInput):
    back = pd.read_csv(written / "stats.csv", index_col=0, dtype=str, keep_default_na=False)
    assert list(back.index) == list(report_input.stats.index)
    assert list(back.columns) == list(report_input.stats.columns)
    numeric_rows = [k for k in report_input.stats.index if k not in ("start", "end")]
    for key in numeric_rows:
        for col in report_input.stats.columns:
            raw = report_input.stats.at[key, col]
            text = back.at[key, col]
            if isinstance(raw, float) and math.isnan(raw):
                assert text == ""
            else:
                assert float(text) == float(raw), (key, col)  # exact: full precision
    assert back.at["start", "first10days"] == report_input.period[0].isoformat()
    assert back.at["end", "first10days"] == report_input.period[1].isoformat()


def test_series_csvs(written: Path, report_input: ReportInput):
    equity = pd.read_csv(written / "equity.csv", index_col="date", parse_dates=True)
    assert list(equity.columns) == ["first10days", *report_input.benchmarks]
    np.testing.assert_array_equal(equity["first10days"].to_numpy(), report_input.strategy.equity)
    assert (equity.index == report_input.strategy.equity.index).all()
    first_line = (written / "equity.csv").read_text().splitlines()[1]
    assert re.match(r"\d{4}-\d\d-\d\d,", first_line)

    weights = pd.read_csv(written / "weights.csv", index_col="date", parse_dates=True)
    assert list(weights.columns) == ["IWM", "SPY", "cash"]
    np.testing.assert_array_equal(weights["cash"], report_input.strategy.cash_weight)
    np.testing.assert_array_equal(weights["IWM"], report_input.strategy.weights["IWM"])

    target = pd.read_csv(written / "target_weights.csv", index_col="date", parse_dates=True)
    assert len(target) == 2  # the all-NaN rows are left out
    assert not target.isna().all(axis=1).any()

    orders = pd.read_csv(written / "orders.csv")
    assert len(orders) == len(report_input.strategy.orders)
    assert list(orders.columns) == list(report_input.strategy.orders.columns)
    assert orders["date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert orders["price"].iloc[0] == 158.123456789

    yearly = pd.read_csv(written / "yearly_returns.csv", index_col=0)
    assert list(yearly.index) == list(report_input.yearly.index)
    np.testing.assert_array_equal(yearly.to_numpy(), report_input.yearly.to_numpy())

    per_year = pd.read_csv(written / "per_year.csv", index_col="year")
    assert list(per_year.index) == [2020, 2021]
    assert per_year.at[2020, "IWM_ret"] == 0.0412345
    assert per_year.at[2020, "decision_date"] == "2020-03-13"

    assert (written / "config.toml").read_text() == report_input.config_toml


def test_pngs_are_valid(written: Path):
    # the equity chart sits beside the key statistics on the first screen: 800 x 460 px
    for name, size in (("equity.png", (800, 460)), ("drawdown.png", (1200, 600))):
        data = (written / name).read_bytes()
        assert data[:8] == PNG_MAGIC
        assert 20_000 < len(data) < 2_000_000, (name, len(data))
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == size


def test_failure_midway_leaves_nothing(
    report_input: ReportInput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def boom(inp: ReportInput) -> bytes:
        raise RuntimeError("plot failed")

    monkeypatch.setattr(plots, "drawdown_png", boom)
    root = tmp_path / "reports"
    with pytest.raises(RuntimeError, match="plot failed"):
        write_report(report_input, root)
    title_dir = root / report_input.title
    assert not (title_dir / report_input.run_id).exists()
    assert list(title_dir.iterdir()) == []  # no temp folder, no latest.txt


def test_failure_keeps_previous_runs(
    report_input: ReportInput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = tmp_path / "reports"
    first = write_report(report_input, root)
    monkeypatch.setattr(plots, "equity_png", lambda inp: 1 / 0)
    report_input.run_id = "second-run"
    with pytest.raises(ZeroDivisionError):
        write_report(report_input, root)
    assert {p.name for p in first.parent.iterdir()} == {first.name, LATEST_FILE}
    assert (first.parent / LATEST_FILE).read_text() == first.name


def test_existing_run_folder_is_never_overwritten(report_input: ReportInput, tmp_path: Path):
    root = tmp_path / "reports"
    folder = write_report(report_input, root)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(RotationLabError, match=re.escape(str(folder))):
        write_report(report_input, root)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_existing_empty_run_folder_is_refused(report_input: ReportInput, tmp_path: Path):
    folder = tmp_path / "reports" / report_input.title / report_input.run_id
    folder.mkdir(parents=True)
    with pytest.raises(RotationLabError, match="already exists"):
        write_report(report_input, tmp_path / "reports")
    assert list(folder.iterdir()) == []


def test_latest_follows_the_newest_run(report_input: ReportInput, tmp_path: Path):
    root = tmp_path / "reports"
    write_report(report_input, root)
    report_input.run_id = "run-2"
    write_report(report_input, root)
    title_dir = root / report_input.title
    assert (title_dir / LATEST_FILE).read_text() == "run-2"
    assert {p.name for p in title_dir.iterdir()} == {
        "20240501T120000Z-abc123",
        "run-2",
        LATEST_FILE,
    }


def test_unwritable_root_is_a_clear_error(report_input: ReportInput, tmp_path: Path):
    root = tmp_path / "not-a-folder"
    root.write_text("a file where the reports folder should be")
    with pytest.raises(RotationLabError, match=re.escape(str(root))):
        write_report(report_input, root)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_root_is_a_clear_error(report_input: ReportInput, tmp_path: Path):
    root = tmp_path / "reports"
    root.mkdir()
    root.chmod(0o500)
    try:
        with pytest.raises(RotationLabError, match=re.escape(str(root))):
            write_report(report_input, root)
    finally:
        root.chmod(0o700)


@pytest.mark.parametrize("bad", ["", "..", ".hidden", "a/b", "a\\b"])
def test_unsafe_names_are_refused(report_input: ReportInput, tmp_path: Path, bad: str):
    report_input.run_id = bad
    with pytest.raises(RotationLabError):
        write_report(report_input, tmp_path / "reports")
    assert not any((tmp_path / "reports").rglob("*.csv"))


def test_table_key_clashing_with_a_report_file_is_refused(
    report_input: ReportInput, tmp_path: Path
):
    report_input.tables["stats"] = pd.DataFrame({"x": [1.0]})
    with pytest.raises(RotationLabError, match="stats"):
        write_report(report_input, tmp_path / "reports")
    assert list((tmp_path / "reports" / report_input.title).iterdir()) == []


def test_minimal_run_without_benchmarks_orders_or_tables(report_input: ReportInput, tmp_path: Path):
    inp = report_input
    name = inp.strategy.name
    inp.benchmarks = {}
    inp.stats = inp.stats[[name]]
    inp.yearly = inp.yearly[[name]]
    inp.strategy.orders = inp.strategy.orders.iloc[:0]
    inp.strategy.target_weights = inp.strategy.target_weights.iloc[:0]
    inp.tables = {}
    inp.notes = []
    inp.data.issues.clear()
    inp.stats.loc["sharpe", name] = float("nan")
    folder = write_report(inp, tmp_path / "reports")
    assert {p.name for p in folder.iterdir()} == set(FIXED_FILES)
    run = json.loads((folder / "run.json").read_text())
    assert run["data"]["issues"] == []
    page = (folder / "report.html").read_text()
    assert "No orders were filled." in page
    assert "Validation found no issue in the price data." in page
    assert len(pd.read_csv(folder / "orders.csv")) == 0
    stats = pd.read_csv(folder / "stats.csv", index_col=0)
    assert pd.isna(stats.at["sharpe", name])
