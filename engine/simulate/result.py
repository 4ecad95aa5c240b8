"""The result of one simulated portfolio, as the metrics and report modules consume it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ORDER_COLUMNS = ("date", "ticker", "side", "quantity", "price", "value", "fees")
_SAME = 1e-9  # weights closer than this are the same allocation


def target_changes(target_weights: pd.DataFrame) -> pd.DataFrame:
    """The decision rows that change the wanted allocation: the first one, then each row that
    differs from the previous decision (a NaN weight in a set row means 0, as the engine reads
    it). A rule restating the same row every session changes its allocation only when the row
    does; all-NaN rows (no change) are left out."""
    rows = target_weights[target_weights.notna().any(axis=1)].fillna(0.0)
    if rows.empty:
        return rows
    values = rows.to_numpy(dtype=float)
    moved = (abs(values[1:] - values[:-1]) > _SAME).any(axis=1)
    return rows[[True, *moved]]


@dataclass
class BacktestResult:
    """One portfolio run. Every series and frame is indexed by NYSE session.

    `weights` are the realised weights at each close (position value / portfolio value), so they
    drift between rebalances; `target_weights` are the rows the strategy asked for, as given.
    """

    name: str
    equity: pd.Series  # portfolio value at each close, in currency units
    returns: pd.Series  # simple daily returns of `equity`; 0 on the first session
    weights: pd.DataFrame  # realised weights of the traded tickers (cash excluded)
    cash_weight: pd.Series  # 1 - sum(weights): the uninvested share at each close
    target_weights: pd.DataFrame  # the decision rows as given (all-NaN row = no change)
    orders: pd.DataFrame  # ORDER_COLUMNS, one row per fill, in time order
    cash_earned: float = 0.0  # currency earned by the uninvested part (0 when no cash yield)

    @property
    def start(self) -> pd.Timestamp:
        return self.equity.index[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.equity.index[-1]
