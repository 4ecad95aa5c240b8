"""sector_rotation's batch: every indicator its combinations need, once per distinct value.

`RotationBatch` holds one universe (and its cyclical/defensive groups) over a session index:
schedules per rebalance frequency, momentum ranks per (lookback, frequency), regime states per
(regime_days, threshold, frequency), volatilities per V; `walk` runs the numba pass of
`strategies.ranking` over every combination, `palette` builds each distinct weight row once.
The strategy module turns this into `Decisions` and, for one combination, its holdings table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.calendar import period_end_mask
from engine.data.model import MarketData
from engine.errors import DataQualityError
from strategies.ranking import (
    PickInputs,
    combined_keys,
    intern,
    momentum_ranks,
    price_runs,
    top_k_events,
    weight_rows,
)

__all__ = ["GROUP_NAMES", "RotationBatch", "codes", "regime_spread"]

_UNDEFINED, _CYCLICALS, _DEFENSIVES = 0, 1, 2
GROUP_NAMES = ("undefined", "cyclicals", "defensives")  # by regime state


def regime_spread(small: pd.Series, large: pd.Series, days: int) -> pd.Series:
    """The small_cap_lead "return_spread" measure: small's `days`-session return minus large's,
    close t against close t-days; NaN when a price is missing (never bridged)."""
    return (small / small.shift(days) - 1.0) - (large / large.shift(days) - 1.0)


def _prices(data: MarketData, names: list[str]) -> pd.DataFrame:
    missing = [t for t in names if t not in data.tickers]
    if missing:
        raise DataQualityError(f"sector_rotation needs prices for {missing}; none were loaded")
    return data.adj_close[names]


def codes(values: np.ndarray | list[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct values (first-seen order) and each entry's number among them."""
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    lookup: dict[Any, int] = {}
    numbers = [lookup.setdefault(v, len(lookup)) for v in items]
    return list(lookup), np.array(numbers, dtype=np.int64)


class RotationBatch:
    """One universe and its groups, with every indicator the combinations need, each computed
    once per distinct value, and the walk of all combinations over them."""

    def __init__(self, data: MarketData, structure: dict[str, Any], combos: dict[str, np.ndarray]):
        self.index = data.index
        self.members = list(structure["universe"])
        frame = _prices(data, self.members)
        self.prices = np.ascontiguousarray(frame.to_numpy(dtype=float))
        self.runs = price_runs(self.prices)
        self.top_k = combos["top_k"].astype(np.int64)
        lookback = combos["momentum_days"].astype(np.int64)
        inverse = combos["weighting"] == "inverse_vol"
        vol_days = combos["vol_days"].astype(np.int64)
        self.history = np.where(inverse, np.maximum(lookback, vol_days), lookback)
        rows = self._schedules(combos["rebalance"])
        self._rank(lookback, rows)
        # Candidate groups: 0 = every member, 1 = cyclicals, 2 = defensives.
        self.groups = np.ones((3, len(self.members)), dtype=np.bool_)
        self.groups[1] = np.isin(self.members, structure["cyclicals"])
        self.groups[2] = np.isin(self.members, structure["defensives"])
        self._regimes(data, structure, combos, rows)
        self._volatilities(frame, vol_days, inverse)
        self.k_radix = int(self.top_k.max()) + 1 if len(self.top_k) else 1
        self.v_radix = len(self.vol_days) + 1

    def _schedules(self, rebalance: np.ndarray) -> list[np.ndarray]:
        """One schedule per frequency, up to the last session with a member's price."""
        n_sessions = len(self.prices)
        priced = np.flatnonzero(~np.isnan(self.prices).all(axis=1))
        upto = np.arange(n_sessions) <= (priced[-1] if len(priced) else -1)
        self.frequencies, self.freq_id = codes(rebalance)
        rows = [np.flatnonzero(period_end_mask(self.index, f) & upto) for f in self.frequencies]
        self.n_scheduled = np.array([len(r) for r in rows], dtype=np.int64)
        self.schedule = np.full((len(rows), max(1, self.n_scheduled.max())), -1, dtype=np.int64)
        for f, r in enumerate(rows):
            self.schedule[f, : len(r)] = r
        return rows

    def _rank(self, lookback: np.ndarray, rows: list[np.ndarray]) -> None:
        """Momentum ranks: one per (lookback, frequency)."""
        pairs, self.rank_id = codes(
            list(zip(lookback.tolist(), self.freq_id.tolist(), strict=True))
        )
        shape = (len(pairs), self.schedule.shape[1], len(self.members))
        self.ranks = np.zeros(shape, dtype=np.int16)
        for q, (days, f) in enumerate(pairs):
            self.ranks[q, : self.n_scheduled[f]] = momentum_ranks(self.prices, rows[f], days)

    def _regimes(
        self,
        data: MarketData,
        structure: dict[str, Any],
        combos: dict[str, np.ndarray],
        rows: list[np.ndarray],
    ) -> None:
        """Regime states on each schedule: one spread per regime_days, one state row per
        (regime_days, threshold, frequency); -1 for combinations without the filter."""
        self.regime_id = np.full(len(self.top_k), -1, dtype=np.int64)
        self.spreads: dict[int, np.ndarray] = {}
        states: list[np.ndarray] = []
        on = np.flatnonzero(combos["regime_filter"].astype(bool))
        if len(on):
            pair = _prices(data, [structure["regime_small"], structure["regime_large"]])
            keys = list(
                zip(
                    combos["regime_days"][on].astype(np.int64).tolist(),
                    combos["regime_threshold"][on].astype(float).tolist(),
                    self.freq_id[on].tolist(),
                    strict=True,
                )
            )
            distinct, self.regime_id[on] = codes(keys)
            for days, threshold, f in distinct:
                if days not in self.spreads:
                    spread = regime_spread(pair.iloc[:, 0], pair.iloc[:, 1], days)
                    self.spreads[days] = spread.to_numpy(dtype=float)
                value = self.spreads[days][rows[f]]
                state = np.where(value > threshold, _CYCLICALS, _DEFENSIVES)
                row = np.zeros(self.schedule.shape[1], dtype=np.int8)
                row[: len(value)] = np.where(np.isnan(value), _UNDEFINED, state)
                states.append(row)
        self.states = np.vstack(states) if states else np.zeros((1, 1), dtype=np.int8)

    def _volatilities(self, frame: pd.DataFrame, vol_days: np.ndarray, inverse: np.ndarray) -> None:
        """One rolling sd of daily returns per V, for the inverse-volatility combinations."""
        self.vol_id = np.full(len(self.top_k), -1, dtype=np.int64)
        self.vol_days: list[int] = []
        if inverse.any():
            self.vol_days, self.vol_id[inverse] = codes(vol_days[inverse])
        returns = frame.pct_change(fill_method=None)
        self.vols = np.stack(
            [returns.rolling(v).std(ddof=1).to_numpy(dtype=float) for v in self.vol_days]
            or [np.zeros((0, len(self.members)))]
        )

    def walk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, positions, picks as bit sets, weight-row keys) of every combination."""
        tables = np.stack([self.rank_id, self.history, self.regime_id], axis=1)
        table_id = np.unique(tables, axis=0, return_inverse=True)[1].reshape(-1)
        inputs = PickInputs(*(getattr(self, name) for name in PickInputs._fields))
        return top_k_events(
            self.top_k, table_id.astype(np.int64), self.vol_id, inputs, self.k_radix, self.v_radix
        )

    def palette(self, picks: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(weight rows, row of each event): each distinct (picks, k, V, session) row built once."""
        radix = self.k_radix * self.v_radix * (len(self.index) + 1)
        if (1 << len(self.members)) * radix < 2**62:
            rows, firsts = intern(combined_keys(picks, keys, radix))
        else:  # too many members for one word: slower, same rows
            both = np.stack([picks, keys], axis=1)
            _, firsts, rows = np.unique(both, axis=0, return_index=True, return_inverse=True)
            rows = rows.reshape(-1)
        key = keys[firsts]
        out, row, member = weight_rows(picks[firsts], key, self.k_radix, self.v_radix, self.vols)
        if row >= 0:  # inverse volatility without a positive sd: refused
            vol = (key[row] // self.k_radix) % self.v_radix - 1
            day = self.index[key[row] // (self.k_radix * self.v_radix)].date()
            raise DataQualityError(
                f"{self.members[member]} has no price movement over the "
                f"{self.vol_days[vol]} sessions to {day}; inverse-volatility weights are "
                "undefined. Check its data or use weighting='equal'."
            )
        return out, np.asarray(rows, dtype=np.int64)
