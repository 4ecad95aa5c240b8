"""small_cap_lead: overweight small caps after they have led large caps.

The rule from the press ("the great rotation", January 2026): once small caps lead, lean into
them. Three readings of "lead", all measured on the signal tickers `small` and `large` (IWM and
SPY by default, or e.g. ^RUT and ^GSPC), which may differ from the traded tickers:

- "return_spread": small's k-session return minus large's is above `spread_threshold`.
- "ratio_ma": the small/large price ratio is above its m-session simple moving average by more
  than `ratio_threshold` (0 = simply above it).
- "streak": small's daily change beat large's (strictly greater return) on each of the last s
  sessions; the overweight allocation is then wanted for h sessions from that close, and every
  further session that still satisfies the condition restarts the h-session count.

While the lead holds, the "overweight" allocation is wanted, otherwise the "base" one. Decisions
use closes up to t only. A session where an input is missing (or, in the first two modes, the
indicator is still warming up) makes no decision and keeps the previous allocation; before the
first decision base is wanted. In "streak" a session whose daily change cannot be measured (a
missing price that day or the day before) is not a winning session: it ends the streak.

The rule is written once, in batch form (`decide`): a sweep's table of combinations gets
one measure per (mode, signal pair, distinct k, m or s),
then one labelling pass per combination; a single run is the batch of one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.decisions import Decisions, param_values
from engine.settings import Strict, check_weight_map
from engine.strategy import Strategy, single_combination
from strategies import rules


class Params(Strict):
    """Defaults here are the documented defaults; strategies/small_cap_lead.toml repeats them."""

    mode: Literal["return_spread", "ratio_ma", "streak"] = "return_spread"
    small: str = Field(default="IWM", description="Signal ticker for the small-cap side")
    large: str = Field(default="SPY", description="Signal ticker for the large-cap side")
    lookback_days: int = Field(default=20, ge=1, le=252, description="k (return_spread)")
    spread_threshold: float = Field(
        default=0.01, ge=-1.0, le=1.0, description="Lead needed over k sessions (0.01 = 1 pp)"
    )
    ma_days: int = Field(default=50, ge=2, le=500, description="m (ratio_ma)")
    ratio_threshold: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Ratio above its SMA by more than this"
    )
    streak_days: int = Field(default=5, ge=1, le=60, description="s (streak)")
    hold_days: int = Field(default=20, ge=1, le=252, description="h (streak)")
    overweight: dict[str, float] = Field(default={"IWM": 0.7, "SPY": 0.3}, min_length=1)
    base: dict[str, float] = Field(default={"IWM": 0.3, "SPY": 0.7}, min_length=1)

    @field_validator("overweight", "base")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v

    @model_validator(mode="after")
    def _two_sides(self) -> Params:
        if self.small == self.large:
            raise ValueError(f"small and large must differ, both are {self.small!r}")
        return self


def tickers(params: Params) -> list[str]:
    return list(dict.fromkeys([params.small, params.large, *params.overweight, *params.base]))


# ------------------------------------------------------------------ shared pieces


def _wins(small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Sessions on which small's daily change strictly beat large's (False where either change
    cannot be measured: a missing price that day or the day before ends a streak)."""
    one = np.ones(1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        return rules.session_returns(small, one)[0] > rules.session_returns(large, one)[0]


def _measures(mode: str, small: np.ndarray, large: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The lead measure per distinct parameter value (rows) and session, for one mode and pair:
    values are k ("return_spread"), m ("ratio_ma") or s ("streak").

    In "streak" the measure is minus the sessions since a streak of s last stood (-inf before
    the first), NaN where a price is missing, so "the lead holds" is always "measure above the
    threshold" (-h for a hold of h: sessions since < h).
    """
    if mode == "return_spread":
        return rules.return_spread(small, large, values)
    if mode == "ratio_ma":
        return rules.ratio_distance(small, large, values)
    streak = rules.run_length(_wins(small, large))
    age = rules.sessions_since(streak[None, :] >= np.asarray(values)[:, None])
    return np.where(np.isnan(small) | np.isnan(large), np.nan, -age)


def _prices(data: MarketData, ticker: str) -> np.ndarray:
    return data.adj_close[ticker].to_numpy(dtype=np.float64)


# ------------------------------------------------------------------ the batch form


def _rule_columns(
    params: Params, table: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per combination: mode, small, large, the measure's parameter (k, m or s) and the
    threshold the measure must be above."""

    def col(name: str) -> np.ndarray:
        return param_values(table, params, name)

    mode = col("mode")
    modes = [mode == "return_spread", mode == "ratio_ma"]
    values = np.select(
        modes,
        [col("lookback_days").astype(np.int64), col("ma_days").astype(np.int64)],
        col("streak_days").astype(np.int64),
    )
    thresholds = np.select(
        modes,
        [col("spread_threshold").astype(np.float64), col("ratio_threshold").astype(np.float64)],
        -col("hold_days").astype(np.float64),
    )
    return mode, col("small"), col("large"), values, thresholds


def decide(data: MarketData, params: Params, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination of `table`: one measure per (mode, pair, distinct k, m or
    s), then one labelling pass per combination."""
    mode, small, large, values, thresholds = _rule_columns(params, table)
    blocks, which = [], np.empty(len(table), dtype=np.int64)
    offset = 0
    for (m, s, lg), rows in rules.group_rows(mode, small, large).items():
        distinct, position = np.unique(values[rows], return_inverse=True)
        blocks.append(_measures(m, _prices(data, s), _prices(data, lg), distinct))
        which[rows] = offset + position
        offset += len(distinct)
    overweight = param_values(table, params, "overweight")
    palette, columns, on, off = rules.two_state_palette(
        overweight, param_values(table, params, "base")
    )
    return rules.threshold_decisions(
        np.vstack(blocks), which, thresholds, on, off, palette, data.index, columns
    )


# ------------------------------------------------------------------ one run, in words


def signal(data: MarketData, params: Params) -> pd.DataFrame:
    """Per session: the lead measure, the decision (1/0/NaN) and the state held after the close.

    The measure is the k-session return spread, the ratio's distance above its SMA, or the
    current winning streak length, depending on the mode.
    """
    small, large = _prices(data, params.small), _prices(data, params.large)
    mode = params.mode
    _, _, _, value, threshold = _rule_columns(params, single_combination())
    used = _measures(mode, small, large, value)[0]
    decision = pd.Series(rules.threshold_decision(used, threshold[0]), index=data.index)
    measure = rules.run_length(_wins(small, large)) if mode == "streak" else used
    return pd.DataFrame(
        {
            "measure": pd.Series(measure, index=data.index),
            "decision": decision,
            "overweight": rules.hold_state(decision, initial=False),
        }
    )


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    """Per year, over the sessions with decisions: sessions overweight, their share and switches."""
    sig = signal(data, params)
    state = rules.decided_span(sig["overweight"], sig["decision"])
    return {"per_year": rules.yearly_state_summary(state, "overweight")}


def active_and_base(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    return dict(params.overweight), dict(params.base)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """What decided the allocation wanted after the last close of `data`, in words."""
    sig = signal(data, params)
    small, large = params.small, params.large

    def describe(p: int) -> str:
        row = sig.iloc[p]
        wanted = "overweight" if row["overweight"] else "base"
        cmp = ">" if row["decision"] == 1 else "<="
        if params.mode == "return_spread":
            k = np.array([params.lookback_days])
            r_small = rules.session_returns(_prices(data, small), k)[0, p]
            r_large = rules.session_returns(_prices(data, large), k)[0, p]
            return (
                f"{small} {params.lookback_days}-session return {_pct(r_small)} vs {large} "
                f"{_pct(r_large)}: spread {100 * row['measure']:+.1f} pp {cmp} "
                f"{100 * params.spread_threshold:.1f} pp, {wanted}"
            )
        if params.mode == "ratio_ma":
            return (
                f"{small}/{large} ratio {100 * row['measure']:+.2f}% from its {params.ma_days}-"
                f"session mean {cmp} {100 * params.ratio_threshold:+.2f}%, {wanted}"
            )
        run = int(row["measure"])
        if row["decision"] == 1:
            triggers = np.flatnonzero(sig["measure"].to_numpy()[: p + 1] >= params.streak_days)
            return (
                f"{small} beat {large} on {run} session(s) in a row; a streak of "
                f"{params.streak_days} last stood {p - triggers[-1]} session(s) ago (< hold "
                f"{params.hold_days}): overweight"
            )
        return (
            f"{small} beat {large} on {run} session(s) in a row (< {params.streak_days}) and "
            f"no streak of {params.streak_days} in the last {params.hold_days} sessions: base"
        )

    missing = (
        f"a price of {small} or {large} is missing, or the {params.mode} measure is warming up"
    )
    return rules.explain_latest(sig["decision"], describe, missing, "base")


def lookback_sessions(params: Params) -> int:
    """Sessions of history the first decision needs in the configured mode."""
    if params.mode == "return_spread":
        return params.lookback_days
    if params.mode == "ratio_ma":
        return params.ma_days
    return params.streak_days + params.hold_days


STRATEGY = Strategy(
    name="small_cap_lead",
    description="Overweight small caps after a small-cap lead (return spread, ratio MA, streak).",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    decide=decide,
    valid_combinations=rules.cross_checked("small", "large"),
    explain=explain,
    active_and_base=active_and_base,
    tables=tables,
    lookback_sessions=lookback_sessions,
    key_params=(
        "mode",
        "small",
        "large",
        "lookback_days",
        "spread_threshold",
        "overweight",
        "base",
    ),
)
