"""The sweep report folder: complete or absent, its tables, heatmaps, words and trial ledger."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.paths import PROJECT_ROOT
from engine.report.sweep import report as report_module
from engine.report.sweep.charts import SweepReportError, heatmap_frame, heatmap_pairs
from engine.report.sweep.report import SweepReport, write_sweep_report
from engine.report.sweep.words import explanations
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.ledger import LEDGER, recorded_trials
from engine.tuning.study import StudyOptions, run_study
from engine.tuning.sweep import load_sweep
from engine.tuning.walk_forward import WalkForwardSpec
from tests.tuning.conftest import RSI_TRIM, rsi_config


@pytest.fixture(scope="module")
def study(walk_data):
    cfg = rsi_config()
    grid = build_grid(
        RSI_TRIM.params_model, cfg.params, ["upper=60,70,80", "lower=40,50", "n=7,14"]
    )
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    options = StudyOptions(
        check=2, top=5, blocks=8, walk_forward=WalkForwardSpec.parse("train=4y,test=2y")
    )
    with LocalExecutor() as ex:
        return run_study(setup, ex, options)


def _report(study, run_id="r1", **kw):
    return SweepReport(run_id=run_id, command="python run_backtest.py sweep rsi_trim", study=study,
                       versions={"python": "3.11"}, **kw)  # fmt: skip


def test_study_numbers_hang_together(study):
    sweep = study.sweep
    assert study.check_passed and len(study.check) == 2
    assert study.check["relative_gap"].max() < 1e-9
    assert sweep.default_rank == sweep.table["rank"].iloc[study.sweep.setup.default_row]
    assert study.dsr.n_trials == 12 and study.dsr.n_obs == len(sweep.setup.index) - 1
    best_curve = study.equity.iloc[:, 0]
    assert best_curve.iloc[-1] == pytest.approx(sweep.table["final_equity"].iloc[sweep.best_row])
    assert study.pbo is not None and study.pbo.total_splits == 70


def test_report_folder_has_every_file_and_the_ledger_counts_trials(study, tmp_path):
    folder = write_sweep_report(_report(study), tmp_path)
    assert folder == tmp_path / "rsi_trim" / "sweep-r1"
    names = {p.name for p in folder.iterdir()}
    for name in (
        "combinations.csv",
        "combinations.parquet",
        "top.csv",
        "top_equity.png",
        "heatmap_upper_lower.csv",
        "heatmap_upper_n.csv",
        "heatmap_lower_n.csv",
        "engine_check.csv",
        "pbo_splits.csv",
        "walk_forward.csv",
        "walk_forward_equity.csv",
        "walk_forward.png",
        "report.html",
        "report.md",
        "summary.json",
        "config.toml",
    ):
        assert name in names, name
    table = pd.read_parquet(folder / "combinations.parquet")
    assert len(table) == 12 and {"upper", "lower", "n", "sharpe", "rank"} <= set(table.columns)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["combinations_tried"] == 12
    assert summary["default"]["rank"] == study.sweep.default_rank
    assert summary["engine_check"]["passed"] is True
    assert summary["walk_forward"]["windows"] == len(study.walk_forward.windows)
    html = (folder / "report.html").read_text()
    assert "Deflated Sharpe ratio" in html and "Probability of backtest overfitting" in html
    assert "data:image/png;base64," in html and "Walk-forward" in html
    assert html.count('<table class="heatmap">') == 3 and "heatmap_upper_lower.png" not in html
    cells, _ = heatmap_frame(study, "upper", "lower", "mean")
    written = pd.read_csv(folder / "heatmap_upper_lower.csv", index_col=0)
    assert written.index.name == "lower \\ upper"
    np.testing.assert_array_equal(written.to_numpy(), cells.to_numpy())
    assert list(written.columns) == ["60.0", "70.0", "80.0"]
    md = (folder / "report.md").read_text()
    assert "| lower \\\\ upper | 60 | 70 | 80 |" in md and "heatmap_upper_lower.csv" in md
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]
    assert recorded_trials(folder.parent) == 12
    write_sweep_report(_report(study, run_id="r2"), tmp_path)
    assert recorded_trials(folder.parent) == 24
    assert pd.read_csv(folder.parent / LEDGER)["run_id"].tolist() == ["r1", "r2"]
    with pytest.raises(SweepReportError, match="already exists"):  # never overwritten
        write_sweep_report(_report(study, run_id="r2"), tmp_path)


def test_a_failure_leaves_no_folder_and_no_ledger_entry(study, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_module, "heatmap_table", broken)
    with pytest.raises(SweepReportError, match="No space left"):
        write_sweep_report(_report(study), tmp_path)
    assert list((tmp_path / "rsi_trim").iterdir()) == []


def test_heatmap_cells_average_or_fix_the_other_parameters(study):
    table = study.sweep.table
    grid, note = heatmap_frame(study, "upper", "lower", "mean")
    cell = table[(table["upper"] == 70) & (table["lower"] == 40)]["sharpe"].mean()
    assert grid.loc[40.0, 70.0] == pytest.approx(cell)
    assert list(grid.columns) == [60.0, 70.0, 80.0] and "averaged over n" in note
    best = table.iloc[study.sweep.best_row]
    fixed, note = heatmap_frame(study, "upper", "lower", "best")
    row = table[(table["upper"] == 70) & (table["lower"] == 40) & (table["n"] == best["n"])]
    assert fixed.loc[40.0, 70.0] == row["sharpe"].iloc[0]
    assert f"n={int(best['n'])}" in note
    with pytest.raises(SweepReportError, match="not a swept parameter"):
        heatmap_pairs(study, [("upper", "cooldown")])


def test_words_state_the_numbers(study):
    words = explanations(study)
    assert f"{study.dsr.probability:.3f}" in words["dsr"]
    assert f"{study.pbo.pbo:.2f}" in words["pbo"]
    s = study.walk_forward.summary
    assert f"{s.loc['chosen', 'oos_sharpe']:.2f}" in words["walk_forward"]
    assert np.isfinite(study.dsr.probability)


def test_a_sweep_without_the_cross_check_writes_its_report(walk_data, tmp_path):
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=60,70", "lower=40,50"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    with LocalExecutor() as ex:
        study = run_study(setup, ex, StudyOptions(check=0, top=3, blocks=4))
    html = (write_sweep_report(_report(study), tmp_path) / "report.html").read_text()
    assert study.check is None and 'id="check"' not in html
    assert html.count('<table class="heatmap">') == 1


def test_a_sweep_of_one_parameter_has_no_heatmap_section(walk_data, tmp_path):
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=60,70"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    with LocalExecutor() as ex:
        study = run_study(setup, ex, StudyOptions(check=0, top=3, blocks=4))
    folder = write_sweep_report(_report(study), tmp_path)
    html = (folder / "report.html").read_text()
    assert 'id="heatmaps"' not in html and 'id="luck"' in html
    assert "## Heatmaps" not in (folder / "report.md").read_text()
    assert not list(folder.glob("heatmap_*"))
