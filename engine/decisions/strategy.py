"""What a strategy is, as the engine sees it: a pure function from prices to target weights.

A strategy never reads files, plots or simulates; the pipeline hands it `MarketData` and its
validated parameters and receives a target-weight frame (see `engine.simulate.portfolio` for the
timing
convention). The engine never refers to a strategy by name: strategies register themselves.

A rule is written once, in batch form (`decide`): prices plus a table of parameter combinations
in, `Decisions` for all of them out. A single run is a batch of one. A rule written only as a
per-run `target_weights` function still runs and sweeps, one combination at a time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from engine.config.settings import DEFAULT_BENCHMARKS, Benchmark
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, combo_params
from engine.errors import BadInputError, RotationLabError, shorten


def _default_lookback(params: BaseModel) -> int:
    return 260


def _no_tables(data: MarketData, params: BaseModel) -> dict[str, pd.DataFrame]:
    return {}


def _no_optional_tickers(params: BaseModel) -> list[str]:
    return []


def source_file(function: object) -> str:
    """The file a user's function was written in ("an unknown file" for a builtin or lambda
    typed at a prompt), so every error about user code can say where to look."""
    target = getattr(function, "function", function)
    try:
        return inspect.getsourcefile(target) or "an unknown file"  # type: ignore[arg-type]
    except TypeError:
        return "an unknown file"


class StrategyContractError(BadInputError):
    """A strategy's own code broke its contract (wrong type, shape or range returned)."""


@dataclass(frozen=True)
class CheckedCall:
    """A strategy's `tickers`, `optional_tickers` or `lookback_sessions`, with its answer
    checked: a string split into letters or a float lookback would otherwise reach the data
    layer as nonsense. Picklable (sent to sweep workers) whenever the function is."""

    function: Callable[[BaseModel], Any]
    strategy: str
    what: str

    def __call__(self, params: BaseModel) -> Any:
        answer = call_user(self.strategy, self.function, self.what, params)
        where = f"strategy {self.strategy!r} ({source_file(self.function)}): {self.what}()"
        if self.what == "lookback_sessions":
            if isinstance(answer, bool) or not isinstance(answer, int | np.integer):
                raise StrategyContractError(
                    f"{where} returned {shorten(repr(answer))}; return a whole number of sessions"
                )
            if not 0 <= int(answer) <= 100_000:
                raise StrategyContractError(f"{where} returned {answer}; return 0 to 100000")
            return int(answer)
        if isinstance(answer, str | bytes) or not isinstance(answer, list | tuple):
            raise StrategyContractError(
                f"{where} returned {shorten(repr(answer))}; return a list of ticker strings, "
                'e.g. ["SPY", "IWM"]'
            )
        bad = [t for t in answer if not isinstance(t, str) or not t.strip()]
        if bad:
            raise StrategyContractError(
                f"{where} returned {shorten(repr(bad[0]))} among its tickers; each must be a "
                "non-empty string"
            )
        return list(answer)


def call_user(strategy: str, function: Callable[..., Any], what: str, *args: Any) -> Any:
    """Run a strategy's own code; an unexpected exception is re-raised naming the strategy,
    the function and its file (expected errors of the engine pass through unchanged)."""
    try:
        return function(*args)
    except RotationLabError:
        raise
    except Exception as exc:
        raise RotationLabError(
            f"strategy {strategy!r} ({source_file(function)}) failed in {what}(): "
            f"{type(exc).__name__}: {shorten(str(exc), 300)}; fix the strategy (--debug shows "
            "where)"
        ) from exc


_CALLABLE_FIELDS = (
    "tickers", "target_weights", "decide", "valid_combinations", "explain", "active_and_base",
    "tables", "lookback_sessions", "optional_tickers",
)  # fmt: skip
_CHECKED_FIELDS = ("tickers", "optional_tickers", "lookback_sessions")


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
        from engine.names import refuse_control_characters

        if not isinstance(self.name, str) or not self.name.strip():
            raise TypeError(f"Strategy(name=...) must be a non-empty string, not {self.name!r}")
        refuse_control_characters(self.name, "a strategy's name")
        if self.decide is None and self.target_weights is None:
            raise ValueError(f"strategy {self.name!r} needs decide or target_weights")
        for name in ("params_model", *_CALLABLE_FIELDS):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(
                    f"strategy {self.name!r}: {name} must be a function, not {type(value).__name__}"
                )
        for name in _CHECKED_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, CheckedCall):
                object.__setattr__(self, name, CheckedCall(value, self.name, name))

    @property
    def origin(self) -> str:
        """The file the rule was written in, for messages about it."""
        return source_file(self.decide or self.target_weights)

    def _decisions(self, data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
        """The batch form's answer for `table`, checked before compiled code reads it; the rule
        sees its own shallow copy of the data (copy-on-write), so changing it in place cannot
        change the benchmarks' or the next combination's prices."""
        decisions = call_user(self.name, self.decide, "decide", data.for_strategy(), params, table)  # type: ignore[arg-type]
        where = f"strategy {self.name!r} ({self.origin}): decide()"
        if not isinstance(decisions, Decisions):
            raise StrategyContractError(
                f"{where} returned {type(decisions).__name__}; "
                "return engine.decisions.batch.Decisions"
            )
        problem = decisions.problem(len(table), data.index)
        if problem is None:
            unknown = [c for c in decisions.columns if c not in data.adj_close.columns]
            if unknown:
                problem = f"it decides weights of {unknown[0]!r}, which its tickers() do not name"
        if problem is not None:
            raise StrategyContractError(f"{where}: {problem}")
        return decisions

    def _weights(self, data: MarketData, params: BaseModel) -> pd.DataFrame:
        weights = call_user(
            self.name,
            self.target_weights,
            "target_weights",
            data.for_strategy(),
            params,  # type: ignore[arg-type]
        )
        if not isinstance(weights, pd.DataFrame):
            raise StrategyContractError(
                f"strategy {self.name!r} ({self.origin}): target_weights() returned "
                f"{type(weights).__name__}; return a DataFrame of weights on data.index"
            )
        return weights

    @property
    def has_batch_form(self) -> bool:
        return self.decide is not None

    def weights(self, data: MarketData, params: BaseModel) -> pd.DataFrame:
        """The target-weight frame of one run: the batch form's only combination, if it has one."""
        if self.decide is not None:
            return self._decisions(data, params, single_combination()).frame(0)
        return self._weights(data, params)

    def batch(
        self, data: MarketData, params: BaseModel, table: pd.DataFrame, one_by_one: bool = False
    ) -> Decisions:
        """Decisions of every row of `table`: the batch form, or (for a rule without one, or
        `one_by_one` to check a batch against single runs) one run's weights per row."""
        if self.decide is not None and not one_by_one:
            return self._decisions(data, params, table)
        frames = (self.weights(data, p) for p in combo_params(params, table))
        return Decisions.from_frames(frames, data.index)


def single_combination() -> pd.DataFrame:
    """The table of a batch of one: one row, no swept parameter."""
    return pd.DataFrame(index=pd.RangeIndex(1))
