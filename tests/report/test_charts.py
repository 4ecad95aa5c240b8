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


def test_sweep_heatmap_is_centred_on_the_benchmark_and_marks_default_and_best(monkeypatch):
    from matplotlib.patches import Rectangle

    from engine.paths import PROJECT_ROOT
    from engine.report.sweep import charts as sweep_report
    from engine.tuning.executors import LocalExecutor
    from engine.tuning.grid import build_grid
    from engine.tuning.study import StudyOptions, run_study
    from engine.tuning.sweep import load_sweep
    from tests.helpers import random_walk
    from tests.tuning.conftest import RSI_TRIM, rsi_config

    prices = random_walk(["IWM", "SPY"], "2012-01-01", "2016-12-31", seed=5, drift=0.0004)
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=60,70,80", "lower=40,50"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=market_data(prices))
    with LocalExecutor() as ex:
        study = run_study(setup, ex, StudyOptions(check=0, top=3, blocks=4))
    figures = []
    monkeypatch.setattr(sweep_report, "png", lambda fig: figures.append(fig) or b"png")
    sweep_report.heatmap_png(study, "upper", "lower", "mean", center=0.123)
    [ax] = [a for a in figures[0].axes if a.images]
    norm = ax.images[0].norm
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0.123
    assert norm.vmax - 0.123 == pytest.approx(0.123 - norm.vmin)
    labels = [p.get_label() for p in ax.patches if isinstance(p, Rectangle)]
    assert labels == ["default parameters", "best combination"]


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


def test_sweep_heatmap_fits_its_labels_and_writes_values_only_where_they_fit(monkeypatch):
    """Placed without a layout engine: every label inside the picture, the colour bar beside
    the cells; each cell's value written on it when it fits, none when the cells are narrow."""
    from engine.report.sweep import charts as sweep_report

    figures = []
    monkeypatch.setattr(sweep_report, "png", lambda fig: figures.append(fig) or b"png")
    study = _small_study(["upper=60,70,80", "lower=40,50"])
    sweep_report.heatmap_png(study, "upper", "lower", "mean", center=0.1)
    fig = figures[-1]
    renderer = fig.canvas.get_renderer()
    picture = fig.bbox
    tight = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    assert tight.x0 >= 0 and tight.y0 >= 0
    assert tight.x1 <= picture.width + 0.5 and tight.y1 <= picture.height + 0.5
    [cells] = [a for a in fig.axes if a.images]
    [bar] = [a for a in fig.axes if a is not cells]
    assert cells.get_window_extent(renderer).x1 < bar.get_window_extent(renderer).x0
    frame, _ = sweep_report.heatmap_frame(study, "upper", "lower", "mean")
    expected = sorted(sweep_report.cell_text(v, "sharpe") for v in frame.to_numpy().ravel())
    assert sorted(t.get_text() for t in cells.texts) == expected
    assert fig.legends and [t.get_text() for t in fig.legends[0].get_texts()] == [
        "default parameters",
        "best combination",
    ]

    narrow = _small_study(["upper=50.5:80:0.5", "lower=40,50"])  # 60 columns of 16 px
    sweep_report.heatmap_png(narrow, "upper", "lower", "mean")
    [cells] = [a for a in figures[-1].axes if a.images]
    assert cells.images[0].get_array().shape == (2, 60) and len(cells.texts) == 0
