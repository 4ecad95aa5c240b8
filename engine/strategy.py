"""What a strategy is, as the engine sees it: a pure function from prices to target weights.

A strategy never reads files, plots or simulates; the pipeline hands it `MarketData` and its
validated parameters and receives a target-weight frame (see `engine.backtest` for the timing
convention). The engine never refers to a strategy by name: strategies register themselves.

A rule is written once, in batch form (`decide`): prices plus a table of parameter combinations
in, `Decisions` for all of them out. A single run is a batch of one. A rule written only as a
per-run `target_weights` function still runs and sweeps, one combination at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from engine.data.model import MarketData
from engine.decisions import Decisions, combo_params
from engine.settings import DEFAULT_BENCHMARKS, Benchmark


def _default_lookback(params: BaseModel) -> int:
    return 260


def _no_tables(data: MarketData, params: BaseModel) -> dict[str, pd.DataFrame]:
    return {}


def _no_optional_tickers(params: BaseModel) -> list[str]:
    return []


@dataclass(frozen=True)
class Strategy:
    """A rule set: its parameters' model, the tickers it needs and its weight function.

    `tickers(params)` are the tickers the rule cannot run without: the backtest period starts
    when the last of them starts trading. `optional_tickers(params)` are loaded too but do not
    bound the period: the rule must treat them as ineligible while they have no price (e.g. a
    sector fund launched later). `lookback_sessions(params)` is how much history before
    the period start the rule needs to make its first decision. `tables` returns diagnostics
    for the report (e.g. a per-year table), computed from the same data. `default_benchmarks`
    are used when a config names none (the strategy's TOML states the same list).

    `decide(data, params, table)` is the batch form: `table` has one row per combination and a
    column per swept parameter (the others take `params`' values); it returns `Decisions` on
    `data.index`, computing each indicator once per distinct value it needs. Give `decide`,
    or `target_weights(data, params)` for a rule without a batch form (it sweeps slowly).

    `valid_combinations(table, base)` (optional) is the parameter model's cross-field checks
    vectorised: a sweep of more than 1,000 rows uses it instead of validating every row (500
    sampled rows are still checked against the model). `strategies.rules.cross_checked(*fields)`
    builds one from the fields the checks read.

    Optional, for the verdicts and the `signals` command:
    `explain(data, params)` says in words what decided the latest wanted allocation, as
    {"inputs": "RSI(14) of IWM 71.2 > 70", "next_decision": "every session" or a date}.
    `active_and_base(params)` names a two-state rule's allocations (active, base), e.g.
    first10days' lead and base: the engine then measures how often holding the active one
    beat the base one over each spell the rule was active.
    """

    name: str
    description: str
    params_model: type[BaseModel]
    tickers: Callable[[BaseModel], list[str]]
    target_weights: Callable[[MarketData, BaseModel], pd.DataFrame] | None = None
    decide: Callable[[MarketData, BaseModel, pd.DataFrame], Decisions] | None = None
    valid_combinations: Callable[[pd.DataFrame, BaseModel], np.ndarray] | None = None
    explain: Callable[[MarketData, BaseModel], dict[str, str]] | None = None
    active_and_base: Callable[[BaseModel], tuple[dict[str, float], dict[str, float]]] | None = None
    tables: Callable[[MarketData, BaseModel], dict[str, pd.DataFrame]] = _no_tables
    lookback_sessions: Callable[[BaseModel], int] = _default_lookback
    optional_tickers: Callable[[BaseModel], list[str]] = _no_optional_tickers
    key_params: tuple[str, ...] = field(default_factory=tuple)
    default_benchmarks: tuple[Benchmark, ...] = tuple(DEFAULT_BENCHMARKS)
    default_config: Path | None = None  # its TOML (rule parameters, [sweep]); None = defaults
    # True when a decision at t reads only the `lookback_sessions` up to t (no indicator seeded
    # from the first loaded price, as Wilder's RSI is): more history before never changes it,
    # so a sweep decides all its combinations on one view of the data instead of one per
    # lookback. Sampled sweep rows are re-run on their own data (`--check`), which tests it.
    history_independent: bool = False

    def __post_init__(self) -> None:
        if self.decide is None and self.target_weights is None:
            raise ValueError(f"strategy {self.name!r} needs decide or target_weights")

    @property
    def has_batch_form(self) -> bool:
        return self.decide is not None

    def weights(self, data: MarketData, params: BaseModel) -> pd.DataFrame:
        """The target-weight frame of one run: the batch form's only combination, if it has one."""
        if self.decide is not None:
            return self.decide(data, params, single_combination()).frame(0)
        return self.target_weights(data, params)  # type: ignore[misc]

    def batch(
        self, data: MarketData, params: BaseModel, table: pd.DataFrame, one_by_one: bool = False
    ) -> Decisions:
        """Decisions of every row of `table`: the batch form, or (for a rule without one, or
        `one_by_one` to check a batch against single runs) one run's weights per row."""
        if self.decide is not None and not one_by_one:
            return self.decide(data, params, table)
        frames = (self.weights(data, p) for p in combo_params(params, table))
        return Decisions.from_frames(frames, data.index)


def single_combination() -> pd.DataFrame:
    """The table of a batch of one: one row, no swept parameter."""
    return pd.DataFrame(index=pd.RangeIndex(1))
