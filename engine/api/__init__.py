"""The Python door to rotation-lab (`import engine as rl`): the CLI's commands as functions.

    rl.strategies()                                  name -> description and parameters
    rl.run("first10days", lead_days=15)              RunResult: .stats .equity .plot() .report()
    rl.compare(["first10days", "rsi_trim"])          CompareResult
    rl.sweep("rsi_trim", grid={"upper": [65, 70]})   SweepResult: .table .best .pbo ...
    rl.claim("first_five_days")                      ClaimCheck: .verdict .events .findings
    rl.claims()                                      every claim, one report
    rl.load_claims("my_claims/")                     a folder of claim files, as --claims-dir
    rl.signals(["rsi_trim"])                         what each rule wants today, and why
    rl.data_status(), rl.update_data(["IWM"])        the local price cache

Each command of `run_backtest.py` calls the function here, so both doors validate the same way,
refuse with the same message (`BadInputError`, a ValueError) and compute the same numbers.
"""

from __future__ import annotations

# ruff: noqa: F401 (these imports are the package's exports, listed once: `engine.__all__`,
# which `import engine as rl` resolves lazily from here; tests/test_api.py holds them in step)
from engine.api.catalog import StrategyInfo, load_strategies, strategies
from engine.api.check_claims import ClaimCheck, ClaimsResult, claim, claims, load_claims
from engine.api.compare_strategies import CompareResult, compare
from engine.api.current_signals import signals
from engine.api.data import data_status, update_data
from engine.api.run_strategy import RunResult, run
from engine.api.sweep_grid import SweepResult, sweep
from engine.errors import BadInputError
