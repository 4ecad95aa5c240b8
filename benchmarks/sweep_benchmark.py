"""Speed of the rsi_trim sweep on the fused kernel: 1k / 10k / 100k combinations (and 1M).

    .venv/bin/python benchmarks/sweep_benchmark.py              # 1,000, 10,000 and 100,000
    .venv/bin/python benchmarks/sweep_benchmark.py --sizes 1000000

Each size runs in a fresh subprocess so its peak RSS is its own. The data (IWM and SPY from the
offline mirror, 2000-05-26 to the end, fees and slippage 1 bp, next-session execution) is loaded
before the clock starts; "compute" is the plan (one Wilder RSI per distinct lookback, shared, and
the per-combination arrays) plus the chunked kernel over every combination, on all cores, exactly
as `run_backtest.py sweep` runs it. The first kernel call (numba compile, or loading its on-disk
cache) is timed separately and excluded. Grids: upper x lower x n (1k), x cooldown (10k),
x trim_weight (100k), x core_weight (1M), ten values each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = (ROOT / ".." / "shared" / "market-data").resolve()
AXES = [
    "upper=60:87:3",
    "lower=20:47:3",
    "n=5:32:3",
    "cooldown=0:9",
    "trim_weight=0:0.9:0.1",
    "core_weight=0.91:1.0:0.01",
]


def _grid_for(size: int) -> list[str]:
    count = {1_000: 3, 10_000: 4, 100_000: 5, 1_000_000: 6}.get(size)
    if count is None:
        raise SystemExit(f"size {size}: choose 1000, 10000, 100000 or 1000000")
    return AXES[:count]


def measure(size: int, chunk: int | None) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import numba

    from engine.config import apply_overrides, build_config, read_toml
    from engine.tuning.executors import LocalExecutor
    from engine.tuning.grid import build_grid
    from engine.tuning.sweep import DEFAULT_FAST_CHUNK, fast_module, load_sweep, run_plan
    from strategies import discover

    strategy = discover()["rsi_trim"]
    tmp = tempfile.mkdtemp(prefix="sweep-bench-")
    overrides = [
        f"data.cache_dir='{tmp}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
    ]
    cfg = build_config(strategy, apply_overrides(read_toml(strategy.default_config), overrides))
    grid = build_grid(strategy.params_model, cfg.params, _grid_for(size))
    setup = load_sweep(strategy, cfg, grid, ROOT)  # loads the data (not timed)
    window = setup.window(16)
    fast = fast_module(strategy)
    executor = LocalExecutor()
    chunk = chunk or DEFAULT_FAST_CHUNK

    started = time.perf_counter()
    first = setup.plan.payload(0, 2)
    setup.plan.core.run(first, window, parallel=True)  # compile or load the cache
    compile_s = time.perf_counter() - started

    started = time.perf_counter()
    plan = fast.build_plan(strategy, cfg, setup.data, setup.table, setup.index)
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    run_plan(plan, setup.n_combos, window, executor, chunk, progress=False)
    kernel_s = time.perf_counter() - started
    cpu = time.process_time()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compute = plan_s + kernel_s
    return {
        "combinations": setup.n_combos,
        "sessions": len(setup.index),
        "seconds": compute,
        "plan_s": plan_s,
        "kernel_s": kernel_s,
        "session_combos_per_s": setup.n_combos * len(setup.index) / compute,
        "peak_rss_mb": peak_mb,
        "first_call_s": compile_s,
        "threads": numba.get_num_threads(),
        "cpu_s_total": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--chunk", type=int, help="combinations per chunk (default: the sweep's)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.chunk)))
        return 0
    if not MIRROR.is_dir():
        print(f"no market-data mirror at {MIRROR}", file=sys.stderr)
        return 1
    print(f"rsi_trim sweep, IWM/SPY, fees on, next-session execution; {os.cpu_count()} CPUs")
    header = (
        f"{'combinations':>12} {'sessions':>8} {'seconds':>8} {'session-combos/s':>17} "
        f"{'peak RSS':>9} {'(plan s':>8} {'kernel s':>8} {'1st call s)':>11}"
    )
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size)]
        if args.chunk:
            command += ["--chunk", str(args.chunk)]
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['combinations']:>12,} {r['sessions']:>8,} {r['seconds']:>8.3f} "
            f"{r['session_combos_per_s'] / 1e6:>15.1f} M {r['peak_rss_mb']:>6.0f} MB "
            f"{r['plan_s']:>8.3f} {r['kernel_s']:>8.3f} {r['first_call_s']:>11.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
