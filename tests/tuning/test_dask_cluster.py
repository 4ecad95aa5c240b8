"""A real Dask cluster: `dask scheduler` and two `dask worker` processes (the distributed
package's own command line) on 127.0.0.1. A sweep through `--scheduler` gives the same table as
a local one, for a shipped strategy, a `--strategies-dir` strategy and a strategy defined in a
running script's `__main__` (as in a notebook): the workers cannot import the last two, which
travel by value. Every wait is bounded; the processes are stopped in `finally`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import engine as rl
from engine.paths import PROJECT_ROOT
from tests.helpers import MIRROR

START_TIMEOUT_S = 90.0
DASK = Path(sys.executable).parent / "dask"  # the distributed package's command line

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}"),
    pytest.mark.skipif(not DASK.exists(), reason=f"no dask command line at {DASK}"),
]


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The scheduler's address; the scheduler picks a free port (--port 0) and writes it to a
    scheduler file the workers and this test read."""
    folder = tmp_path_factory.mktemp("dask-cluster")
    file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "0"}
    common = {"cwd": folder, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            subprocess.Popen(
                [
                    str(DASK),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(file),
                ],
                **common,
            )
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not file.exists() or not file.read_text().strip():
            if processes[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("the dask scheduler did not start")
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written at once; read it whole
        address = json.loads(file.read_text())["address"]
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        str(DASK),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--memory-limit",
                        "0",
                    ],
                    **common,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address
    finally:
        _stop(processes)


def _options(tmp: Path) -> dict:
    return {
        "data": {
            "cache_dir": str(tmp / "cache"),
            "mirror_dir": str(MIRROR),
            "providers": ["cache", "mirror"],
        },
        "check": 0,  # the vectorbt cross-check is tested elsewhere; the tables are compared here
        "chunk_size": 2,  # several tasks, spread over both workers
    }


def _same_tables(local: pd.DataFrame, remote: pd.DataFrame) -> None:
    assert len(local) >= 4
    pd.testing.assert_frame_equal(remote, local)


def test_shipped_strategy_same_table_on_the_cluster(cluster, tmp_path):
    grid = {"upper": [70, 80], "lower": [30, 50], "n": [14]}
    local = rl.sweep("rsi_trim", grid, config_grid=False, **_options(tmp_path))
    remote = rl.sweep(
        "rsi_trim",
        grid,
        config_grid=False,
        executor="dask",
        scheduler=cluster,
        **_options(tmp_path),
    )
    assert "2 workers" in remote.executor and cluster in remote.executor
    _same_tables(local.table, remote.table)


def test_strategies_dir_strategy_runs_on_the_workers(cluster, tmp_path):
    folder = tmp_path / "my_rules"
    folder.mkdir()
    shutil.copy(PROJECT_ROOT / "examples" / "relative_momentum.py", folder)
    grid = {"lookback": [21, 63], "margin": [0.0, 0.02]}
    kwargs = {"config_grid": False, "strategies_dir": folder, **_options(tmp_path)}
    local = rl.sweep("relative_momentum", grid, **kwargs)
    remote = rl.sweep("relative_momentum", grid, executor="dask", scheduler=cluster, **kwargs)
    _same_tables(local.table, remote.table)


NOTEBOOK = """
import json, sys
import numpy as np
import pandas as pd
from pydantic import Field
import engine as rl

class Params(rl.Strict):
    lookback: int = Field(default=21, ge=2, le=252)

def tickers(params):
    return ["IWM", "SPY"]

def decide(data, params, table):
    lookbacks = rl.param_values(table, params, "lookback").astype(int)
    close = data.adj_close[["IWM", "SPY"]].to_numpy()
    labels = np.full((len(table), len(data.index)), -1, dtype=np.int64)
    for j, k in enumerate(lookbacks):
        growth = np.full(close.shape, np.nan)
        growth[k:] = close[k:] / close[:-k]
        known = ~np.isnan(growth).any(axis=1)
        labels[j, known] = (growth[known, 0] > growth[known, 1]).astype(np.int64)
    palette = np.array([[0.0, 1.0], [1.0, 0.0]])
    return rl.Decisions.from_labels(labels, palette, data.index, ["IWM", "SPY"])

RULE = rl.Strategy(name="notebook_rule", description="IWM while it leads SPY over k sessions",
                   params_model=Params, tickers=tickers, decide=decide)
options = json.loads(sys.argv[2])
grid = {"lookback": [10, 21, 42, 63]}
local = rl.sweep(RULE, grid, config_grid=False, **options)
remote = rl.sweep(RULE, grid, config_grid=False, executor="dask", scheduler=sys.argv[1], **options)
local.table.to_csv(sys.argv[3] + "/local.csv", index=False)
remote.table.to_csv(sys.argv[3] + "/remote.csv", index=False)
print(remote.executor)
"""


def test_strategy_defined_in_main_runs_on_the_workers(cluster, tmp_path):
    """A script's (or a notebook's) own Strategy object: its module is __main__, which no
    worker has; cloudpickle sends its functions and parameter model by value."""
    script = tmp_path / "notebook.py"
    script.write_text(textwrap.dedent(NOTEBOOK))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run(
        [sys.executable, str(script), cluster, json.dumps(_options(tmp_path)), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "2 workers" in out.stdout
    local = pd.read_csv(tmp_path / "local.csv")
    remote = pd.read_csv(tmp_path / "remote.csv")
    _same_tables(local, remote)
