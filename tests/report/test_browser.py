"""Every report kind opened in a real browser (headless Chromium): nothing wider than 1,400 px,
every image loaded. Skipped, with the reason, only where no Chromium or driver is installed
(.ci/run installs Debian's chromium and chromium-driver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.claim_checks.eras import counterpart_lines
from engine.claim_checks.runner import evaluate
from engine.data.factor_source import factor_market_data
from engine.paths import PROJECT_ROOT
from engine.report.claims.report import write_claims_report
from engine.report.compare.report import write_compare_report
from engine.report.run.writer import write_report
from engine.report.sweep.report import SweepReport, write_sweep_report
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.study import StudyOptions, run_study
from engine.tuning.sweep import load_sweep
from engine.tuning.walk_forward import WalkForwardSpec
from tests.claims.builders import leadership_def, streak_def
from tests.claims.test_leadership import planted as planted_years
from tests.claims.test_monthly_kinds import factor_data, signal_def
from tests.claims.test_streak import planted_pair
from tests.helpers import market_data, random_walk
from tests.test_compare import synthetic_comparison
from tests.tuning.conftest import RSI_TRIM, rsi_config

from . import browser
from .conftest import make_input

pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
if browser.find_browser() is None:
    pytest.skip(
        "no chromium and chromedriver on PATH: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )


def _single(root: Path) -> Path:
    inp = make_input()
    # a wide strategy table with long notes, as first10days' per_year has
    per_year = inp.tables["per_year"]
    for i in range(14):
        per_year[f"T{i}_rest_ret"] = [0.01 * i, -0.02]
    per_year["note"] = ["no IWM price at the anchor or on day 10 of the year, so no leader", ""]
    return write_report(inp, root) / "report.html"


def _compare(root: Path) -> Path:
    _, _, inp = synthetic_comparison(
        root / "data", "switch@fast.every=5", specs=("hold", "switch", "switch@fast")
    )
    return write_compare_report(inp, root / "reports") / "report.html"


def _claims(root: Path) -> Path:
    streak = evaluate(
        streak_def(as_of="2020-03-10", claimed={"lengths": [7], "since_year": 2019},
                   sensitivity={"headline_k": [3, 5]}),
        market_data(planted_pair()),
    )  # fmt: skip
    lead = evaluate(
        leadership_def(sensitivity={"anchor": ["prior_close", "first_close"]}),
        market_data(planted_years()),
    )
    monthly = evaluate(  # a monthly claim: its eras and counterpart tables
        signal_def(era_breaks=[1933], counterpart={"claim": "streak", "finding": "x"}),
        factor_market_data(factor_data()),
    )
    results = [streak, lead, monthly]
    counterpart_lines(results)
    folder = write_claims_report(results, root, "python run_backtest.py claims", run_id="b")
    return folder / "report.html"


def _sweep(root: Path) -> Path:
    prices = random_walk(["IWM", "SPY"], "2009-01-01", "2016-12-31", seed=21, drift=0.0004)
    data = market_data(prices, prices.shift(1).fillna(prices) * 1.001)
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=60,70,80", "lower=40,50"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=data)
    options = StudyOptions(
        check=1, top=5, blocks=8, walk_forward=WalkForwardSpec.parse("train=4y,test=2y")
    )
    with LocalExecutor() as ex:
        study = run_study(setup, ex, options)
    report = SweepReport(run_id="b", command="python run_backtest.py sweep rsi_trim",
                         study=study, versions={"python": "3.11"})  # fmt: skip
    return write_sweep_report(report, root) / "report.html"


BUILDERS = {"single": _single, "compare": _compare, "claims": _claims, "sweep": _sweep}
# kind -> (most px the page may be tall, most px down the first visible chart may start): the
# single run and compare show their equity chart on the first 900 px screen.
LIMITS = {"single": (6000, 900), "compare": (6000, 900), "claims": (12000, 900),
          "sweep": (6000, 2400)}  # fmt: skip


@pytest.fixture(scope="module")
def driver():
    with browser.chromium() as d:
        yield d


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_report_fits_1400px_and_every_image_loads(kind, driver, tmp_path):
    page = BUILDERS[kind](tmp_path)
    browser.open_page(driver, page)
    assert browser.page_width(driver) <= browser.VIEWPORT, kind
    assert browser.overflowing(driver) == [], kind
    images = browser.images(driver)
    assert images, f"{kind}: the report shows no chart"
    broken = [alt for alt, complete, width in images if not (complete and width > 0)]
    assert broken == [], f"{kind}: images that did not load: {broken}"
    tallest, chart_by = LIMITS[kind]
    assert browser.page_height(driver) <= tallest, kind
    assert 0 <= browser.first_chart_top(driver) <= chart_by, kind


def test_the_checks_catch_a_wide_page_and_a_broken_image(driver, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(
        '<!DOCTYPE html><html><body><div style="width:1800px">wide</div>'
        '<div style="overflow:auto;max-width:100%"><table style="width:3000px"><tr><td>boxed'
        '</td></tr></table></div><img src="data:image/png;base64,AAAA" alt="broken"></body></html>'
    )
    browser.open_page(driver, page)
    assert browser.page_width(driver) > browser.VIEWPORT
    wide = browser.overflowing(driver)
    assert any(item.startswith("div") for item in wide)
    assert not any(item.startswith(("table", "td")) for item in wide)  # inside its scroll box
    assert browser.images(driver) == [("broken", True, 0)]


@pytest.mark.realdata
def test_first10days_on_the_mirror_fits_1400px(driver, tmp_path):
    """The real report: 26 years, a wide per-year table with notes, every chart."""
    from strategies import discover
    from tests.helpers import run_on_mirror

    inp = run_on_mirror(discover()["first10days"], tmp_path)
    page = write_report(inp, tmp_path / "out") / "report.html"
    browser.open_page(driver, page)
    assert browser.page_width(driver) <= browser.VIEWPORT
    assert browser.overflowing(driver) == []
    images = browser.images(driver)
    assert len(images) == 6 and all(complete and width > 0 for _, complete, width in images)
    # the answer, the equity chart and the key statistics on the first screen; the rest folded
    assert browser.page_height(driver) <= 6000
    assert 0 <= browser.first_chart_top(driver) <= 500
