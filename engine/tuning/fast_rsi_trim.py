"""The fused sweep kernel of rsi_trim: RSI state machine + portfolio accounting in one numba pass.

Why: running 10,000 combinations through vectorbt (one column each) costs tens of seconds and
gigabytes; one compiled pass per combination, parallel over combinations, with the RSI computed
once per distinct lookback and shared, costs a fraction of a second.

Exactness: the kernel reproduces `engine.backtest.run_backtest` (vectorbt `from_orders`, target
percent, `call_seq="auto"`, `update_value=False`, cash sharing, long only) order by order:
- a row decided at t executes at t+lag at the fill price (close, or adjusted open);
- the group value is computed once per row with every position valued at the fill price;
- orders are sorted by approximate order value (sells first), a stable insertion sort;
- target size = weight * value / price - position; a buy pays price * (1 + slippage) and a fee
  on the traded value, and when short of cash buys cash / (price * (1 + slippage) * (1 + fee));
  a sell receives price * (1 - slippage) less the fee;
- vectorbt's tolerance rules (relative 1e-9, absolute 1e-12) for "close to zero" and "enough
  cash" are mirrored, so the final equity agrees to ~1e-12 relative (tests hold it to 1e-9).
Uninvested cash earns nothing here: with `backtest.cash_ticker` set the sweep uses the generic
path instead.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
from numba import prange

from engine.config import RunConfig
from engine.data.model import MarketData
from engine.errors import BadInputError
from engine.indicators import wilder_rsi
from engine.pipeline import data_window
from engine.strategy import Strategy
from engine.tuning.windows import STAT_COLUMNS, ChunkResult, Window

STRATEGY_NAME = "rsi_trim"
CASH = "cash"
# Axes the kernel can vary per combination; the RSI keys select which shared RSI row is used.
RSI_KEYS = ("signal", "signal_ticker", "ratio_to", "price_field", "n")
SWEEPABLE = (*RSI_KEYS, "upper", "lower", "cooldown", "core_weight", "trim_weight", "destination")
_N_STATS = len(STAT_COLUMNS)
_REL_TOL = 1e-9
_ABS_TOL = 1e-12
_YEAR = 252.0


# --------------------------------------------------------------------------- numba kernel


@numba.njit(cache=True)
def _is_close(a: float, b: float) -> bool:
    """vectorbt's is_close_nb: equal, or within 1e-9 relative / 1e-12 absolute."""
    if np.isnan(a) or np.isnan(b) or np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(_REL_TOL * max(abs(a), abs(b)), _ABS_TOL)


@numba.njit(cache=True)
def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@numba.njit(cache=True)
def _add(a: float, b: float) -> float:
    """vectorbt's add_nb: a + b, snapped to 0 when the two (nearly) cancel."""
    same_sign = _sign(a) == _sign(b)
    zero = _is_close(a + b, 0.0) if same_sign else _is_close(abs(a), abs(b))
    return 0.0 if zero else a + b


@numba.njit(cache=True, error_model="numpy")
def _rebalance(
    weights: np.ndarray,
    pos: np.ndarray,
    cash: float,
    fill: np.ndarray,
    t: int,
    fee: float,
    slip: float,
    order_value: np.ndarray,
    seq: np.ndarray,
) -> tuple[float, int, float, float]:
    """One target-percent row; returns (cash, fills, traded value, fees paid)."""
    n_assets = pos.shape[0]
    value = cash
    for a in range(n_assets):
        if pos[a] != 0:
            value += pos[a] * fill[a, t]
    for a in range(n_assets):
        order_value[a] = weights[a] * value - pos[a] * fill[a, t]
        seq[a] = a
    for j in range(1, n_assets):  # insertion argsort, NaN last (vectorbt's insert_argsort_nb)
        key = order_value[j]
        idx = seq[j]
        i = j - 1
        while i >= 0 and (order_value[i] > key or np.isnan(order_value[i])):
            order_value[i + 1] = order_value[i]
            seq[i + 1] = seq[i]
            i -= 1
        order_value[i + 1] = key
        seq[i + 1] = idx
    fills = 0
    traded = 0.0
    fees_paid = 0.0
    for k in range(n_assets):
        a = seq[k]
        price = fill[a, t]
        # numerical stability, as vectorbt applies before every order
        if _is_close(cash, 0.0):
            cash = 0.0
        if _is_close(pos[a], 0.0):
            pos[a] = 0.0
        val = value
        if _is_close(val, 0.0):
            val = 0.0
        if np.isnan(price) or np.isnan(val) or val <= 0:
            continue
        size = weights[a]
        size *= val
        size /= price
        size -= pos[a]
        if size > 0:  # buy, limited by cash including the fee
            if cash == 0:
                continue
            adj_price = price * (1.0 + slip)
            req_cash = size * adj_price
            req_fees = req_cash * fee
            total = req_cash + req_fees
            if _is_close(total, cash) or total < cash:
                final_size = size
                paid = req_fees
                spent = total
            else:
                max_req_cash = cash / (1.0 + fee)
                if max_req_cash <= 0:
                    continue
                final_size = max_req_cash / adj_price
                paid = cash - max_req_cash
                spent = cash
            if _is_close(size, 0.0):
                continue
            cash = _add(cash, -spent)
            pos[a] = _add(pos[a], final_size)
        else:  # sell what is held, at most
            if pos[a] == 0:
                continue
            final_size = min(pos[a], -size)
            if _is_close(final_size, 0.0):
                continue
            adj_price = price * (1.0 - slip)
            acquired = final_size * adj_price
            paid = acquired * fee
            net = _add(acquired, -paid)
            if net < 0:
                continue
            cash = cash + net
            pos[a] = _add(pos[a], -final_size)
        fills += 1
        traded += final_size * adj_price
        fees_paid += paid
    return cash, fills, traded, fees_paid


@numba.njit(cache=True, error_model="numpy")
def _simulate_one(
    j: int,
    rsi: np.ndarray,
    rsi_row: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    cooldown: np.ndarray,
    w_core: np.ndarray,
    w_trim: np.ndarray,
    close: np.ndarray,
    fill: np.ndarray,
    fee: float,
    slip: float,
    init_cash: float,
    lag: int,
    rf: float,
    start: int,
    end: int,
    edges: np.ndarray,
    stats_out: np.ndarray,
    blocks_out: np.ndarray,
    returns_out: np.ndarray,
    want_returns: bool,
) -> None:
    """Combination j: its trim states from the data start, its portfolio on [start, end]."""
    row = rsi_row[j]
    up = upper[j]
    lo = lower[j]
    cd = cooldown[j]
    core = w_core[j]
    trim = w_trim[j]
    n_assets = close.shape[0]
    same = True
    for a in range(n_assets):
        if core[a] != trim[a]:
            same = False

    # Decisions before the window only matter through the state they leave.
    trimmed = False
    last_switch = -(1 << 40)
    for t in range(start):
        value = rsi[row, t]
        if t - last_switch > cd:
            if not trimmed and value > up:
                trimmed = True
                last_switch = t
            elif trimmed and value < lo:
                trimmed = False
                last_switch = t

    sessions = end - start + 1
    # Decided rows waiting for their trade session: a ring of at most lag + 1 entries, touched
    # only when a row is decided (rare), so the per-session path stays in registers.
    ring = lag + 1
    due = np.empty(ring, dtype=np.int64)
    due_state = np.zeros(ring, dtype=np.bool_)
    head = 0
    pending = 0
    next_due = -1
    pos = np.zeros(n_assets)
    p0 = 0.0
    p1 = 0.0
    close0 = close[0]
    close1 = close[1] if n_assets > 1 else close[0]
    rsi_row_values = rsi[row]
    order_value = np.empty(n_assets)
    seq = np.empty(n_assets, dtype=np.int64)
    cash = init_cash
    prev_eq = init_cash
    peak = init_cash
    max_dd = 0.0
    dd_bound = peak  # equity below this may set a new maximum drawdown
    sum_eq = 0.0
    s1 = 0.0
    s2 = 0.0
    down2 = 0.0
    fills = 0
    rebalances = 0
    traded = 0.0
    fees_paid = 0.0
    block = 0
    next_edge = edges[1]
    b1 = 0.0
    b2 = 0.0
    for t in range(start, end + 1):
        k = t - start
        if k == next_due:
            weights = trim if due_state[head] else core
            head = head + 1 if head + 1 < ring else 0
            pending -= 1
            next_due = due[head] if pending > 0 else -1
            cash, n_fills, value_traded, paid = _rebalance(
                weights, pos, cash, fill, t, fee, slip, order_value, seq
            )
            p0 = pos[0]
            p1 = pos[1] if n_assets > 1 else 0.0
            fills += n_fills
            if n_fills > 0:
                rebalances += 1
            traded += value_traded
            fees_paid += paid
        # a zero position adds exactly 0.0 (prices are finite); two assets stay in registers
        eq = cash + p0 * close0[t] + p1 * close1[t]
        for a in range(2, n_assets):
            eq += pos[a] * close[a, t]
        sum_eq += eq
        if eq > peak:
            peak = eq
            dd_bound = peak * (1.0 + max_dd) * (1.0 + 1e-12)
        elif eq < dd_bound:
            dd = eq / peak - 1.0
            if dd < max_dd:
                max_dd = dd
                dd_bound = peak * (1.0 + max_dd) * (1.0 + 1e-12)
        if k > 0:
            r = eq / prev_eq - 1.0
            s1 += r
            s2 += r * r
            excess = min(r - rf, 0.0)
            down2 += excess * excess
            if t >= next_edge:
                blocks_out[j, block, 0] = b1
                blocks_out[j, block, 1] = b2
                b1 = 0.0
                b2 = 0.0
                block += 1
                next_edge = edges[block + 1]
            b1 += r
            b2 += r * r
            if want_returns:
                returns_out[j, k] = r
        prev_eq = eq
        # the decision at t's close
        value = rsi_row_values[t]
        switched = False
        if t - last_switch > cd:
            if not trimmed and value > up:
                trimmed = True
                last_switch = t
                switched = True
            elif trimmed and value < lo:
                trimmed = False
                last_switch = t
                switched = True
        if k == 0 or (switched and not same):
            slot = head + pending
            if slot >= ring:
                slot -= ring
            due[slot] = k + lag
            due_state[slot] = trimmed
            if pending == 0:
                next_due = k + lag
            pending += 1
    blocks_out[j, block, 0] = b1
    blocks_out[j, block, 1] = b2

    n_ret = sessions - 1
    years = n_ret / _YEAR
    growth = prev_eq / init_cash
    cagr = np.nan
    if years > 0:
        cagr = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
    sd = np.nan
    if n_ret > 1:
        var = (s2 - s1 * s1 / n_ret) / (n_ret - 1)
        sd = math.sqrt(var) if var > 0 else 0.0
    mean_excess = s1 / n_ret - rf
    sharpe = mean_excess / sd * math.sqrt(_YEAR) if sd > 0 else np.nan
    downside = math.sqrt(down2 / n_ret)
    sortino = mean_excess / downside * math.sqrt(_YEAR) if downside > 0 else np.nan
    turnover = 0.0
    if years > 0 and fills > 0:
        turnover = traded / (sum_eq / sessions) / years
    out = stats_out[j]
    out[0] = prev_eq
    out[1] = growth - 1.0
    out[2] = cagr
    out[3] = sd * math.sqrt(_YEAR)
    out[4] = sharpe
    out[5] = sortino
    out[6] = max_dd
    out[7] = cagr / abs(max_dd) if max_dd < 0 else np.nan
    out[8] = fills
    out[9] = rebalances
    out[10] = turnover
    out[11] = fees_paid


@numba.njit(cache=True, parallel=True)
def sweep_parallel(
    rsi, rsi_row, upper, lower, cooldown, w_core, w_trim, close, fill, fee, slip, init_cash,
    lag, rf, start, end, edges, stats_out, blocks_out, returns_out, want_returns,
):  # fmt: skip
    """Every combination of the chunk, spread over the CPU cores."""
    for j in prange(rsi_row.shape[0]):
        _simulate_one(
            j, rsi, rsi_row, upper, lower, cooldown, w_core, w_trim, close, fill, fee, slip,
            init_cash, lag, rf, start, end, edges, stats_out, blocks_out, returns_out,
            want_returns,
        )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def sweep_serial(
    rsi, rsi_row, upper, lower, cooldown, w_core, w_trim, close, fill, fee, slip, init_cash,
    lag, rf, start, end, edges, stats_out, blocks_out, returns_out, want_returns,
):  # fmt: skip
    """The same on one thread, without the GIL: for Dask workers (several threads each)."""
    for j in range(rsi_row.shape[0]):
        _simulate_one(
            j, rsi, rsi_row, upper, lower, cooldown, w_core, w_trim, close, fill, fee, slip,
            init_cash, lag, rf, start, end, edges, stats_out, blocks_out, returns_out,
            want_returns,
        )  # fmt: skip


# --------------------------------------------------------------------------- Python side


@dataclass
class FastCombos:
    """One chunk of combinations as the kernel reads them (small, sent to wherever it runs)."""

    rsi_row: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    cooldown: np.ndarray
    w_core: np.ndarray
    w_trim: np.ndarray

    def __len__(self) -> int:
        return len(self.rsi_row)


@dataclass
class FastRsiTrimCore:
    """Shared inputs of every chunk: RSI rows, prices and costs (picklable, sent once)."""

    rsi: np.ndarray  # (rows, sessions): one Wilder RSI per distinct RSI key
    close: np.ndarray  # (assets, sessions) adjusted closes: valuation
    fill: np.ndarray  # (assets, sessions) fill prices: adjusted close or adjusted open
    assets: tuple[str, ...]
    fee: float
    slippage: float
    initial_cash: float
    lag: int
    rf_daily: float

    kind = "fast"

    def _call(
        self, combos: FastCombos, window: Window, parallel: bool, returns_out: np.ndarray | None
    ) -> ChunkResult:
        n = len(combos)
        stats = np.empty((n, _N_STATS))
        blocks = np.zeros((n, window.blocks, 2))
        want = returns_out is not None
        out = returns_out if want else np.zeros((1, 1))
        kernel = sweep_parallel if parallel else sweep_serial
        kernel(
            self.rsi, combos.rsi_row, combos.upper, combos.lower, combos.cooldown,
            combos.w_core, combos.w_trim, self.close, self.fill, self.fee, self.slippage,
            self.initial_cash, self.lag, self.rf_daily, window.start, window.end,
            window.edges, stats, blocks, out, want,
        )  # fmt: skip
        return ChunkResult(stats=stats, blocks=blocks)

    def run(self, combos: FastCombos, window: Window, parallel: bool = True) -> ChunkResult:
        return self._call(combos, window, parallel, None)

    def returns(self, combos: FastCombos, window: Window) -> np.ndarray:
        """Daily returns (n, sessions) of each combination on the window; 0 on its first day."""
        out = np.zeros((len(combos), window.sessions))
        self._call(combos, window, True, out)
        return out


def unsupported_reason(cfg: RunConfig, axes: list[str]) -> str | None:
    """Why the fused kernel cannot run this sweep (the generic path then does), or None."""
    if cfg.backtest.cash_ticker:
        return "backtest.cash_ticker is set (the kernel keeps cash at 0% like the default engine)"
    extra = [a for a in axes if a not in SWEEPABLE]
    if extra:
        return f"the kernel cannot vary {', '.join(extra)}"
    return None


def _python(value: Any) -> Any:
    """numpy scalars as plain Python values (for pydantic)."""
    return value.item() if isinstance(value, np.generic) else value


def _column(table: pd.DataFrame, base: Any, name: str) -> np.ndarray:
    if name in table.columns:
        return table[name].to_numpy()
    return np.full(len(table), getattr(base, name), dtype=object)


def valid_mask(table: pd.DataFrame, base: Any) -> np.ndarray:
    """The model's cross-checks of rsi_trim Params, vectorised for very large grids."""
    lower = _column(table, base, "lower").astype(float)
    upper = _column(table, base, "upper").astype(float)
    trim = _column(table, base, "trim_weight").astype(float)
    core = _column(table, base, "core_weight").astype(float)
    destination = _column(table, base, "destination")
    return (lower <= upper) & (trim <= core) & (destination != base.small_cap)


def requirements(table: pd.DataFrame, base: Any) -> tuple[list[str], int]:
    """Tickers any combination needs and the longest lookback, from the distinct values."""
    names: list[str] = [base.small_cap]
    for dest in pd.unique(_column(table, base, "destination")):
        if dest != CASH:
            names.append(str(dest))
    names.extend(str(v) for v in pd.unique(_column(table, base, "signal_ticker")))
    if "ratio" in set(_column(table, base, "signal")):
        names.extend(str(v) for v in pd.unique(_column(table, base, "ratio_to")))
    max_n = int(np.max(_column(table, base, "n").astype(np.int64)))
    return list(dict.fromkeys(names)), max(260, 10 * max_n)


@dataclass
class FastPlan:
    """A built core plus the per-combination arrays it reads, sliced into chunks on demand."""

    core: FastRsiTrimCore
    combos: FastCombos

    def payload(self, start: int, stop: int) -> FastCombos:
        """Rows [start, stop) as compact copies (a chunk never pins the full arrays)."""
        return self._take(slice(start, stop))

    def select(self, positions: np.ndarray) -> FastCombos:
        return self._take(np.asarray(positions, dtype=np.int64))

    def _take(self, which: slice | np.ndarray) -> FastCombos:
        parts = {
            f.name: np.array(getattr(self.combos, f.name)[which], copy=True, order="C")
            for f in dataclasses.fields(FastCombos)
        }
        return FastCombos(**parts)


def _rsi_rows(
    strategy: Strategy, cfg: RunConfig, data: MarketData, keys: list[dict[str, Any]]
) -> np.ndarray:
    """One RSI row per distinct key, each exactly as a single run with that key would see it:
    the strategy's signal, on the data window a run with that lookback loads (NaN before)."""
    from strategies.rsi_trim import signal_series  # the strategy's own definition of the signal

    base = cfg.params
    out = np.full((len(keys), len(data.index)), np.nan)
    signals: dict[tuple, pd.Series] = {}
    firsts: dict[int, pd.Timestamp] = {}
    for code, update in enumerate(keys):
        params = type(base).model_validate({**base.model_dump(), **update})
        signal_key = tuple(getattr(params, k) for k in RSI_KEYS if k != "n")
        if signal_key not in signals:
            signals[signal_key] = signal_series(data, params)
        lookback = strategy.lookback_sessions(params)
        if lookback not in firsts:
            firsts[lookback] = data_window(strategy, dataclasses.replace(cfg, params=params))[0]
        own = signals[signal_key].loc[firsts[lookback] :]
        values_rsi = wilder_rsi(own, params.n).reindex(data.index)
        out[code] = values_rsi.to_numpy(dtype=np.float64)
    return out


def build_plan(
    strategy: Strategy,
    cfg: RunConfig,
    data: MarketData,
    table: pd.DataFrame,
    period_index: pd.DatetimeIndex,
) -> FastPlan:
    """RSI rows (one per distinct key), price matrices and per-combination arrays."""
    base = cfg.params
    n = len(table)
    varying = [k for k in RSI_KEYS if k in table.columns]
    if varying:  # one RSI row per distinct combination of the swept RSI keys
        index = pd.MultiIndex.from_arrays([table[k].to_numpy() for k in varying], names=varying)
        codes, uniques = pd.factorize(index)
        keys = [{k: _python(v) for k, v in zip(varying, u, strict=True)} for u in uniques]
    else:
        codes, keys = np.zeros(n, dtype=np.int64), [{}]
    rsi = _rsi_rows(strategy, cfg, data, keys)

    destinations = _column(table, base, "destination")
    assets = [base.small_cap, *[str(d) for d in pd.unique(destinations) if d != CASH]]
    settings = cfg.backtest
    close = data.adj_close[assets]
    fill = close if settings.trade_at == "close" else data.field("adj_open")[assets]
    for frame, what in ((close, "closing"), (fill, "fill")):
        window = frame.loc[period_index]
        if window.isna().to_numpy().any():
            col = window.isna().any().idxmax()
            day = window[col].isna().idxmax()
            raise BadInputError(
                f"{col} has no {what} price on {day.date()} inside the period; the fused "
                "kernel needs complete prices (use --engine generic, which refuses or allows "
                "gaps exactly like a single run)"
            )
    core_w = _column(table, base, "core_weight").astype(float)
    trim_w = _column(table, base, "trim_weight").astype(float)
    w_core = np.zeros((n, len(assets)))
    w_trim = np.zeros((n, len(assets)))
    w_core[:, 0] = core_w
    w_trim[:, 0] = trim_w
    for a, ticker in enumerate(assets[1:], start=1):
        to_it = destinations == ticker
        w_trim[to_it, a] = core_w[to_it] - trim_w[to_it]
    rf = (1.0 + settings.risk_free_pct / 100.0) ** (1.0 / _YEAR) - 1.0
    core = FastRsiTrimCore(
        rsi=np.ascontiguousarray(rsi),
        close=np.ascontiguousarray(close.to_numpy(dtype=np.float64).T),
        fill=np.ascontiguousarray(fill.to_numpy(dtype=np.float64).T),
        assets=tuple(assets),
        fee=settings.fees_bps / 1e4,
        slippage=settings.slippage_bps / 1e4,
        initial_cash=float(settings.initial_cash),
        lag=int(settings.lag),
        rf_daily=rf,
    )
    combos = FastCombos(
        rsi_row=np.ascontiguousarray(codes.astype(np.int64)),
        upper=np.ascontiguousarray(_column(table, base, "upper").astype(np.float64)),
        lower=np.ascontiguousarray(_column(table, base, "lower").astype(np.float64)),
        cooldown=np.ascontiguousarray(_column(table, base, "cooldown").astype(np.int64)),
        w_core=w_core,
        w_trim=w_trim,
    )
    return FastPlan(core=core, combos=combos)
