"""Speed and memory of sweeps: every strategy, whole commands, the kernel at scale, and vectorbt.

    .venv/bin/python benchmarks/sweep_benchmark.py                 # all three parts
    .venv/bin/python benchmarks/sweep_benchmark.py --part compute  # or commands, scale, vectorbt
    .venv/bin/python benchmarks/sweep_benchmark.py --part report   # rsi_trim 10,000 vs 1, report
    .venv/bin/python benchmarks/sweep_benchmark.py --part scale --sizes 1000000,10000000

Data: the offline mirror (../shared/market-data), each strategy's default period (2000-2026 for
most), fees and slippage 1 bp, next-session execution, a fresh cache folder per run.

- compute: each strategy's sweep compute per combination on the grids below, against the fused
  rsi_trim kernel (benchmarks/fused_rsi_trim.py: the kind of kernel issue 20 measured at 31 us a
  combination, one loop per combination ending in the sweep's whole row, which it matches to
  rounding) on the issue's 10,000-combination grid, timed in turn in the same process; the
  floor kernel (final equity only) is printed beside it.
- commands: `run_backtest.py sweep STRATEGY` on a grid of a few thousand combinations and on a
  grid of one, each in a fresh process, timed from start to exit (imports, data, sweep, the
  vectorbt check of sampled rows, PBO, top table; `--no-report`). The cost of one extra
  combination is (t_N - t_1) / (N - 1). rsi_trim is also timed with its report for 10,000
  combinations against one (`--part report` alone), next to the fused rsi_trim kernel
  (benchmarks/fused_rsi_trim.py) timed in the same run: the extra seconds over the kernel's is
  the ratio issue 20 bounds by 3, with where the extra goes phase by phase.
- scale: the whole sweep (decisions and kernel chunk by chunk on all cores, every row streamed
  to the Parquet dataset, the bounded summaries) for rsi_trim, a two-asset strategy (IWM, SPY),
  at 1k to 10M combinations and sector_rotation at 100k, each in a fresh process for its own
  peak RSS, with the rows the dataset holds; data loading and the first (compiling) call
  excluded from the time, not from the peak RSS. Target: under 2 GB at 10M.
- vectorbt: the same grid through vectorbt's own broadcasting, `Portfolio.from_orders` with
  every combination as a column group (target percent, cash sharing, call_seq="auto"), next to
  the kernel, with the largest relative gap in final equity between the two.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, for imports
from benchmarks.sweep_children import (
    MIRROR,
    ROOT,
    VECTORBT_GRIDS,
    compare_vectorbt,
    measure_compute,
    measure_scale,
    run_command,
)

MIXES = [
    {"SPY": 0.6, "IWM": 0.4},
    {"SPY": 0.3, "QQQ": 0.2, "IWM": 0.35, "XLI": 0.075, "XLF": 0.075},
    {"SPY": 0.5, "IWM": 0.3, "TLT": 0.2},
    {"IWM": 0.5, "QQQ": 0.5},
    {"SPY": 0.25, "IWM": 0.25, "QQQ": 0.25, "DIA": 0.25},
    {"SPY": 0.4, "IWM": 0.2, "XLE": 0.1, "XLV": 0.1, "XLP": 0.1, "XLU": 0.1},
    {"SPY": 0.7, "IWM": 0.3},
    {"IWM": 0.6, "GLD": 0.2, "TLT": 0.2},
]
# A few thousand combinations per strategy ([sweep] tables: ranges "a:b:step" or lists).
GRIDS: dict[str, dict[str, Any]] = {
    "rsi_trim": {"upper": "60:87:3", "lower": "20:47:3", "n": "5:32:3", "cooldown": "0:2"},
    "first10days": {
        "lead_days": "1:60",
        "anchor": ["prior_close", "first_close", "first_open"],
        "price_field": ["adj_close", "close"],
        "horizon": ["year_end", 21, 42, 63, 126, 189, 252, 10, 5, 100],
    },
    "small_cap_lead": {
        "mode": ["return_spread", "ratio_ma", "streak"],
        "lookback_days": "5:60:5",
        "spread_threshold": "-0.01:0.03:0.005",
        "ma_days": "20:200:20",
    },
    "macro_regime": {
        "rate_ma_days": "10:200:10",
        "vix_threshold": "12:40:2",
        "yield_max_stale_sessions": "0:9",
    },
    "equal_weight_tilt": {
        "signal": ["return_spread", "ratio_ma"],
        "lookback_days": "10:200:10",
        "spread_threshold": "-0.02:0.02:0.005",
        "mode": ["switch", "tilt"],
        "ma_days": "50:250:50",
    },
    "fixed_mix": {
        "weights": MIXES,
        "rebalance": ["none", "monthly", "quarterly", "yearly"],
        "band": "0:0.1:0.001",
    },
    "first_five_days": {"first_sessions": "1:60", "min_return": "-0.05:0.05:0.002"},
    "sector_rotation": {
        "top_k": "1:8",
        "momentum_days": "21:252:21",
        "rebalance": ["monthly", "weekly"],
        "weighting": ["equal", "inverse_vol"],
        "vol_days": "21:126:21",
    },
}
SECTOR_100K = {
    "top_k": "1:10",
    "momentum_days": "10:250:10",
    "rebalance": ["monthly", "weekly"],
    "weighting": ["equal", "inverse_vol"],
    "vol_days": "20:200:20",
    "regime_filter": [False, True],
    "regime_days": "10:50:10",
}
RSI_SCALE = ["upper=60:87:3", "lower=20:47:3", "n=5:32:3", "cooldown=0:9",
             "trim_weight=0:0.9:0.1", "core_weight=0.91:1.0:0.01"]  # fmt: skip
# 10,000,000: the 1M grid with 100 upper thresholds instead of 10
RSI_10M = ["upper=60:89.7:0.3", *RSI_SCALE[1:]]


def _one_point(name: str) -> dict[str, Any]:
    """A grid of one combination: the first axis at its default value."""
    from engine.config.run_config import load_config
    from strategies import discover

    strategy = discover()[name]
    axis = next(iter(GRIDS[name]))
    value = getattr(load_config(strategy).params, axis)
    return {axis: [value]}


def _child(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", json.dumps({"kind": kind, **payload})]
    out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{kind} {payload}: failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best_of(repeats: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The fastest of `repeats` fresh processes: start-up (imports, disk) varies by a second
    from one process to the next, more than a few thousand combinations cost."""
    runs = [_child("command", payload) for _ in range(repeats)]
    return min(runs, key=lambda r: r["seconds"])


def part_commands(names: list[str], repeats: int = 3) -> None:
    print(
        f"\nwhole `sweep` commands (--no-report), fresh process each, best of {repeats}; "
        "N vs 1 combination"
    )
    print(f"{'strategy':<18} {'N':>6} {'t_N s':>7} {'t_1 s':>7} {'us/extra combo':>15} "
          f"{'combos/s':>9} {'peak RSS':>9}")  # fmt: skip
    for name in names:
        big = _best_of(repeats, {"name": name, "grid": GRIDS[name], "report": False})
        one = _best_of(repeats, {"name": name, "grid": _one_point(name), "report": False})
        extra = (big["seconds"] - one["seconds"]) / max(1, big["combinations"] - 1)
        print(
            f"{name:<18} {big['combinations']:>6,} {big['seconds']:>7.2f} {one['seconds']:>7.2f} "
            f"{extra * 1e6:>15.0f} {1 / extra if extra > 0 else float('inf'):>9,.0f} "
            f"{big['peak_rss_mb']:>6.0f} MB"
        )
    if "rsi_trim" in names:
        part_rsi_trim_report(repeats)


RSI_10K = {"upper": "60:87:3", "lower": "20:47:3", "n": "5:32:3", "cooldown": "0:9"}
GOAL_RATIO = 3.0  # issue 20: the whole command at most 3x the kernel beyond a 1-combination sweep


def part_rsi_trim_report(repeats: int = 3) -> None:
    """rsi_trim with its report, 10,000 combinations against one, each the best of `repeats`
    fresh processes; the kernel timed in the same run: the fused rsi_trim kernel
    (benchmarks/fused_rsi_trim.py; 31 us a combination on a quiet two-core machine) and the
    sweep's own compute (decisions and the portfolio kernel) on the same grid. The ratio is the
    extra seconds over the fused kernel's seconds: both move with the machine's load."""
    load = os.getloadavg()
    big = _best_of(repeats, {"name": "rsi_trim", "grid": RSI_10K, "report": True})
    one = _best_of(repeats, {"name": "rsi_trim", "grid": _one_point("rsi_trim"), "report": True})
    runs = [_child("scale", {"name": "rsi_trim", "axes": RSI_10K, "fused": True})
            for _ in range(repeats)]  # fmt: skip
    fused = min(r["fused_seconds"] for r in runs)
    compute = min(r["seconds"] for r in runs)
    extra = big["seconds"] - one["seconds"]
    n = big["combinations"]
    print(
        f"\nrsi_trim with its report, fresh process each, best of {repeats} "
        f"(load average {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )
    print(f"  {n:,} combinations {big['seconds']:.2f} s, 1 combination {one['seconds']:.2f} s: "
          f"extra {extra:.2f} s")  # fmt: skip
    gap = runs[0]["fused_max_gap"]
    print(
        f"  kernel: fused rsi_trim {fused:.2f} s ({fused / n * 1e6:.0f} us a combination; its "
        f"statistics differ from the sweep's by {gap:.1e} at most, relative); the sweep's own "
        f"compute {compute:.2f} s ({compute / fused:.1f}x the fused kernel)"
    )
    ratio = extra / fused
    verdict = "within" if ratio <= GOAL_RATIO else "above"
    print(f"  RATIO extra / fused kernel = {extra:.2f} / {fused:.2f} = {ratio:.1f}x "
          f"({verdict} the goal of {GOAL_RATIO:g}x)")  # fmt: skip
    # CPU seconds move less with the other processes on a shared machine than wall seconds
    extra_cpu = big["cpu_s"] - one["cpu_s"]
    fused_cpu = min(r["fused_cpu_s"] for r in runs)
    print(f"  in CPU seconds (every thread): extra {extra_cpu:.2f} / fused kernel "
          f"{fused_cpu:.2f} = {extra_cpu / fused_cpu:.1f}x")  # fmt: skip
    phases = sorted(set(big["phases"]) | set(one["phases"]))
    parts = [(p.removesuffix("_s"), big["phases"].get(p, 0.0) - one["phases"].get(p, 0.0))
             for p in phases]  # fmt: skip
    rest = extra - sum(d for _, d in parts)
    shown = ", ".join(f"{p} {d:+.2f}" for p, d in [*parts, ("imports, data, other", rest)])
    print(f"  where the extra goes (s, {n:,} minus 1, from the fastest runs): {shown}")


def part_scale(sizes: list[int], sector: bool = True, start: str | None = None) -> None:
    print(
        "\nwhole sweeps at scale (decisions + kernel on all cores, every row streamed to the "
        "Parquet dataset), fresh process each"
    )
    print(f"{'strategy':<16} {'combinations':>12} {'sessions':>8} {'load s':>7} {'seconds':>8} "
          f"{'us/combo':>9} {'peak RSS':>9} {'dataset rows':>13} {'on disk':>8}")  # fmt: skip
    counts = {1_000: 3, 10_000: 4, 100_000: 5, 1_000_000: 6}
    jobs: list[tuple[str, Any]] = [
        ("rsi_trim", RSI_SCALE[: counts[s]] if s in counts else RSI_10M) for s in sizes
    ]
    if sector:
        jobs.append(("sector_rotation", SECTOR_100K))
    for name, axes in jobs:
        r = _child("scale", {"name": name, "axes": axes, "stream": True, "start": start})
        print(
            f"{name:<16} {r['combinations']:>12,} {r['sessions']:>8,} {r['load_s']:>7.1f} "
            f"{r['seconds']:>8.1f} {r['per_combo_us']:>9.1f} {r['peak_rss_mb']:>6.0f} MB "
            f"{r['dataset_rows']:>13,} {r['dataset_gb']:>5.2f} GB"
        )


FUSED_RSI_TRIM_US = 31.0  # the fused rsi_trim kernel, per combination, 2 cores (issue 20)


def part_compute(names: list[str], repeats: int = 5) -> None:
    """Each strategy's sweep compute per combination (decisions + kernel, all cores, after
    loading and the first call) against the fused rsi_trim kernel on the issue's 10,000
    combinations, both timed in turn in the strategy's own process, the fastest of `repeats`
    each (the machine's speed drifts by up to 2x over minutes; side by side, the ratio holds).
    Issue 20 put the fused kernel at 31 us a combination on a quiet two-core machine."""
    print(
        "\nsweep compute per combination, each strategy's grid above, fresh process each, "
        f"fastest of {repeats}; the fused rsi_trim kernel (the sweep's whole row) and the floor "
        "(final equity only) timed in turn in the same process"
    )
    print(f"{'strategy':<18} {'combinations':>12} {'seconds':>8} {'us/combo':>9} "
          f"{'fused us':>9} {'x fused':>8} {'x 31 us':>8} {'floor us':>9} {'x floor':>8} "
          f"{'peak RSS':>9}")  # fmt: skip
    worst = 0.0
    for name in ["rsi_trim", *[n for n in names if n != "rsi_trim"]]:
        payload = {"name": name, "axes": GRIDS[name], "reference_axes": RSI_10K}
        r = _child("compute", {**payload, "repeats": repeats})
        us, ratio = r["per_combo_us"], r["per_combo_us"] / r["fused_us"]
        worst = max(worst, ratio)
        print(
            f"{name:<18} {r['combinations']:>12,} {r['seconds']:>8.2f} {us:>9.1f} "
            f"{r['fused_us']:>9.1f} {ratio:>8.1f} {us / FUSED_RSI_TRIM_US:>8.1f} "
            f"{r['floor_us']:>9.1f} {us / r['floor_us']:>8.1f} {r['peak_rss_mb']:>6.0f} MB"
        )
    verdict = "within" if worst <= 10 else "above"
    print(f"goal (issue 20): every strategy at most 10x the fused kernel; the largest here "
          f"{worst:.1f}x ({verdict}). 'x 31 us': against the figure issue 20 measured; "
          "'x floor': against a kernel that keeps the final equity only")  # fmt: skip


def part_vectorbt() -> None:
    print("\nthe same grid: the sweep kernel vs vectorbt from_orders (one column group each)")
    print(f"{'strategy':<16} {'combinations':>12} {'kernel s':>9} {'vectorbt s':>10} "
          f"{'speed-up':>8} {'max gap':>8}")  # fmt: skip
    for name in VECTORBT_GRIDS:
        r = _child("vectorbt", {"name": name})
        print(
            f"{name:<16} {r['combinations']:>12,} {r['kernel_s']:>9.3f} {r['vectorbt_s']:>10.2f} "
            f"{r['vectorbt_s'] / r['kernel_s']:>7.0f}x {r['max_gap']:>8.1e}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        choices=("all", "compute", "commands", "report", "scale", "vectorbt"),
        default="all",
    )
    parser.add_argument("--strategies", default=",".join(GRIDS))
    parser.add_argument("--sizes", default="1000,10000,100000,1000000,10000000")
    parser.add_argument("--no-sector", action="store_true", help="scale: rsi_trim only")
    parser.add_argument("--start", help="scale: a later period start (YYYY-MM-DD), for less time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job = json.loads(args.child)
        kind = job.pop("kind")
        if kind == "compute":
            result = measure_compute(
                job["name"], job["axes"], job["reference_axes"], job["repeats"]
            )
        elif kind == "command":
            result = run_command(job["name"], job["grid"], job["report"])
        elif kind == "scale":
            result = measure_scale(
                job["name"],
                job["axes"],
                job.get("stream", False),
                job.get("start"),
                job.get("fused", False),
            )
        else:
            result = compare_vectorbt(job["name"])
        print(json.dumps(result))
        return 0
    if not MIRROR.is_dir():
        print(f"no market-data mirror at {MIRROR}", file=sys.stderr)
        return 1
    print(f"{os.cpu_count()} CPUs; data from {MIRROR}")
    if args.part in ("all", "compute"):
        part_compute(args.strategies.split(","))
    if args.part in ("all", "commands"):
        part_commands(args.strategies.split(","))
    elif args.part == "report":  # the rsi_trim report comparison of `commands` alone
        part_rsi_trim_report()
    if args.part in ("all", "scale"):
        part_scale([int(s) for s in args.sizes.split(",")], not args.no_sector, args.start)
    if args.part in ("all", "vectorbt"):
        part_vectorbt()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
