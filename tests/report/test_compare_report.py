"""The comparison report folder: exact files, CSVs, run.json, charts, HTML/Markdown, atomicity."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import dates as mdates
from matplotlib.colors import TwoSlopeNorm

from engine.errors import RotationLabError
from engine.report.compare import plots as compare_plots
from engine.report.compare.report import (
    FIXED_FILES,
    CompareInput,
    check_names,
    expected_files,
    write_compare_report,
)
from engine.report.toolkit.folder import LATEST_FILE
from engine.report.toolkit.format import format_value
from engine.stats.metrics import calendar_year_returns
from tests.test_compare import synthetic_comparison

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LABELS = ["hold", "switch", "switch@fast"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> CompareInput:
    root = tmp_path_factory.mktemp("compare-report")
    _, _, inp = synthetic_comparison(
        root, "switch@fast.every=5", specs=("hold", "switch", "switch@fast")
    )
    inp.strategies[0].description = "Hold <AAA> & 'co'"
    return inp


@pytest.fixture(scope="module")
def written(comparison: CompareInput, tmp_path_factory) -> Path:
    return write_compare_report(comparison, tmp_path_factory.mktemp("out") / "reports")


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_exactly_the_listed_files(written: Path, comparison: CompareInput):
    assert written.parent.name == "compare" and written.name == comparison.run_id
    assert {p.name for p in written.iterdir()} == expected_files(LABELS)
    assert expected_files(LABELS) == {
        *FIXED_FILES,
        "weights_hold.csv",
        "weights_switch.csv",
        "weights_switch@fast.csv",
        "exposure_hold.png",
        "exposure_switch.png",
        "exposure_switch@fast.png",
    }
    assert {p.name for p in written.parent.iterdir()} == {comparison.run_id, LATEST_FILE}
    assert (written.parent / LATEST_FILE).read_text() == comparison.run_id


def test_run_json(written: Path, comparison: CompareInput):
    text = (written / "run.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    run = json.loads(text)
    assert run["title"] == "compare" and run["run_id"] == comparison.run_id
    assert run["period"] == {
        "start": "2019-03-01",
        "end": "2021-10-29",
        "note": comparison.period_note,
    }
    assert [s["label"] for s in run["strategies"]] == LABELS
    assert [s["strategy"] for s in run["strategies"]] == ["hold", "switch", "switch"]
    assert [s["config"]["every"] for s in run["strategies"][1:]] == [21, 5]
    assert run["strategies"][0]["config"]["ticker"] == "AAA"
    assert run["strategies"][0]["config"]["backtest"]["fees_bps"] == 0.0
    assert run["strategies"][1]["own_period"]["start"] == "2019-03-01"
    assert run["strategies"][1]["own_period"]["end"] == "2021-12-31"
    assert "BBB" in run["strategies"][1]["own_period"]["note"]
    assert run["benchmarks"] == {"from": "hold", "names": ["AAA buy & hold", "AAA/DDD monthly"]}
    assert run["versions"] == comparison.versions
    assert run["notes"] == comparison.notes
    assert run["data"]["fingerprint_sha256"] == comparison.data.fingerprint()
    listed = {f["name"]: f for f in run["files"]}
    assert set(listed) == expected_files(LABELS) - {"run.json"}
    for name, entry in listed.items():
        data = (written / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert entry["bytes"] == len(data)


def test_csvs_round_trip(written: Path, comparison: CompareInput):
    series = [*LABELS, "AAA buy & hold", "AAA/DDD monthly"]
    corr = pd.read_csv(written / "correlations.csv", index_col=0)
    assert list(corr.index) == series and list(corr.columns) == series
    np.testing.assert_array_equal(corr.to_numpy(), comparison.correlations.to_numpy())

    yearly = pd.read_csv(written / "yearly_returns.csv", index_col=0)
    assert list(yearly.index) == [2019, 2020, 2021]
    np.testing.assert_array_equal(yearly.to_numpy(), comparison.yearly.to_numpy())

    stats = pd.read_csv(written / "stats.csv", index_col=0, dtype=str, keep_default_na=False)
    assert list(stats.columns) == series
    assert float(stats.at["cagr", "switch@fast"]) == comparison.stats.at["cagr", "switch@fast"]
    assert stats.at["start", "hold"] == "2019-03-01"

    equity = pd.read_csv(written / "equity.csv", index_col="date", parse_dates=True)
    assert list(equity.columns) == series
    for name, result in comparison.results.items():
        np.testing.assert_array_equal(equity[name].to_numpy(), result.equity.to_numpy())

    fast = comparison.strategies[2].result
    weights = pd.read_csv(written / "weights_switch@fast.csv", index_col="date", parse_dates=True)
    assert list(weights.columns) == ["BBB", "CCC", "cash"]
    np.testing.assert_array_equal(weights["CCC"].to_numpy(), fast.weights["CCC"].to_numpy())
    np.testing.assert_array_equal(weights["cash"].to_numpy(), fast.cash_weight.to_numpy())


def test_pngs(written: Path, comparison: CompareInput):
    for name in expected_files(LABELS):
        if name.endswith(".png"):
            data = (written / name).read_bytes()
            assert data[:8] == PNG_MAGIC, name
            assert 10_000 < len(data) < 2_000_000, (name, len(data))
    for name in ("equity.png", "drawdown.png", "exposure_switch.png"):
        assert _png_size((written / name).read_bytes()) == (1200, 600)


def test_html_is_self_contained_and_complete(written: Path, comparison: CompareInput):
    page = (written / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 4 + len(LABELS)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page and "<script" not in page.lower()
    assert "Hold &lt;AAA&gt; &amp; &#39;co&#39;" in page and "<AAA>" not in page
    assert "Comparison: hold, switch, switch@fast" in page
    assert "starts on the first date of BBB" in page
    assert format_value(comparison.stats.at["sharpe", "switch@fast"], "ratio") in page
    corr = comparison.correlations.at["hold", "switch"]
    assert f'<td class="num">{corr:.2f}</td>' in page
    for label in LABELS:
        assert f"<h3>{label}</h3>" in page  # exposure chart and configuration of each


def test_markdown_links_the_charts_and_shows_the_tables(written: Path, comparison: CompareInput):
    text = (written / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert sorted(images) == sorted(n for n in expected_files(LABELS) if n.endswith(".png"))
    rows = [line for line in text.splitlines() if line.startswith("| switch@fast ")]
    assert len(rows) == 2  # in the strategies table and the correlation table
    assert "| switch " in rows[0] and "2019-03-01 to 2021-12-31" in rows[0]
    year_2020 = comparison.yearly.loc[2020, "hold"]
    assert f"{year_2020 * 100:.1f}%" in text
    assert "```toml" in text and "every = 5" in text


def test_yearly_heatmap_shows_calendar_year_returns(comparison: CompareInput):
    fig = compare_plots.yearly_heatmap_figure(comparison.yearly)
    ax = fig.axes[0]
    [image] = ax.images
    expected = np.column_stack(
        [calendar_year_returns(r.equity).to_numpy() for r in comparison.results.values()]
    )
    np.testing.assert_allclose(np.asarray(image.get_array()), expected, rtol=0, atol=0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2019", "2020", "2021"]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(comparison.results)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{v * 100:.1f}%" for v in expected.ravel()]
    norm = image.norm
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0.0
    assert norm.vmin == -norm.vmax == -np.abs(expected).max()


def test_correlation_heatmap_shows_the_matrix(comparison: CompareInput):
    fig = compare_plots.correlation_figure(comparison.correlations)
    [image] = fig.axes[0].images
    np.testing.assert_array_equal(np.asarray(image.get_array()), comparison.correlations.to_numpy())
    # the scale spans the data (lowest pairwise correlation, rounded down to 0.05, to 1)
    values = comparison.correlations.to_numpy()
    low = values[~np.eye(len(values), dtype=bool)].min()
    assert image.norm.vmax == 1.0
    assert image.norm.vmin == np.floor(min(low, 0.95) * 20) / 20 and image.norm.vmin <= low
    assert fig.axes[0].texts[0].get_text() == "1.00"


def test_exposure_leaves_out_tickers_never_held_and_shows_cash(comparison: CompareInput):
    result = comparison.strategies[1].result
    weights = result.weights.assign(ZZZ=0.0)
    fig = compare_plots.exposure_figure("switch", weights, result.cash_weight)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["BBB", "CCC", "cash"]
    x = mdates.date2num(weights.index)
    first, cash = (c.get_paths()[0].vertices for c in (ax.collections[0], ax.collections[-1]))
    # the bottom layer's top edge is BBB's weight on every session
    for day, w in zip(x, result.weights["BBB"].to_numpy() * 100, strict=True):
        assert np.isclose(first[first[:, 0] == day, 1], w, atol=1e-9).any()
    # cash, on top, ends at 100%: the layers make up the whole portfolio on every session
    tops = {day for day, y in cash if abs(y - 100.0) < 1e-6}
    assert tops >= set(x)


def test_failure_midway_leaves_nothing(
    comparison: CompareInput, written: Path, monkeypatch: pytest.MonkeyPatch
):
    """The CSVs are written, then a chart fails: no folder, no temp folder, latest unchanged."""
    root = written.parent.parent

    def boom(*args: object) -> bytes:
        raise RuntimeError("equity chart failed")

    monkeypatch.setattr(compare_plots, "equity_png", boom)
    second = dataclasses.replace(comparison, run_id="run-2")
    with pytest.raises(RuntimeError, match="equity chart failed"):
        write_compare_report(second, root)
    assert {p.name for p in (root / "compare").iterdir()} == {written.name, LATEST_FILE}
    assert (root / "compare" / LATEST_FILE).read_text() == written.name


def test_existing_run_is_never_overwritten(comparison: CompareInput, written: Path):
    before = {p.name: p.read_bytes() for p in written.iterdir()}
    with pytest.raises(RotationLabError, match="already exists"):
        write_compare_report(comparison, written.parent.parent)
    assert {p.name: p.read_bytes() for p in written.iterdir()} == before
    assert [p.name for p in written.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("labels", "benchmarks", "message"),
    [
        (["a/b", "c"], [], "cannot name report files"),
        (["a.b", "c"], [], "cannot name report files"),
        (["a@x@y", "c"], [], "cannot name report files"),
        (["a", "a"], [], "appear twice"),
        (["a", "SPY"], ["SPY"], "equal a strategy label"),
    ],
)
def test_unusable_names_are_refused(labels, benchmarks, message):
    with pytest.raises(RotationLabError, match=message):
        check_names(labels, benchmarks)
