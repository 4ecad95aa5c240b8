"""The relative-strength rule: lean towards one side while it leads the other.

Written once for the strategies that are configurations of it (small_cap_lead: IWM over SPY;
equal_weight_tilt: RSP over SPY). Three readings of "lead", measured on two signal tickers
(the *leader* and the *laggard* side) with closes up to t only:

- "return_spread": the leader's k-session return minus the laggard's is above
  `spread_threshold` (k = `lookback_days`);
- "ratio_ma": the leader/laggard price ratio is above its m-session simple moving average by
  more than `ratio_threshold` (m = `ma_days`; 0 = simply above it);
- "streak": the leader's daily change beat the laggard's (strictly greater return) on each of
  the last s sessions (`streak_days`); the "on" allocation is then wanted for h sessions
  (`hold_days`) from that close, and every further session that still satisfies the condition
  restarts the count. A session whose daily change cannot be measured ends the streak.

While the lead holds the "on" allocation is wanted, otherwise the "off" one. A session where an
input is missing (or the measure is still warming up) makes no decision and keeps the previous
allocation; before the first decision "off" is wanted.

The rule is in batch form (`decide`): a sweep's table of combinations gets one measure per
(reading, signal pair, distinct k, m or s), then one labelling pass per combination; a single
run is the batch of one. A `RelativeStrength` names the parameters a strategy calls these
(its sides, its reading, its allocations) and the words of its explanations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, model_validator

from engine.config.settings import DEFAULT_BENCHMARKS, Benchmark
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from engine.decisions.indicators import run_length
from engine.decisions.strategy import Strategy, single_combination
from strategies import rules

__all__ = ["MEASURES", "RelativeStrength", "sides_differ"]

MEASURES = ("return_spread", "ratio_ma", "streak")
Column = Callable[[str], np.ndarray]
Maps = tuple[np.ndarray, np.ndarray]


def sides_differ(leader: str, laggard: str) -> Any:
    """A parameter model's validator: the two signal tickers of the rule differ. Use as
    `_two_sides = sides_differ("small", "large")` in the class."""

    def check(self: BaseModel) -> BaseModel:
        if getattr(self, leader) == getattr(self, laggard):
            raise ValueError(
                f"{leader} and {laggard} must differ, both are {getattr(self, leader)!r}"
            )
        return self

    return model_validator(mode="after")(check)


def _wins(leader: np.ndarray, laggard: np.ndarray) -> np.ndarray:
    """Sessions on which the leader's daily change strictly beat the laggard's (False where
    either change cannot be measured: a missing price that day or the day before)."""
    one = np.ones(1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        return rules.session_returns(leader, one)[0] > rules.session_returns(laggard, one)[0]


def measures(mode: str, leader: np.ndarray, laggard: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The lead measure per distinct parameter value (rows) and session, for one reading and
    pair: values are k ("return_spread"), m ("ratio_ma") or s ("streak").

    In "streak" the measure is minus the sessions since a streak of s last stood (-inf before
    the first), NaN where a price is missing, so "the lead holds" is always "measure above the
    threshold" (-h for a hold of h: sessions since < h).
    """
    if mode == "return_spread":
        return rules.return_spread(leader, laggard, values)
    if mode == "ratio_ma":
        return rules.ratio_distance(leader, laggard, values)
    streak = run_length(_wins(leader, laggard))
    age = rules.sessions_since(streak[None, :] >= np.asarray(values)[:, None])
    return np.where(np.isnan(leader) | np.isnan(laggard), np.nan, -age)


def _prices(data: MarketData, ticker: str) -> np.ndarray:
    return data.adj_close[ticker].to_numpy(dtype=np.float64)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _lookback(params: BaseModel, mode: str) -> int:
    """Sessions of history the first decision needs in the configured reading."""
    if mode == "return_spread":
        return params.lookback_days
    if mode == "ratio_ma":
        return params.ma_days
    return params.streak_days + params.hold_days


@dataclass(frozen=True)
class RelativeStrength:
    """How one strategy names the rule's parts.

    `leader`, `laggard`: the parameters holding the two signal tickers; `mode`: the parameter
    choosing the reading; `on`, `off`: the parameters holding the two weight maps, unless
    `maps` derives the maps per combination from the parameter columns; `state`: the column
    of `signal` holding the state; `label`: the per-year table's word for it (both `on` when
    not given); `wanted`: the explanation's words for the two states (`on` and `off` when not
    given).
    """

    leader: str
    laggard: str
    mode: str
    on: str
    off: str
    state: str = ""
    label: str = ""
    wanted: Callable[[BaseModel], tuple[str, str]] | None = None
    maps: Callable[[Column], Maps] | None = None

    def __post_init__(self) -> None:
        for name in ("state", "label"):
            if not getattr(self, name):
                object.__setattr__(self, name, self.on)  # frozen: set once, here

    # ---------------------------------------------------------------- the batch form

    def _maps(self, col: Column) -> Maps:
        return self.maps(col) if self.maps is not None else (col(self.on), col(self.off))

    def columns(self, params: BaseModel, table: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per combination: reading, the two signal tickers, the measure's parameter (k, m or
        s), the threshold the measure must be above, and the on and off weight maps."""

        def col(name: str) -> np.ndarray:
            return param_values(table, params, name)

        mode = col(self.mode)
        modes = [mode == "return_spread", mode == "ratio_ma"]
        # columns a strategy's model lacks (no streak reading) are never chosen by np.select
        streak = "streak_days" in type(params).model_fields
        values = np.select(
            modes,
            [col("lookback_days").astype(np.int64), col("ma_days").astype(np.int64)],
            col("streak_days").astype(np.int64) if streak else 0,
        )
        thresholds = np.select(
            modes,
            [col("spread_threshold").astype(np.float64), col("ratio_threshold").astype(np.float64)],
            -col("hold_days").astype(np.float64) if streak else np.nan,
        )
        on, off = self._maps(col)
        return {
            "mode": mode,
            "leader": col(self.leader),
            "laggard": col(self.laggard),
            "values": values,
            "thresholds": thresholds,
            "on": on,
            "off": off,
        }

    def decide(self, data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
        """Decisions of every combination of `table`: one measure per (reading, pair, distinct
        k, m or s), then one labelling pass per combination."""
        c = self.columns(params, table)
        blocks, which = [], np.empty(len(table), dtype=np.int64)
        offset = 0
        for (m, lead, lag), rows in rules.group_rows(c["mode"], c["leader"], c["laggard"]).items():
            distinct, position = np.unique(c["values"][rows], return_inverse=True)
            blocks.append(measures(m, _prices(data, lead), _prices(data, lag), distinct))
            which[rows] = offset + position
            offset += len(distinct)
        palette, columns, on, off = rules.two_state_palette(c["on"], c["off"])
        return rules.threshold_decisions(
            np.vstack(blocks), which, c["thresholds"], on, off, palette, data.index, columns
        )

    # ---------------------------------------------------------------- one run

    def allocations(self, params: BaseModel) -> tuple[dict[str, float], dict[str, float]]:
        """(on, off) weight maps of one run."""
        on, off = self._maps(lambda name: param_values(single_combination(), params, name))
        return dict(on[0]), dict(off[0])

    def tickers(self, params: BaseModel) -> list[str]:
        on, off = self.allocations(params)
        leader, laggard = getattr(params, self.leader), getattr(params, self.laggard)
        return list(dict.fromkeys([leader, laggard, *on, *off]))

    def lookback_sessions(self, params: BaseModel) -> int:
        return _lookback(params, getattr(params, self.mode))

    def signal(self, data: MarketData, params: BaseModel) -> pd.DataFrame:
        """Per session: the lead measure, the decision (1/0/NaN) and the state held after the
        close. The measure is the k-session return spread, the ratio's distance above its SMA,
        or the current winning streak length, depending on the reading."""
        leader = _prices(data, getattr(params, self.leader))
        laggard = _prices(data, getattr(params, self.laggard))
        mode = getattr(params, self.mode)
        c = self.columns(params, single_combination())
        used = measures(mode, leader, laggard, c["values"])[0]
        decision = pd.Series(rules.threshold_decision(used, c["thresholds"][0]), index=data.index)
        measure = run_length(_wins(leader, laggard)) if mode == "streak" else used
        return pd.DataFrame(
            {
                "measure": pd.Series(measure, index=data.index),
                "decision": decision,
                self.state: rules.hold_state(decision, initial=False),
            }
        )

    def tables(self, data: MarketData, params: BaseModel) -> dict[str, pd.DataFrame]:
        """Per year, over the sessions with decisions: sessions in the on state, their share
        and the switches."""
        sig = self.signal(data, params)
        state = rules.decided_span(sig[self.state], sig["decision"])
        return {"per_year": rules.yearly_state_summary(state, self.label)}

    def explain(self, data: MarketData, params: BaseModel) -> dict[str, str]:
        """What decided the allocation wanted after the last close of `data`, in words."""
        sig = self.signal(data, params)
        lead, lag = getattr(params, self.leader), getattr(params, self.laggard)
        mode = getattr(params, self.mode)
        on_words, off_words = self.wanted(params) if self.wanted else (self.on, self.off)

        def describe(p: int) -> str:
            row = sig.iloc[p]
            wanted = on_words if row[self.state] else off_words
            cmp = ">" if row["decision"] == 1 else "<="
            if mode == "return_spread":
                k = np.array([params.lookback_days])
                r_lead = rules.session_returns(_prices(data, lead), k)[0, p]
                r_lag = rules.session_returns(_prices(data, lag), k)[0, p]
                return (
                    f"{lead} {params.lookback_days}-session return {_pct(r_lead)} vs {lag} "
                    f"{_pct(r_lag)}: spread {100 * row['measure']:+.1f} pp {cmp} "
                    f"{100 * params.spread_threshold:.1f} pp, {wanted}"
                )
            if mode == "ratio_ma":
                return (
                    f"{lead}/{lag} ratio {100 * row['measure']:+.2f}% from its {params.ma_days}-"
                    f"session mean {cmp} {100 * params.ratio_threshold:+.2f}%, {wanted}"
                )
            run = int(row["measure"])
            if row["decision"] == 1:
                measured = sig["measure"].to_numpy()[: p + 1]
                triggers = np.flatnonzero(measured >= params.streak_days)
                return (
                    f"{lead} beat {lag} on {run} session(s) in a row; a streak of "
                    f"{params.streak_days} last stood {p - triggers[-1]} session(s) ago (< hold "
                    f"{params.hold_days}): {on_words}"
                )
            return (
                f"{lead} beat {lag} on {run} session(s) in a row (< {params.streak_days}) and "
                f"no streak of {params.streak_days} in the last {params.hold_days} sessions: "
                f"{off_words}"
            )

        missing = f"a price of {lead} or {lag} is missing, or the {mode} measure is warming up"
        return rules.explain_latest(sig["decision"], describe, missing, off_words)

    def strategy(
        self,
        name: str,
        description: str,
        params_model: type[BaseModel],
        module_file: str,
        key_params: tuple[str, ...],
        default_benchmarks: tuple[Benchmark, ...] = tuple(DEFAULT_BENCHMARKS),
    ) -> Strategy:
        """The strategy this configuration of the rule is (its TOML beside `module_file`)."""
        return Strategy(
            name=name,
            description=description,
            params_model=params_model,
            default_config=Path(module_file).with_suffix(".toml"),
            tickers=self.tickers,
            decide=self.decide,
            valid_combinations=rules.cross_checked(self.leader, self.laggard),
            explain=self.explain,
            active_and_base=self.allocations,
            tables=self.tables,
            lookback_sessions=self.lookback_sessions,
            default_benchmarks=default_benchmarks,
            key_params=key_params,
        )
