"""sector_rotation: hold the top-k sector funds by momentum, rebalanced monthly or weekly.

Decision, at the close of each rebalance session (the last NYSE session of the calendar month,
or of the week, from the exchange calendar): rank the eligible members of `universe` by their
total return over the last L sessions (`momentum_days`, from adjusted closes) and hold the top
k (`top_k`), ties going to the member listed first in `universe`. Weights are equal (1/k
each) or inverse volatility (1/sd of the last V daily returns, `vol_days`, ddof=1, scaled to sum
to the invested part). Every rebalance row resets the weights to target, so drift is undone
each period.

Eligibility at t uses prices up to t only: a member is eligible when it has a price on each of
the last L+1 sessions up to t (and V+1 with inverse volatility), so a fund listed later (XLRE
on 2015-10-08, XLC on 2018-06-19, KRE on 2006-06-22) joins only once it has that history; no
price is ever back-filled. If fewer than k members are eligible, each one held still gets 1/k
of the portfolio (split by inverse volatility within their n/k share in that mode) and the rest
stays in cash; with none eligible the portfolio is all cash. Rebalances before the first one
with an eligible member (the warm-up) make no decision.

Regime filter (`regime_filter = true`): candidates are restricted to `cyclicals` while the
small-cap lead is on and to `defensives` otherwise. The lead is the small_cap_lead
"return_spread" reading: `regime_small`'s k-session return minus `regime_large`'s is above
`regime_threshold`. If either has no price at t or t-k, that rebalance makes no decision (the
holdings are kept); so from IWM's first date (2000-05-26) the rule waits k sessions, in cash,
for its first decision.

Period. The required tickers, which bound the common period, are the members not listed in
`late_listed` (by default the nine Select Sector SPDRs trading since 1998-12-22) plus, with the
regime filter, the two regime tickers. The late-listed members are loaded as optional tickers:
they neither delay the start (the rule rotates among what existed at the time, as an investor
then could) nor are they back-filled. Requiring them would start the test in 2018 (XLC) and
throw away the 2000s; back-filling them would invent funds that did not trade.

End of a member's data. The engine's common period ends on the earliest last date among the
required and the optional tickers, so every member that can be picked has a price until the
end of the simulation (in the mirror, KRE ends 2026-07-31 and so does the default run). The
rule itself never looks at how far a series reaches.

Batch form: for a table of combinations, momentum ranks are computed once per (L, schedule),
volatilities once per V, regime states once per (k, threshold, schedule), and one numba pass
(`strategies.ranking`) walks every combination over them; each distinct weight row is built
once. The report's holdings table decodes the same decisions of one combination.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.decisions import Decisions, param_values
from engine.errors import DataQualityError
from engine.settings import Strict
from engine.strategy import Strategy, single_combination
from strategies.calendar_rules import next_period_end, period_end_mask
from strategies.ranking import (
    MAX_MEMBERS,
    combined_keys,
    intern,
    inverse_vol_weights,
    member_bits,
    momentum,
    momentum_ranks,
    price_runs,
    top_k_events,
)

__all__ = ["STRATEGY", "Params", "decide", "explain", "holdings", "regime_spread", "tables"]

SECTOR_SPDRS = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY", "XLRE", "XLC"]
# Longest gap between two month-end sessions, so a rebalance falls inside the loaded lookback.
_SESSIONS_PER_PERIOD = {"monthly": 23, "weekly": 5}


class Params(Strict):
    """Defaults here are the documented defaults; strategies/sector_rotation.toml repeats them."""

    universe: list[str] = Field(
        default=[*SECTOR_SPDRS, "KRE"], min_length=2, max_length=MAX_MEMBERS
    )
    late_listed: list[str] = Field(
        default=["XLRE", "XLC", "KRE"],
        description="Members that may start after the period start (optional, never back-filled)",
    )
    top_k: int = Field(default=3, ge=1, le=20, description="k: members held")
    momentum_days: int = Field(default=126, ge=1, le=756, description="L: momentum sessions")
    rebalance: Literal["monthly", "weekly"] = "monthly"
    weighting: Literal["equal", "inverse_vol"] = "equal"
    vol_days: int = Field(default=63, ge=2, le=756, description="V: volatility sessions")
    regime_filter: bool = False
    cyclicals: list[str] = Field(default=["XLI", "XLF", "XLB", "XLE", "XLY", "KRE"])
    defensives: list[str] = Field(default=["XLU", "XLP", "XLV"])
    regime_small: str = Field(default="IWM", description="Small-cap side of the regime signal")
    regime_large: str = Field(default="SPY", description="Large-cap side of the regime signal")
    regime_days: int = Field(default=20, ge=1, le=252, description="k of the return spread")
    regime_threshold: float = Field(
        default=0.01, ge=-1.0, le=1.0, description="Spread needed for 'cyclicals' (0.01 = 1 pp)"
    )

    @field_validator("universe", "late_listed", "cyclicals", "defensives")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"has duplicates: {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        outside = [t for t in self.late_listed if t not in self.universe]
        if outside:
            raise ValueError(f"late_listed members {outside} are not in universe {self.universe}")
        if self.top_k > len(self.universe):
            raise ValueError(f"top_k ({self.top_k}) exceeds the universe size")
        if not [t for t in self.universe if t not in self.late_listed]:
            raise ValueError("every universe member is late_listed: nothing bounds the period")
        if self.regime_filter:
            self._check_groups()
        return self

    def _check_groups(self) -> None:
        for name in ("cyclicals", "defensives"):
            group = getattr(self, name)
            outside = [t for t in group if t not in self.universe]
            if not group or outside:
                raise ValueError(f"{name} must be non-empty members of universe; not: {outside}")
        both = set(self.cyclicals) & set(self.defensives)
        if both:
            raise ValueError(f"{sorted(both)} are both cyclical and defensive")
        if self.regime_small == self.regime_large:
            raise ValueError(f"regime_small and regime_large are both {self.regime_small!r}")


def tickers(params: Params) -> list[str]:
    """Required: members not late-listed, plus the regime pair when the filter is on."""
    required = [t for t in params.universe if t not in params.late_listed]
    if params.regime_filter:
        required += [params.regime_small, params.regime_large]
    return list(dict.fromkeys(required))


def optional_tickers(params: Params) -> list[str]:
    return list(params.late_listed)


def lookback_sessions(params: Params) -> int:
    """History the first decision needs, plus one rebalance period so a decision precedes the
    start of the period."""
    needs = [params.momentum_days]
    if params.weighting == "inverse_vol":
        needs.append(params.vol_days)
    if params.regime_filter:
        needs.append(params.regime_days)
    return max(needs) + 1 + _SESSIONS_PER_PERIOD[params.rebalance]


def regime_spread(small: pd.Series, large: pd.Series, days: int) -> pd.Series:
    """The small_cap_lead "return_spread" measure: small's `days`-session return minus large's,
    close t against close t-days; NaN when a price is missing (never bridged)."""
    return (small / small.shift(days) - 1.0) - (large / large.shift(days) - 1.0)


# Parameters that change the member set or the groups: combinations are batched per value.
_STRUCTURE = ("universe", "cyclicals", "defensives", "regime_small", "regime_large")
# Parameters every combination of a batch may differ in.
_PER_COMBO = (
    "top_k",
    "momentum_days",
    "rebalance",
    "weighting",
    "vol_days",
    "regime_filter",
    "regime_days",
    "regime_threshold",
)
_UNDEFINED, _CYCLICALS, _DEFENSIVES = 0, 1, 2


def _prices(data: MarketData, names: list[str]) -> pd.DataFrame:
    missing = [t for t in names if t not in data.tickers]
    if missing:
        raise DataQualityError(f"sector_rotation needs prices for {missing}; none were loaded")
    return data.adj_close[names]


def _codes(values: np.ndarray | list[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct values (first-seen order) and each entry's number among them."""
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    lookup: dict[Any, int] = {}
    numbers = [lookup.setdefault(v, len(lookup)) for v in items]
    return list(lookup), np.array(numbers, dtype=np.int64)


class _Rotation:
    """One universe and its groups, with every indicator the combinations need, each computed
    once per distinct value, and the walk of all combinations over them."""

    def __init__(self, data: MarketData, structure: dict[str, Any], combos: dict[str, np.ndarray]):
        self.index = data.index
        self.members = list(structure["universe"])
        frame = _prices(data, self.members)
        self.prices = np.ascontiguousarray(frame.to_numpy(dtype=float))
        n_sessions, n_members = self.prices.shape
        self.runs = price_runs(self.prices)
        self.combos = combos
        self.top_k = combos["top_k"].astype(np.int64)
        lookback = combos["momentum_days"].astype(np.int64)
        inverse = combos["weighting"] == "inverse_vol"
        vol_days = combos["vol_days"].astype(np.int64)
        self.history = np.where(inverse, np.maximum(lookback, vol_days), lookback)

        # Schedules: one per frequency, up to the last session with a member's price.
        priced = np.flatnonzero(~np.isnan(self.prices).all(axis=1))
        data_end = priced[-1] if len(priced) else -1
        self.frequencies, self.freq_id = _codes(combos["rebalance"])
        upto = np.arange(n_sessions) <= data_end
        rows = [np.flatnonzero(period_end_mask(self.index, f) & upto) for f in self.frequencies]
        self.n_scheduled = np.array([len(r) for r in rows], dtype=np.int64)
        self.schedule = np.full((len(rows), max(1, self.n_scheduled.max())), -1, dtype=np.int64)
        for f, r in enumerate(rows):
            self.schedule[f, : len(r)] = r

        # Momentum ranks: one per (lookback, frequency).
        pairs, self.rank_id = _codes(
            list(zip(lookback.tolist(), self.freq_id.tolist(), strict=True))
        )
        self.ranks = np.zeros((len(pairs), self.schedule.shape[1], n_members), dtype=np.int16)
        for q, (days, f) in enumerate(pairs):
            self.ranks[q, : self.n_scheduled[f]] = momentum_ranks(self.prices, rows[f], days)

        # Candidate groups: 0 = every member, 1 = cyclicals, 2 = defensives.
        self.groups = np.ones((3, n_members), dtype=np.bool_)
        self.groups[1] = np.isin(self.members, structure["cyclicals"])
        self.groups[2] = np.isin(self.members, structure["defensives"])

        # Regime states: one spread per k, one state row per (k, threshold, frequency).
        self.regime_id = np.full(len(self.top_k), -1, dtype=np.int64)
        self.spreads: dict[int, np.ndarray] = {}
        states: list[np.ndarray] = []
        on = combos["regime_filter"].astype(bool)
        if on.any():
            pair = _prices(data, [structure["regime_small"], structure["regime_large"]])
            seen: dict[tuple[int, float, int], int] = {}
            for j in np.flatnonzero(on):
                days = int(combos["regime_days"][j])
                key = (days, float(combos["regime_threshold"][j]), int(self.freq_id[j]))
                if key not in seen:
                    if days not in self.spreads:
                        spread = regime_spread(pair.iloc[:, 0], pair.iloc[:, 1], days)
                        self.spreads[days] = spread.to_numpy(dtype=float)
                    value = self.spreads[days][rows[key[2]]]
                    state = np.where(value > key[1], _CYCLICALS, _DEFENSIVES).astype(np.int8)
                    row = np.zeros(self.schedule.shape[1], dtype=np.int8)
                    row[: len(value)] = np.where(np.isnan(value), _UNDEFINED, state)
                    seen[key] = len(states)
                    states.append(row)
                self.regime_id[j] = seen[key]
        self.states = np.vstack(states) if states else np.zeros((1, 1), dtype=np.int8)

        # Volatilities: one rolling estimate per V, for the inverse-volatility combinations.
        self.vol_days, vol_id = _codes(vol_days[inverse]) if inverse.any() else ([], None)
        self.vol_id = np.full(len(self.top_k), -1, dtype=np.int64)
        if vol_id is not None:
            self.vol_id[inverse] = vol_id
        returns = frame.pct_change(fill_method=None)
        self.vols = np.stack(
            [returns.rolling(v).std(ddof=1).to_numpy(dtype=float) for v in self.vol_days]
            or [np.zeros((0, n_members))]
        )
        self.k_radix = int(self.top_k.max()) + 1 if len(self.top_k) else 1
        self.v_radix = len(self.vol_days) + 1

    def walk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, positions, picks as bit sets, weight-row keys) of every combination."""
        tables = np.stack([self.rank_id, self.history, self.regime_id], axis=1)
        table_id = np.unique(tables, axis=0, return_inverse=True)[1].reshape(-1)
        return top_k_events(
            self.top_k, table_id.astype(np.int64), self.rank_id, self.freq_id, self.history,
            self.regime_id, self.vol_id,
            self.schedule, self.n_scheduled, self.ranks, self.runs, self.states, self.groups,
            self.k_radix, self.v_radix,
        )  # fmt: skip

    def palette(self, picks: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(weight rows, row of each event): each distinct (picks, k, V, session) row built once."""
        radix = self.k_radix * self.v_radix * (len(self.index) + 1)
        if (1 << len(self.members)) * radix < 2**62:
            rows, firsts = intern(combined_keys(picks, keys, radix))
        else:  # too many members for one word: slower, same rows
            both = np.stack([picks, keys], axis=1)
            _, firsts, rows = np.unique(both, axis=0, return_index=True, return_inverse=True)
            rows = rows.reshape(-1)
        held = member_bits(picks[firsts], len(self.members))
        key = keys[firsts]
        k = key % self.k_radix
        vol = (key // self.k_radix) % self.v_radix - 1
        session = key // (self.k_radix * self.v_radix)
        out = np.zeros(held.shape)
        equal = vol < 0
        out[equal] = np.where(held[equal], 1.0 / k[equal][:, None], 0.0)
        if (~equal).any():
            inverse = ~equal
            out[inverse] = self._inverse_vol(
                picks[firsts][inverse], k[inverse], vol[inverse], session[inverse]
            )
        return out, np.asarray(rows, dtype=np.int64)

    def _inverse_vol(
        self, picks: np.ndarray, k: np.ndarray, vol: np.ndarray, session: np.ndarray
    ) -> np.ndarray:
        """The picks' n/k share split by 1/sd (picks without a positive sd are refused)."""
        weights, row, member = inverse_vol_weights(picks, k, vol, session, self.vols)
        if row >= 0:
            day = self.index[session[row]].date()
            raise DataQualityError(
                f"{self.members[member]} has no price movement over the "
                f"{self.vol_days[vol[row]]} sessions to {day}; inverse-volatility weights are "
                "undefined. Check its data or use weighting='equal'."
            )
        return weights


def _structure(params: BaseModel) -> dict[str, Any]:
    return {name: getattr(params, name) for name in _STRUCTURE}


def _combos(table: pd.DataFrame, params: BaseModel) -> dict[str, np.ndarray]:
    return {name: param_values(table, params, name) for name in _PER_COMBO}


def _batch(
    data: MarketData, structure: dict[str, Any], combos: dict[str, np.ndarray]
) -> tuple[_Rotation, Decisions, np.ndarray]:
    """The rotation's inputs, its decisions, and each event's picks (bit sets)."""
    rotation = _Rotation(data, structure, combos)
    offsets, positions, picks, keys = rotation.walk()
    palette, rows = rotation.palette(picks, keys)
    decisions = Decisions(data.index, tuple(rotation.members), palette, offsets, positions, rows)
    return rotation, decisions, picks


def decide(data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination: a weight row on each rebalance with a decision."""
    combos = _combos(table, params)
    swept = [name for name in _STRUCTURE if name in table.columns]
    if not swept:
        return _batch(data, _structure(params), combos)[1]
    # Universes or groups swept: one batch per distinct structure, back in the table's order.
    base = _structure(params)
    keys = [
        tuple(
            tuple(v) if isinstance(v, list) else v
            for v in (table[n].iloc[i] if n in swept else base[n] for n in _STRUCTURE)
        )
        for i in range(len(table))
    ]
    distinct, code = _codes(keys)
    parts, order = [], []
    for number, key in enumerate(distinct):
        rows = np.flatnonzero(code == number)
        named = zip(_STRUCTURE, key, strict=True)
        structure = {n: list(v) if isinstance(v, tuple) else v for n, v in named}
        subset = {name: values[rows] for name, values in combos.items()}
        parts.append(_batch(data, structure, subset)[1])
        order.append(rows)
    return Decisions.concat(parts).select(np.argsort(np.concatenate(order), kind="stable"))


def holdings(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per rebalance from the first decision: regime (with the filter), eligible count,
    each pick with its momentum and weight, and cash; decoded from the batch's decisions."""
    rotation, decisions, picks = _batch(
        data, _structure(params), _combos(single_combination(), params)
    )
    positions, rows = decisions.events(0)
    if not len(positions):
        return pd.DataFrame()
    schedule = rotation.schedule[0, : rotation.n_scheduled[0]]
    values = momentum(rotation.prices, schedule, params.momentum_days)
    ranks = rotation.ranks[rotation.rank_id[0]]
    history, members = int(rotation.history[0]), rotation.members
    event_of = {int(p): e for e, p in enumerate(positions)}
    out = []
    for i, t in enumerate(schedule):
        if t < positions[0]:
            continue
        row: dict[str, object] = {"decision_date": data.index[t].date()}
        group = 0
        if params.regime_filter:
            group = int(rotation.states[rotation.regime_id[0], i])
            spread = float(rotation.spreads[params.regime_days][t])
            row.update(regime_spread=spread, group=("undefined", "cyclicals", "defensives")[group])
        event = event_of.get(int(t))
        weights = decisions.palette[rows[event]] if event is not None else None
        held = [] if event is None else [m for m in ranks[i] if (picks[event] >> m) & 1]
        ready = (rotation.runs[t] > history) & rotation.groups[group]
        row["eligible"] = int(ready.sum()) if event is not None else pd.NA
        for rank in range(1, params.top_k + 1):
            if rank <= len(held):
                m = held[rank - 1]
                pick = (members[m], float(values[i, m]), float(weights[m]))  # type: ignore[index]
            else:
                pick = (None, np.nan, np.nan)
            row.update(
                {f"pick_{rank}": pick[0], f"momentum_{rank}": pick[1], f"weight_{rank}": pick[2]}
            )
        invested = sum(float(weights[m]) for m in held) if weights is not None else 0.0  # type: ignore[index]
        row["cash"] = round(1.0 - invested, 12) if event is not None else np.nan
        row["note"] = "" if event is not None else "regime signal undefined: no change"
        out.append(row)
    table = pd.DataFrame(out)
    table["eligible"] = table["eligible"].astype("Int64")
    return table.set_index("decision_date")


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """The ranking behind the latest decision, and the next rebalance session."""
    table = holdings(data, params)
    decided = table[table["note"] == ""] if len(table) else table
    if not len(decided):
        history = int(
            max(params.momentum_days, params.vol_days if params.weighting == "inverse_vol" else 0)
        )
        inputs = f"no decision yet: no member has {history + 1} sessions of prices"
    else:
        day, last = decided.index[-1], decided.iloc[-1]
        held = [r for r in range(1, params.top_k + 1) if last[f"pick_{r}"] is not None]
        shown = []
        for r in held:
            text = f"{last[f'pick_{r}']} {last[f'momentum_{r}'] * 100:+.1f}%"
            if params.weighting == "inverse_vol":
                text += f" ({last[f'weight_{r}'] * 100:.0f}%)"
            shown.append(text)
        inputs = f"top {params.top_k} by {params.momentum_days}-session return on {day}: "
        inputs += ", ".join(shown) if shown else "no member eligible, all cash"
        if params.weighting == "inverse_vol":
            inputs += f"; weights by inverse {params.vol_days}-session volatility"
        if shown and len(shown) < params.top_k:
            inputs += f"; only {len(shown)} eligible, {last['cash'] * 100:.0f}% in cash"
        if params.regime_filter:
            spread, group = last["regime_spread"], last["group"]
            relation = ">" if group == "cyclicals" else "<="
            inputs = (
                f"{params.regime_small}-{params.regime_large} {params.regime_days}-session "
                f"spread {spread * 100:+.1f}% {relation} {params.regime_threshold * 100:g}%: "
                f"{group} only; " + inputs
            )
    due = next_period_end(data.index[-1], params.rebalance) if len(data.index) else None
    when = str(due.date()) if due is not None else "beyond the exchange calendar"
    return {"inputs": inputs, "next_decision": when}


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"holdings": holdings(data, params)}


STRATEGY = Strategy(
    name="sector_rotation",
    description="Hold the top-k sector funds by L-day momentum; optional small-cap regime filter.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    decide=decide,
    explain=explain,
    tables=tables,
    lookback_sessions=lookback_sessions,
    optional_tickers=optional_tickers,
    key_params=("universe", "top_k", "momentum_days", "rebalance", "weighting", "regime_filter"),
)
