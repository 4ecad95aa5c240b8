"""Chunks of combinations through a strategy's batch form and the one portfolio kernel.

A chunk is a slice of the parameter table. Its decisions come from `Strategy.batch` (the batch
form, or the single form row by row for a rule without one), on the data a single run of each
row would load: rows are grouped by the first session their lookback needs, so indicators that
remember their seed (Wilder's RSI) start where a single run's do, and a sweep row equals the
single run. The decisions of each group then run through `engine.simulate.portfolio_nb`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from engine.config.run_config import RunConfig
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, combo_params
from engine.decisions.strategy import Strategy
from engine.simulate.portfolio import (
    CASH_COLUMN,
    cash_returns_from_series,
    execution_inputs,
    price_gap_error,
)
from engine.simulate.portfolio_nb import (
    ERR_NO_FILL,
    N_STATS,
    simulate_parallel_nb,
    simulate_serial_nb,
)
from engine.simulate.prices_nb import next_unusable_nb
from engine.stats.metrics import daily_risk_free
from engine.tuning.benchmark import main_benchmark, main_benchmark_returns
from engine.tuning.dedup import distinct_combinations
from engine.tuning.windows import ChunkResult, Window

__all__ = ["BatchCore", "Chunk", "requirements"]

DECISION_CACHE_BYTES = 400 * 2**20  # decisions kept for reuse (walk-forward windows, curves)
PROFILE_SAMPLE = 200  # rows whose tickers and lookback are re-derived in full, as a guard

_WEIGHT_TOLERANCE = 1e-9


@dataclass
class Chunk:
    """Rows of the parameter table and the data start (session position) each row needs;
    `key` names a slice of the plan (rows start..stop) whose decisions may be reused."""

    table: pd.DataFrame
    first: np.ndarray
    key: tuple[int, int] | None = None

    def __len__(self) -> int:
        return len(self.table)


@dataclass
class BatchCore:
    """Shared inputs of every chunk (picklable: sent once to each process or Dask worker)."""

    strategy: Strategy
    cfg: RunConfig
    data: MarketData
    per_row: bool = False  # ask the single form row by row even if a batch form exists
    _views: dict[int, MarketData] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[int, int], list] = field(default_factory=dict, repr=False)
    _cached_bytes: int = field(default=0, repr=False)

    @property
    def kind(self) -> str:
        """ "batch": chunks run in this process on every core; "single": GIL-bound decisions,
        chunks go to a process pool."""
        return "single" if self.per_row or not self.strategy.has_batch_form else "batch"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_views"] = {}  # views and decisions are rebuilt where the chunk runs
        state["_cache"] = {}
        state["_cached_bytes"] = 0
        return state

    def _view(self, first: int) -> MarketData:
        if first not in self._views:
            self._views[first] = self.data.select(start=self.data.index[first])
        return self._views[first]

    def decisions(self, chunk: Chunk) -> list[tuple[np.ndarray, Decisions, int]]:
        """(rows of the chunk, their decisions, position shift into the full index) per group.

        Decisions do not depend on the window simulated, so a plan slice's are kept (within
        DECISION_CACHE_BYTES) for the next window of a walk-forward."""
        if chunk.key is not None and chunk.key in self._cache:
            return self._cache[chunk.key]
        out = self._decide(chunk)
        if chunk.key is not None:
            size = sum(d.positions.nbytes * 2 + d.palette.nbytes for _, d, _ in out)
            if self._cached_bytes + size <= DECISION_CACHE_BYTES:
                self._cache[chunk.key] = out
                self._cached_bytes += size
        return out

    def forget_decisions(self) -> None:
        """Drop the decisions kept for reuse (memory back; the next run decides again)."""
        self._cache.clear()
        self._cached_bytes = 0

    def _decide(self, chunk: Chunk) -> list[tuple[np.ndarray, Decisions, int]]:
        out = []
        for first in np.unique(chunk.first):
            members = np.flatnonzero(chunk.first == first)
            table = chunk.table.iloc[members].reset_index(drop=True)
            view = self._view(int(first))
            decisions = self.strategy.batch(view, self.cfg.params, table, self.per_row)
            out.append((members, decisions, int(first)))
        return out

    def _arrays(self, decisions: Decisions, window: Window) -> tuple[np.ndarray, ...]:
        """Close and fill prices, costs and the palette
        (`engine.simulate.portfolio.execution_inputs`, as
        a single run builds them), with the cash asset when it earns."""
        settings = self.cfg.backtest
        cash = None
        if settings.cash_ticker:
            series = self.data.adj_close[settings.cash_ticker.upper()]
            cash = cash_returns_from_series(series, settings.cash_ticker_kind).to_numpy()
        inputs = execution_inputs(
            self.data, list(decisions.columns), settings, slice(None), cash,
            (window.start, window.end),
        )  # fmt: skip
        palette = decisions.palette
        if inputs.has_cash_asset:
            palette = np.column_stack([palette, np.clip(1.0 - palette.sum(axis=1), 0.0, None)])
        return (
            inputs.close,
            inputs.fill,
            inputs.fees,
            inputs.slippage,
            np.ascontiguousarray(palette, dtype=np.float64),
        )

    def _simulate(
        self, chunk: Chunk, window: Window, parallel: bool, want_returns: bool
    ) -> tuple[ChunkResult, np.ndarray | None]:
        n = len(chunk)
        stats = np.empty((n, N_STATS))
        blocks = np.zeros((n, window.blocks, 2))
        returns = np.zeros((n, window.sessions)) if want_returns else None
        settings = self.cfg.backtest
        rf = daily_risk_free(settings.risk_free_pct)
        bench, has_bench = self._benchmark_returns(window)
        kernel = simulate_parallel_nb if parallel else simulate_serial_nb
        for members, decided, first in self.decisions(chunk):
            _check_palette(decided)
            distinct = distinct_combinations(decided)  # identical decisions simulated once
            decisions = decided if distinct is None else decided.select(distinct[0])
            close, fill, fees, slippage, palette = self._arrays(decisions, window)
            m = decisions.n_combos
            part_stats = np.empty((m, N_STATS))
            part_blocks = np.zeros((m, window.blocks, 2))
            part_returns = np.zeros((m, window.sessions)) if want_returns else np.zeros((1, 1))
            errors = np.zeros((m, 3), dtype=np.int64)
            kernel(
                close, next_unusable_nb(close), fill, fees, slippage, palette,
                decisions.offsets, decisions.positions, decisions.rows, first,
                len(decisions.columns), float(settings.initial_cash), int(settings.lag), rf,
                bench, has_bench, window.start, window.end, window.edges, part_stats,
                part_blocks, part_returns, want_returns, errors,
            )  # fmt: skip
            if distinct is not None:
                copy = distinct[1]
                part_stats, part_blocks, errors = part_stats[copy], part_blocks[copy], errors[copy]
                part_returns = part_returns[copy] if want_returns else part_returns
            if errors[:, 0].any():
                self._raise_gap(chunk, members, decisions, errors)
            stats[members] = part_stats
            blocks[members] = part_blocks
            if returns is not None:
                returns[members] = part_returns
        return ChunkResult(stats=stats, blocks=blocks), returns

    def _benchmark_returns(self, window: Window) -> tuple[np.ndarray, bool]:
        """The main benchmark's daily returns over the window (NaN elsewhere), for the
        information ratio; none when the config names no benchmark."""
        out = np.full(len(self.data.index), np.nan)
        bench = main_benchmark(self.cfg)
        if bench is None:
            return out, False
        returns = main_benchmark_returns(self.cfg, self.data, window.start, window.end)
        out[window.start + 1 : window.end + 1] = returns
        return out, True

    def _raise_gap(
        self, chunk: Chunk, members: np.ndarray, decisions: Decisions, errors: np.ndarray
    ) -> None:
        bad = int(np.flatnonzero(errors[:, 0])[0])
        code, asset, t = (int(v) for v in errors[bad])
        columns = [*decisions.columns, CASH_COLUMN]
        combo = chunk.table.iloc[int(members[bad])].to_dict()
        what = "trade at the fill price" if code == ERR_NO_FILL else "hold"
        ticker = columns[asset]
        field = "adj_open" if code == ERR_NO_FILL and self.cfg.backtest.trade_at == "open" else None
        prices = self.data.field(field) if field else self.data.adj_close
        value = float(prices[ticker].iloc[t]) if ticker in prices.columns else float("nan")
        raise price_gap_error(
            ticker, self.data.index[t], what, value, context=f" with parameters {combo}"
        )

    def run(self, chunk: Chunk, window: Window, parallel: bool = True) -> ChunkResult:
        return self._simulate(chunk, window, parallel, want_returns=False)[0]

    def returns(self, chunk: Chunk, window: Window) -> np.ndarray:
        """Daily returns (rows, sessions) of each row on the window; 0 on its first session."""
        return self._simulate(chunk, window, True, want_returns=True)[1]


def _check_palette(decisions: Decisions) -> None:
    """The weight rules of `engine.simulate.portfolio.validate_target_weights`, once per distinct
    row."""
    from engine.errors import DataQualityError

    palette = decisions.palette
    if np.isnan(palette).any():
        raise DataQualityError("a strategy's batch decisions hold NaN weights; use 0 for 'none'")
    if (palette < -_WEIGHT_TOLERANCE).any() or (palette > 1 + _WEIGHT_TOLERANCE).any():
        raise DataQualityError("target weights must lie in [0, 1] (long-only, no leverage)")
    sums = palette.sum(axis=1)
    if (sums > 1 + 1e-6).any():
        raise DataQualityError(f"target weights sum to {sums.max():.6g}; at most 1")


def _profile_codes(table: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """Group rows by their non-float parameters (those that may change tickers or lookback)."""
    keys = [c for c in table.columns if not pd.api.types.is_float_dtype(table[c])]
    if not keys or table.empty:
        return np.zeros(len(table), dtype=np.int64), [0] if len(table) else []
    parts = []
    for name in keys:
        column = table[name]
        values = column.map(repr) if column.dtype == object else column
        parts.append(pd.factorize(values)[0])
    _, first, codes = np.unique(np.vstack(parts).T, axis=0, return_index=True, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), [int(i) for i in first]


def requirements(
    strategy: Strategy, base: BaseModel, table: pd.DataFrame
) -> tuple[list[str], BaseModel, np.ndarray]:
    """Tickers any combination needs, the parameters with the longest lookback, and each row's
    lookback. Derived once per distinct set of non-float values (floats such as thresholds and
    weights are taken not to change tickers or lookback), and re-derived in full on a sample."""
    codes, representatives = _profile_codes(table)
    models = combo_params(base, table.iloc[representatives])
    lookbacks = np.array([strategy.lookback_sessions(p) for p in models], dtype=np.int64)
    tickers = [t for p in models for t in strategy.tickers(p)]
    rng = np.random.default_rng(0)
    sample = rng.choice(len(table), size=min(PROFILE_SAMPLE, len(table)), replace=False)
    known = set(tickers)
    for row, params in zip(sample, combo_params(base, table.iloc[sample]), strict=True):
        if (
            strategy.lookback_sessions(params) != lookbacks[codes[row]]
            or not set(strategy.tickers(params)) <= known
        ):
            raise RuntimeError(
                f"{strategy.name}: a float parameter changes the tickers or the lookback; "
                "sweep it as a list of values of another type or fix the strategy"
            )
    longest = models[int(np.argmax(lookbacks))]
    return list(dict.fromkeys(tickers)), longest, lookbacks[codes]
