"""Sweeps without a whole-grid table or whole-result arrays: grid rows decoded by number, the
accepted combinations numbered block by block, and the streamed summaries equal to the same
reductions of the full table."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError
from engine.paths import PROJECT_ROOT
from engine.stats.sweep_columns import STAT_COLUMNS
from engine.tuning import sweep as sweep_module
from engine.tuning.combinations import BLOCK, accepted_combinations
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import Axis, Grid, build_grid, find_row
from engine.tuning.sweep import load_sweep, ranking, run_sweep
from tests.tuning.conftest import RSI_TRIM, rsi_config

GRID = ["upper=50:80:10", "lower=30,50,60", "n=5,9,14", "cooldown=0,3"]  # some refused


def _reference_table(grid: Grid) -> pd.DataFrame:
    """The whole grid as the sweep built it before it decoded rows by number."""
    sizes = [len(a.values) for a in grid.axes]
    codes = np.indices(sizes).reshape(len(sizes), -1)
    columns = {}
    for axis, code in zip(grid.axes, codes, strict=True):
        column = np.asarray(axis.values, dtype=object)[code]
        if all(isinstance(v, bool) for v in axis.values):
            columns[axis.name] = column.astype(bool)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in axis.values):
            columns[axis.name] = column.astype(np.int64)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in axis.values):
            columns[axis.name] = column.astype(np.float64)
        else:
            columns[axis.name] = pd.array(column, dtype="object")
    return pd.DataFrame(columns)


SHAPES = [
    (("a", (1, 2, 3)),),
    (("a", (0.5, 1.0)), ("b", ("x", "y", "z")), ("c", (True, False))),
    (("a", (7,)), ("b", (1, 2.5)), ("c", ("SPY", 3)), ("d", (10, 20, 30, 40))),
    (("a", tuple(range(5))), ("b", (0.1,)), ("c", tuple(range(3))), ("d", (1, 2))),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_rows_by_number_equal_the_whole_table(shape):
    grid = Grid(tuple(Axis(name, values, "") for name, values in shape))
    whole = _reference_table(grid)
    pd.testing.assert_frame_equal(grid.table(), whole)
    rng = np.random.default_rng(len(shape))
    for _ in range(5):
        start, stop = sorted(rng.integers(0, grid.size + 1, size=2))
        pd.testing.assert_frame_equal(
            grid.chunk(start, stop), whole.iloc[start:stop].reset_index(drop=True)
        )
    picked = rng.integers(0, grid.size, size=7)
    pd.testing.assert_frame_equal(grid.rows(picked), whole.iloc[picked].reset_index(drop=True))
    for row in range(grid.size):
        values = whole.iloc[row].to_dict()
        assert grid.index_of(values) == find_row(whole, values) == row
    assert grid.index_of({**whole.iloc[0].to_dict(), shape[0][0]: "off the axis"}) is None


def test_accepted_combinations_are_numbered_across_blocks():
    """A grid of ~1.5 blocks with refused rows: any range, any numbers and any row's number
    agree with the mask of the whole table."""
    base = RSI_TRIM.params_model()
    grid = build_grid(RSI_TRIM.params_model, base, ["upper=2:98:2", "lower=2:98:2", "n=5:44"])
    assert BLOCK < grid.size < 2 * BLOCK
    combos = accepted_combinations(RSI_TRIM, base, grid)
    whole = grid.table()
    mask = RSI_TRIM.valid_combinations(whole, base)
    accepted = np.flatnonzero(mask)
    assert (combos.n, combos.skipped) == (len(accepted), grid.size - len(accepted))
    for start, stop in [(0, 10), (BLOCK // 2 - 5, BLOCK // 2 + 40_000), (combos.n - 3, combos.n)]:
        np.testing.assert_array_equal(combos.grid_rows(start, stop), accepted[start:stop])
    numbers = np.random.default_rng(1).integers(0, combos.n, size=500)
    np.testing.assert_array_equal(combos.grid_rows_of(numbers), accepted[numbers])
    for row in [0, int(accepted[0]), int(accepted[-1]), BLOCK + 7, grid.size - 1]:
        expected = int(np.searchsorted(accepted, row)) if mask[row] else None
        assert combos.number_of(row) == expected
    pd.testing.assert_frame_equal(
        combos.table(100, 200), whole.iloc[accepted[100:200]].reset_index(drop=True)
    )


@pytest.fixture(scope="module")
def streamed(walk_data):
    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, GRID)
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    with LocalExecutor() as ex:
        one = run_sweep(setup, ex, chunk_size=10_000, progress=False, blocks=4, keep=5)
        many = run_sweep(setup, ex, chunk_size=7, progress=False, blocks=4, keep=5)
    return setup, one, many


def test_the_streamed_summaries_are_the_reductions_of_the_full_table(streamed):
    setup, result, _ = streamed
    assert setup.skipped > 0 and setup.default_in_grid
    table = result.table
    assert len(table) == setup.n_combos == len(setup.table)
    order = ranking(table["sharpe"].to_numpy(), "sharpe")
    np.testing.assert_array_equal(result.order, order[:5])
    top = table.iloc[order[:5]].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.top[top.columns], top)
    assert result.best_values() == {k: top[k].iloc[0].item() for k in setup.grid.names}
    sharpe = table["sharpe"].to_numpy()
    variance = sharpe[np.isfinite(sharpe)].var(ddof=1)
    assert result.summary.moments["sharpe"].variance == pytest.approx(variance, rel=1e-12)
    ir = table["information_ratio"].to_numpy()
    moments = result.summary.moments["information_ratio"]
    assert moments.variance == pytest.approx(ir[np.isfinite(ir)].var(ddof=1), rel=1e-12)
    np.testing.assert_array_equal(result.summary.pbo_blocks, result.blocks)
    assert result.default_rank == table["rank"].iloc[setup.default_row]  # its place, ties too
    row = table.iloc[setup.default_row]
    np.testing.assert_array_equal(result.default_stats.to_numpy(), row[list(STAT_COLUMNS)])


@pytest.mark.parametrize("others", ["mean", "best", "default"])
def test_heatmap_cells_equal_the_table_grouped(streamed, others):
    setup, result, _ = streamed
    table = result.table
    names = setup.grid.names
    for x, y in itertools.combinations(names, 2):
        frame, note = result.heatmap(x, y, others)
        rest = [n for n in names if n not in (x, y)]
        chosen = table
        if others != "mean":
            anchor = result.best_values() if others == "best" else setup.default_values()
            mask = np.logical_and.reduce([table[n] == anchor[n] for n in rest])
            if mask.any():
                chosen = table[mask]
                assert "combination's values" in note
            else:
                assert "not on the grid" in note
        expected = chosen.groupby([y, x])["sharpe"].mean().unstack(x)
        axes = {a.name: list(a.values) for a in setup.grid.axes}
        expected = expected.reindex(index=axes[y], columns=axes[x])
        np.testing.assert_allclose(frame.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_many_chunks_give_the_summaries_of_one(streamed):
    _, one, many = streamed
    pd.testing.assert_frame_equal(many.top, one.top)
    pd.testing.assert_frame_equal(many.table, one.table)
    np.testing.assert_array_equal(many.summary.pbo_blocks, one.summary.pbo_blocks)
    assert many.default_rank == one.default_rank
    for name in ("sharpe", "information_ratio"):
        a, b = many.summary.moments[name], one.summary.moments[name]
        assert (a.count, a.variance) == (b.count, pytest.approx(b.variance, rel=1e-12))
    for key, (sums, counts) in one.summary.cells.items():
        np.testing.assert_allclose(many.summary.cells[key][0], sums, rtol=1e-12)
        np.testing.assert_array_equal(many.summary.cells[key][1], counts)


def test_pbo_samples_combinations_above_its_limit(streamed, monkeypatch):
    setup, one, _ = streamed
    monkeypatch.setattr(sweep_module, "PBO_MAX_COMBINATIONS", 10)
    with LocalExecutor() as ex:
        sampled = run_sweep(setup, ex, chunk_size=7, progress=False, blocks=4, seed=3)
    rows = sampled.summary.pbo_rows
    expected = np.sort(np.random.default_rng(3).choice(setup.n_combos, 10, replace=False))
    np.testing.assert_array_equal(rows, expected)
    np.testing.assert_array_equal(sampled.summary.pbo_blocks, one.blocks[rows])


def test_a_table_too_large_to_read_back_is_refused_with_the_dataset_named(streamed):
    _, result, _ = streamed
    with pytest.raises(BadInputError, match=r"too many to read back.*Parquet dataset"):
        result.read_table(limit=5)
    assert sorted(result.dataset.glob("part-*.parquet"))
    stats = pd.concat(pd.read_parquet(p) for p in sorted(result.dataset.glob("part-*")))
    assert list(stats.columns[:5]) == ["combination", "upper", "lower", "n", "cooldown"]
    assert set(STAT_COLUMNS) <= set(stats.columns)


def test_a_report_above_the_read_back_limit_links_the_dataset(walk_data, tmp_path, monkeypatch):
    """Above READ_BACK_LIMIT rows the report holds the sweep's own Parquet parts (hard-linked)
    instead of a table read back, keeps top.csv, and says where the rows are."""
    from engine.report.sweep import files as files_module
    from engine.report.sweep import report as report_module
    from engine.tuning.study import StudyOptions, run_study

    cfg = rsi_config()
    grid = build_grid(RSI_TRIM.params_model, cfg.params, GRID)
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=walk_data)
    options = StudyOptions(
        check=1, top=5, blocks=4, chunk_size=10, progress=False, parts=tmp_path / "parts"
    )
    with LocalExecutor() as ex:
        study = run_study(setup, ex, options)
    monkeypatch.setattr(report_module, "READ_BACK_LIMIT", 10)
    monkeypatch.setattr(files_module, "READ_BACK_LIMIT", 10)
    report = report_module.SweepReport(
        run_id="big", command="sweep", study=study, versions={"python": "3.11"}
    )
    folder = report_module.write_sweep_report(report, tmp_path / "reports")
    assert not (folder / "combinations.parquet").exists()
    linked = sorted((folder / "combinations").glob("part-*.parquet"))
    assert [p.name for p in linked] == sorted(p.name for p in study.sweep.dataset.glob("part-*"))
    rows = pd.concat(pd.read_parquet(p) for p in linked)
    pd.testing.assert_series_equal(
        rows["sharpe"].iloc[: setup.n_combos].reset_index(drop=True),
        study.sweep.table["sharpe"],
    )
    assert len(pd.read_csv(folder / "top.csv")) == 5
    html = (folder / "report.html").read_text()
    assert "the Parquet dataset combinations/" in html
    assert f"combinations/ ({len(linked)} Parquet parts)" in html
    summary = json.loads((folder / "summary.json").read_text())
    assert f"combinations/ ({len(linked)} Parquet parts)" in summary["files"]
