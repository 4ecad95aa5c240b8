"""What the new charts draw: claim outcomes and distributions, sweep heatmap scale and marks,
one colour per ticker and per run."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import TwoSlopeNorm
from PIL import Image

from engine.claim_checks.runner import evaluate
from engine.report.claims import plots as claims_plots
from engine.report.run import period_plots, plots
from engine.report.toolkit import palette
from tests.claims.builders import leadership_def, streak_def
from tests.claims.test_leadership import planted as planted_years
from tests.claims.test_streak import planted_pair
from tests.helpers import market_data

from .conftest import make_input


def _size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def test_yearly_claims_get_outcome_bars_and_event_claims_distributions():
    lead = evaluate(leadership_def(), market_data(planted_years()))
    streak = evaluate(streak_def(as_of="2020-03-10"), market_data(planted_pair()))
    lead_charts = claims_plots.claim_charts(lead)
    assert list(lead_charts) == ["outcomes.png"] and _size(lead_charts["outcomes.png"])[0] == 1200
    streak_charts = claims_plots.claim_charts(streak)
    assert list(streak_charts) == ["forward_returns.png"]


def test_run_colours_are_fixed_and_distinct():
    colors = palette.run_colors(["a", "b"], ["SPY", "IWM"])
    assert colors["a"] == palette.STRATEGY and colors["SPY"] == palette.MAIN_BENCHMARK
    assert len(set(colors.values())) == 4
    tickers = palette.ticker_colors(["SPY", "IWM", "SPY", "QQQ"])
    assert list(tickers) == ["cash", "SPY", "IWM", "QQQ"] and len(set(tickers.values())) == 4


def test_allocation_layers_follow_the_report_palette():
    inp = make_input()
    colors = palette.ticker_colors(["SPY", "IWM"])  # SPY first, though IWM is listed first
    fig = plots.exposure_figure("x", inp.strategy.weights, inp.strategy.cash_weight, colors)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["SPY", "IWM", "cash"]
    faces = [tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in fig.axes[0].collections]
    from matplotlib.colors import to_rgb

    assert faces == [tuple(np.round(to_rgb(colors[t]), 3)) for t in ("SPY", "IWM", "cash")]


def test_rolling_views_by_hand():
    inp = make_input()
    frame = period_plots.rolling_frame(inp, window=20)
    equity = inp.strategy.equity
    main = next(iter(inp.benchmarks.values())).equity
    i = 100
    expected = equity.iloc[i] / equity.iloc[i - 20] - (main.iloc[i] / main.iloc[i - 20])
    assert frame["return_difference"].iloc[i] == pytest.approx(expected, rel=1e-12)
    assert frame["beta"].iloc[:20].isna().all()


def test_monthly_heatmap_is_centred_on_zero():
    inp = make_input()
    fig = period_plots.monthly_heatmap_figure(inp.strategy.equity, "m")
    [image] = fig.axes[0].images
    assert isinstance(image.norm, TwoSlopeNorm) and image.norm.vcenter == 0.0
    assert np.asarray(image.get_array()).shape[1] == 12
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:2] == ["Jan", "Feb"]


def test_equity_chart_labels_the_start_value():
    inp = make_input()
    png = plots.equity_png(inp)
    assert _size(png) == (800, 460)  # beside the key statistics on the first screen
    series = pd.Series([100.0, 50.0, 400.0], index=pd.bdate_range("2020-01-01", periods=3))
    curve = plots.Curve("s", series, {"color": "k"}, highlight=True)
    assert _size(plots.equity_chart([curve], 100.0, "t")) == (1200, 600)


def test_sweep_heatmap_is_centred_on_the_benchmark_and_marks_default_and_best():
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from engine.report.sweep import charts as sweep_report

    study = _small_study(["upper=60,70,80", "lower=40,50"])
    table, frame, _ = sweep_report.heatmap_table(study, "upper", "lower", "mean", center=0.123)
    low, centre, high = table.scale_values
    assert centre == 0.123 and high - 0.123 == pytest.approx(0.123 - low)
    values = frame.to_numpy(dtype=float)
    assert max(abs(values.max() - 0.123), abs(values.min() - 0.123)) == pytest.approx(high - 0.123)
    # each cell's colour is RdYlGn of the same centred scale, largest lower value on top
    norm = TwoSlopeNorm(vmin=low, vcenter=0.123, vmax=high)
    [label, cells] = table.rows[0]
    assert label == "50" and table.columns == ["60", "70", "80"]
    expected = to_hex(colormaps["RdYlGn"](float(norm(frame.loc[50.0, 60.0]))))
    assert cells[0].style.startswith(f"background:{expected};")
    assert cells[0].title.startswith("upper 60, lower 50: ")
    assert [m.label for m in table.marks] == ["default parameters", "best combination"]
    default, best = table.marks
    defaults, best_values = study.sweep.setup.default_values(), study.sweep.best_values()
    rows = [float(r) for r, _ in table.rows]
    assert default.cells == {(rows.index(defaults["lower"]), [60, 70, 80].index(defaults["upper"]))}
    assert best.cells == {
        (rows.index(best_values["lower"]), [60, 70, 80].index(best_values["upper"]))
    }
    [(i, j)] = best.cells
    assert "mark-best" in table.rows[i][1][j].cls


def _small_study(axes: list[str]):
    from engine.paths import PROJECT_ROOT
    from engine.tuning.executors import LocalExecutor
    from engine.tuning.grid import build_grid
    from engine.tuning.study import StudyOptions, run_study
    from engine.tuning.sweep import load_sweep
    from tests.helpers import random_walk
    from tests.tuning.conftest import RSI_TRIM, rsi_config

    prices = random_walk(["IWM", "SPY"], "2012-01-01", "2016-12-31", seed=5, drift=0.0004)
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, axes)
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=market_data(prices))
    with LocalExecutor() as ex:
        return run_study(setup, ex, StudyOptions(check=0, top=3, blocks=4))


def test_sweep_heatmap_writes_each_value_only_where_the_columns_leave_room_for_it():
    """A heatmap table writes every cell's value and keys its marks; a heatmap of 60 columns
    keeps its colours and hover texts but writes no values (they are in its CSV file)."""
    from engine.report.sweep import charts as sweep_report

    study = _small_study(["upper=60,70,80", "lower=40,50"])
    table, frame, _ = sweep_report.heatmap_table(study, "upper", "lower", "mean", center=0.1)
    expected = sorted(sweep_report.cell_text(v, "sharpe") for v in frame.to_numpy().ravel())
    assert sorted(table.texts) == expected and table.written
    markdown = sweep_report.heatmap_markdown(table, "heatmap_upper_lower.csv")
    assert markdown.count("\n| ") == 2 and "heatmap_upper_lower.csv" in markdown
    assert "Default parameters in bold; best combination in italics." in markdown

    narrow = _small_study(["upper=50.5:80:0.5", "lower=40,50"])  # 60 columns
    table, frame, _ = sweep_report.heatmap_table(narrow, "upper", "lower", "mean")
    assert frame.shape == (2, 60) and len(table.rows) == 2 and len(table.rows[0][1]) == 60
    assert table.texts == [] and not table.written
    assert all(cell.title and cell.style.startswith("background:") for cell in table.rows[0][1])
    markdown = sweep_report.heatmap_markdown(table, "heatmap_upper_lower.csv")
    assert markdown.startswith("The 2 x 60 cells are too many")
