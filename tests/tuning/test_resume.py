"""An interrupted sweep resumes from its finished chunks and gives the same table as one
uninterrupted run; a different sweep never reuses them; a completed sweep's dataset holds its
result's rows (one Parquet part per chunk, parameters included) while the result lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine as rl
from engine.paths import PROJECT_ROOT
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.sweep import load_sweep, run_sweep
from tests.helpers import MIRROR
from tests.tuning.conftest import RSI_TRIM, rsi_config

GRID = ["upper=60:80:10", "lower=30,50", "n=5,9", "cooldown=0,3"]  # 24 combinations


class Interrupting(LocalExecutor):
    """Runs `allowed` chunks, then raises KeyboardInterrupt (Ctrl-C) as the next one starts;
    counts the chunks it ran."""

    def __init__(self, allowed: int | None = None) -> None:
        super().__init__()
        self.allowed = allowed
        self.ran: list[tuple[int, int]] = []

    def map(self, core, chunks, window):
        for start, stop, payload in chunks:
            if self.allowed is not None and len(self.ran) >= self.allowed:
                raise KeyboardInterrupt
            self.ran.append((start, stop))
            yield start, stop, core.run(payload, window)


def _setup(data, axes=GRID, **backtest):
    cfg = rsi_config(**backtest)
    grid = build_grid(RSI_TRIM.params_model, cfg.params, axes)
    return load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=data)


def _sweep(setup, executor, parts, resume=False):
    return run_sweep(
        setup, executor, chunk_size=5, progress=False, blocks=4, parts=parts, resume=resume
    )


def test_an_interrupted_sweep_resumes_from_its_finished_chunks(walk_data, tmp_path):
    setup = _setup(walk_data)
    whole = _sweep(setup, LocalExecutor(), None)
    first = Interrupting(allowed=3)
    with pytest.raises(KeyboardInterrupt):
        _sweep(setup, first, tmp_path)
    [folder] = list(tmp_path.glob("sweep-parts-*"))
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == 3 and not list(folder.glob(".*tmp"))
    one = pd.read_parquet(parts[0])
    assert one["combination"].tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(one["sharpe"], whole.table["sharpe"].iloc[:5])

    second = Interrupting()
    resumed = _sweep(setup, second, tmp_path, resume=True)
    assert second.ran == [(15, 20), (20, 25)]  # the rest (row 24: the default, off the grid)
    pd.testing.assert_frame_equal(resumed.table, whole.table)
    np.testing.assert_array_equal(resumed.blocks, whole.blocks)
    assert resumed.default_rank == whole.default_rank
    assert resumed.dataset == folder  # the completed dataset is the result
    assert len(list(folder.glob("part-*.parquet"))) == 5
    last = pd.read_parquet(folder / "part-000000000020-000000000025.parquet")
    assert last["combination"].tolist() == [20, 21, 22, 23, 24]
    assert last["n"].iloc[4] == 14  # row 24: the default, with its own parameters
    for name in ("upper", "lower", "n", "cooldown"):
        np.testing.assert_array_equal(last[name].iloc[:4], whole.table[name].iloc[20:24])


def test_another_sweep_or_no_resume_starts_afresh(walk_data, tmp_path):
    setup = _setup(walk_data)
    with pytest.raises(KeyboardInterrupt):
        _sweep(setup, Interrupting(allowed=2), tmp_path)
    other = _setup(walk_data, fees_bps=7.0)  # other costs: other numbers, another dataset
    counting = Interrupting()
    _sweep(other, counting, tmp_path, resume=True)
    assert len(counting.ran) == 5  # nothing reused
    fresh = Interrupting()
    _sweep(setup, fresh, tmp_path, resume=False)  # without --resume: the old chunks go
    assert len(fresh.ran) == 5
    assert not list(tmp_path.iterdir())  # completed: each dataset went with its result
    kept = _sweep(setup, Interrupting(), tmp_path)
    folder = kept.keep_dataset()
    del kept  # a kept dataset outlives its result, and a resumed sweep reuses it whole
    again = Interrupting()
    resumed = _sweep(setup, again, tmp_path, resume=True)
    assert again.ran == [] and resumed.dataset == folder
    resumed.remove_dataset()
    assert not folder.exists()


@pytest.mark.realdata
@pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")
def test_a_sweep_stopped_by_sigterm_resumes_to_the_same_table(tmp_path):
    """A real `sweep` process gets SIGTERM once a few chunks are on disk; `--resume` finishes
    it from them, and its table is that of an uninterrupted sweep."""
    sets = [
        f"data.cache_dir='{tmp_path / 'cache'}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
        f"report.output_dir='{tmp_path / 'reports'}'",
    ]
    grid = ["upper=60:87:3", "lower=20:47:3", "n=5:32:3"]  # 1,000 combinations, 100 chunks
    argv = ["sweep", "rsi_trim", "--chunk-size", "10", "--check", "1", "--no-progress"]
    for item in grid:
        argv += ["--grid", item]
    for item in sets:
        argv += ["--set", item]
    command = [sys.executable, str(PROJECT_ROOT / "run_backtest.py"), *argv]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        parts: list[Path] = []
        while len(parts) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            parts = list((tmp_path / "reports" / "rsi_trim").glob("sweep-parts-*/part-*"))
        if proc.poll() is not None:
            pytest.skip("the sweep finished before it could be interrupted")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 1, err
    kept = list((tmp_path / "reports" / "rsi_trim").glob("sweep-parts-*/part-*.parquet"))
    assert 3 <= len(kept) < 100, (len(kept), err)
    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    folders = list((tmp_path / "reports" / "rsi_trim").glob("sweep-*"))
    assert len(folders) == 1, (folders, resumed.stdout[-2000:])  # the parts are gone
    [folder] = folders
    table = pd.read_csv(folder / "combinations.csv")
    again = rl.sweep("rsi_trim", grid, overrides=sets, check=1)
    expected = again.table.reset_index(drop=True)
    np.testing.assert_allclose(table["sharpe"], expected["sharpe"], rtol=1e-12)
    assert table["rank"].tolist() == expected["rank"].tolist()
