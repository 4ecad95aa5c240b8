"""Speed of the batch decisions alone: `Strategy.decide` for ~5,000 combinations on the mirror.

    .venv/bin/python benchmarks/decide_benchmark.py                     # every grid below
    .venv/bin/python benchmarks/decide_benchmark.py --only macro_regime

Only the decision side is timed (indicators once per distinct value, labels, events), not the
portfolio simulation. Each grid runs in a fresh subprocess so its peak RSS is its own; the data
(the strategy's default config on the offline mirror, whole history) is loaded before the clock
starts, and a first call on two combinations (numba compile or cache load) is excluded. The
figure is the best of `--repeat` calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = (ROOT / ".." / "shared" / "market-data").resolve()
OVER = [{"IWM": 0.7, "SPY": 0.3}, {"IWM": 0.9, "SPY": 0.1}]
BASE = [{"IWM": 0.3, "SPY": 0.7}, {"SPY": 1.0}]

# name -> (strategy, {parameter: values}); the grid is their cartesian product.
GRIDS: dict[str, tuple[str, dict[str, list]]] = {
    "small_cap_lead/return_spread": (
        "small_cap_lead",
        {
            "lookback_days": list(range(5, 255, 5)),  # 50 distinct k
            "spread_threshold": [round(-0.045 + 0.001 * i, 6) for i in range(100)],
        },
    ),
    "small_cap_lead/mixed": (
        "small_cap_lead",
        {
            "mode": ["return_spread", "ratio_ma", "streak"],
            "lookback_days": list(range(10, 110, 10)),
            "ma_days": list(range(20, 220, 20)),
            "hold_days": [5, 10, 20, 40],
            "overweight": OVER,
            "base": BASE,
        },
    ),
    "equal_weight_tilt": (
        "equal_weight_tilt",
        {
            "signal": ["return_spread", "ratio_ma"],
            "lookback_days": list(range(10, 260, 10)),
            "ma_days": list(range(20, 260, 20)),
            "spread_threshold": [-0.01, 0.0, 0.01, 0.02],
            "mode": ["switch", "tilt"],
        },
    ),
    "macro_regime": (
        "macro_regime",
        {
            "rate_ma_days": list(range(10, 510, 10)),  # 50 distinct m
            "vix_threshold": [10.0 + 0.5 * i for i in range(50)],
            "yield_max_stale_sessions": [0, 5],
        },
    ),
}


def measure(name: str, repeat: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    from engine.config.run_config import apply_overrides, build_config, read_toml
    from engine.simulate.pipeline import load_data_for
    from engine.tuning.grid import Axis, Grid
    from strategies import discover

    strategy_name, axes = GRIDS[name]
    strategy = discover()[strategy_name]
    tmp = tempfile.mkdtemp(prefix="decide-bench-")
    overrides = [
        f"data.cache_dir='{tmp}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
    ]
    cfg = build_config(strategy, apply_overrides(read_toml(strategy.default_config), overrides))
    grid = Grid(tuple(Axis(k, tuple(v), str(len(v))) for k, v in axes.items()))
    table = grid.table()
    params = cfg.params
    extra = [t for v in axes.get("overweight", []) + axes.get("base", []) for t in v]
    data = load_data_for(strategy, cfg, ROOT, extra)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    strategy.decide(data, params, table.iloc[:2].reset_index(drop=True))
    first_s = time.perf_counter() - started
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        decisions = strategy.decide(data, params, pd.DataFrame(table))
        best = min(best, time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "combinations": decisions.n_combos,
        "sessions": len(data.index),
        "seconds": best,
        "us_per_combination": 1e6 * best / decisions.n_combos,
        "events": decisions.n_events,
        "palette_rows": len(decisions.palette),
        "peak_rss_mb": peak_mb,
        "rss_before_mb": before_mb,
        "first_call_s": first_s,
        "events_per_combination": float(np.mean(np.diff(decisions.offsets))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one grid name (or strategy prefix)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process's grid
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return 0
    if not MIRROR.is_dir():
        print(f"no market-data mirror at {MIRROR}", file=sys.stderr)
        return 1
    names = [n for n in GRIDS if not args.only or n.startswith(args.only)]
    print(
        f"{'grid':<30} {'combos':>6} {'sessions':>8} {'seconds':>8} {'us/combo':>8} "
        f"{'events/combo':>12} {'peak RSS MB':>11} {'(data loaded':>12} {'1st call s)':>11}"
    )
    for name in names:
        command = [sys.executable, __file__, "--one", name, "--repeat", str(args.repeat)]
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        if out.returncode:
            print(f"{name}: failed\n{out.stderr}", file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:<30} {r['combinations']:>6} {r['sessions']:>8} {r['seconds']:>8.3f} "
            f"{r['us_per_combination']:>8.1f} {r['events_per_combination']:>12.1f} "
            f"{r['peak_rss_mb']:>11.0f} {r['rss_before_mb']:>12.0f} {r['first_call_s']:>11.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
