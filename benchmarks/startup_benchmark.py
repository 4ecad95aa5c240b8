"""Start-up cost of the command line against `python -c "import vectorbt"` on the same machine.

    .venv/bin/python benchmarks/startup_benchmark.py              # 5 rounds
    .venv/bin/python benchmarks/startup_benchmark.py --rounds 9

Each round runs, in fresh processes and interleaved (so a busy machine slows all three alike):

    python -c "import vectorbt"                            the reference
    python run_backtest.py first10days --no-report          target: at most 1.6x the reference
    python run_backtest.py first10days                      target: at most 2.5x the reference

Warm means what a user has after the first run: numba kernels and the NYSE calendar in the
user's cache folder, data in data_cache/, Python bytecode cached (PYTHONDONTWRITEBYTECODE is
removed from the children's environment, as a normal install writes .pyc files). One untimed
run of each command warms them first. The figures are medians of wall time and of CPU time
(user + system of the child): on a shared machine CPU time is the steadier of the two. Reports
go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"no_report": 1.6, "report": 2.5}
LABELS = {
    "import_vectorbt": 'python -c "import vectorbt"',
    "no_report": "run_backtest.py first10days --no-report",
    "report": "run_backtest.py first10days",
}


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per command")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    reports = tempfile.mkdtemp(prefix="startup-benchmark-")
    run = [sys.executable, "run_backtest.py", "first10days"]
    commands = {
        "import_vectorbt": [sys.executable, "-c", "import vectorbt"],
        "no_report": [*run, "--no-report"],
        "report": [*run, "--set", f"report.output_dir={reports}"],
    }
    for argv in commands.values():  # warm: kernels, calendar, data cache, bytecode
        timed(argv, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, argv in commands.items():
            wall, cpu = timed(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall = {name: statistics.median(v) for name, v in walls.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    print(f"medians of {args.rounds} fresh processes each (load average {os.getloadavg()[0]:.1f})")
    print(
        f"{'command':<42}{'wall s':>9}{'cpu s':>9}{'wall ratio':>12}{'cpu ratio':>11}{'target':>8}"
    )
    for name in commands:
        shown = LABELS[name]
        ratio_wall = wall[name] / wall["import_vectorbt"]
        ratio_cpu = cpu[name] / cpu["import_vectorbt"]
        target = f"{TARGETS[name]:.1f}x" if name in TARGETS else ""
        print(
            f"{shown:<42}{wall[name]:>9.2f}{cpu[name]:>9.2f}{ratio_wall:>11.2f}x"
            f"{ratio_cpu:>10.2f}x{target:>8}"
        )


if __name__ == "__main__":
    main()
