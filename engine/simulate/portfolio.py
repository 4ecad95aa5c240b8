"""The backtest core: target weights in, a simulated portfolio out.

Timing convention. A row of the target-weight frame dated t is the portfolio wanted after t's
close, decided with information up to that close. It is executed `lag` sessions later, at that
session's close (or open), so a decision never trades on the prices it was made from. An all-NaN
row means "no change": positions drift with prices until the next row. In a row with some
values, a NaN weight means 0 and the rest of the portfolio (1 - sum) is held as cash.

Cash yield. When a cash series is given, the uninvested part is held in a synthetic, fee-free
"cash" asset whose price compounds at that series' rate, and `cash_earned` reports what it paid.

The execution inputs (close and fill prices, fees, slippage, the cash asset) are built here once
(`execution_inputs`) for single runs and sweeps alike; both simulate them with the one portfolio
kernel, `engine.simulate.portfolio_nb`. vectorbt's `Portfolio.from_orders` on the same inputs is the
cross-check (`engine.simulate.oracle`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.config.settings import BacktestSettings
from engine.data.model import MarketData
from engine.errors import DataQualityError
from engine.simulate.portfolio_nb import ERR_NO_FILL, simulate_recorded_nb
from engine.simulate.result import ORDER_COLUMNS, BacktestResult
from engine.stats.returns_nb import PERIODS_PER_YEAR

CASH_COLUMN = "__cash__"
_WEIGHT_TOLERANCE = 1e-9


def validate_target_weights(weights: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Check shape and values; return the frame on `index` with NaN weights in set rows as 0."""
    if not isinstance(weights.index, pd.DatetimeIndex):
        raise DataQualityError("target weights must be indexed by session dates")
    if not weights.index.equals(index):
        stray = weights.index.difference(index)
        if len(stray):
            raise DataQualityError(
                f"target weights have {len(stray)} dates that are not sessions of the price "
                f"data, first {stray[0].date()}"
            )
        weights = weights.reindex(index)
    values = weights.to_numpy(dtype=np.float64, copy=True)
    missing = np.isnan(values)
    finite = values[~missing]
    if (finite < -_WEIGHT_TOLERANCE).any() or (finite > 1 + _WEIGHT_TOLERANCE).any():
        raise DataQualityError("target weights must lie in [0, 1] (long-only, no leverage)")
    set_rows = ~missing.all(axis=1)
    values[missing & set_rows[:, None]] = 0.0
    sums = values.sum(axis=1)
    over = set_rows & (sums > 1 + 1e-6)
    if over.any():
        k = int(np.argmax(over))
        raise DataQualityError(
            f"target weights sum to {sums[k]:.6g} on {index[k].date()}; at most 1"
        )
    return pd.DataFrame(values, index=index, columns=weights.columns)


def cash_returns_from_series(series: pd.Series, kind: str) -> pd.Series:
    """Daily return earned by cash on each session, from a yield or a fund's price.

    A yield observed at t-1's close (percent, annual) pays (1+y)^(1/252)-1 over session t
    (252 = `PERIODS_PER_YEAR`). On a session the yield series has no value (bond-market
    holiday), the last published yield is used: that is a rate carried over, not an invented
    price, and the pipeline reports it.
    """
    from engine.data.validation import cash_series_problem
    from engine.errors import ConfigError

    problem = cash_series_problem(series, kind)
    if problem is not None:
        raise ConfigError(problem)
    if kind == "annual_yield_pct":
        rate = series.ffill().shift(1)
        daily = (1.0 + rate / 100.0) ** (1.0 / PERIODS_PER_YEAR) - 1.0
    elif kind == "price":
        daily = series.pct_change(fill_method=None)
    else:
        raise ValueError(f"unknown cash series kind {kind!r}")
    return daily.fillna(0.0)


def unusable_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """True where a price cannot be traded or valued: missing, zero, negative or not finite.

    The rule "no usable price, no position": a zero or negative adjusted close would make the
    simulation invent returns of -100% or more (and a later recovery, astronomic volatility),
    so it is treated exactly like a missing price. Any simulator of target weights (the
    the portfolio kernel, for single runs and sweeps) must refuse the same sessions.
    """
    values = prices.to_numpy(dtype=np.float64)
    return pd.DataFrame(
        ~(np.isfinite(values) & (values > 0)), index=prices.index, columns=prices.columns
    )


def price_gap_error(
    ticker: str, day: pd.Timestamp, what: str, value: float, context: str = ""
) -> DataQualityError:
    """The refusal of holding or trading a ticker without a usable price: single runs and
    sweeps say the same."""
    if np.isnan(value):
        why = "has no price then (data gap or before its first date)"
        fix = "allow a bounded forward fill with data.max_ffill_sessions"
    else:
        why = f"has the unusable price {value:g} then (zero, negative or not finite: a data error)"
        fix = "correct or remove that row in the source (the mirror CSV)"
    return DataQualityError(
        f"the portfolio would {what} {ticker} on {day.date()}{context} but {ticker} {why}. "
        f"Choose a period where {ticker} trades, or {fix}."
    )


def check_prices_for_holdings(
    orders: pd.DataFrame, price: pd.DataFrame, close: pd.DataFrame
) -> None:
    """Refuse to hold or trade a ticker on a session without a usable price.

    Rule (see `unusable_prices`): a session where a held ticker's close, or the fill price of a
    ticker bought, rebalanced or sold, is missing, zero, negative or not finite is refused, with
    the ticker, the date and the fix; the statistics never see such a price.
    """
    held = orders.ffill().fillna(0.0) > _WEIGHT_TOLERANCE
    was_held = held.shift(1, fill_value=False)
    trading = orders.notna() & (held | was_held)  # buying, keeping or selling a position
    checks = (
        (unusable_prices(price) & trading, "trade at the fill price", price),
        (unusable_prices(close) & held, "hold", close),
    )
    for frame, what, prices in checks:
        if frame.to_numpy().any():
            col = frame.any().idxmax()
            day = frame[col].idxmax()
            raise price_gap_error(col, day, what, float(prices.at[day, col]))


@dataclass(frozen=True)
class ExecutionInputs:
    """What the simulator trades on: (sessions, assets) close and fill prices, per-asset fees and
    slippage (fractions), the assets being the tickers and, when cash earns, the synthetic cash
    asset last (`counted` = the number of tickers: fills beyond it are not trades)."""

    columns: tuple[str, ...]
    close: np.ndarray
    fill: np.ndarray
    fees: np.ndarray
    slippage: np.ndarray
    counted: int

    @property
    def has_cash_asset(self) -> bool:
        return len(self.columns) > self.counted


def cash_price(
    cash_returns: np.ndarray, index: pd.DatetimeIndex, start: int = 0, end: int | None = None
) -> np.ndarray:
    """The synthetic cash asset's price: 1 before `start`, compounding the cash returns over
    sessions start..end (each session's return included, as earned over that session).

    A return that only a zero, negative or non-finite price gives is refused."""
    end = len(index) - 1 if end is None else end
    paid = np.nan_to_num(np.asarray(cash_returns, dtype=np.float64), nan=0.0, posinf=np.inf,
                         neginf=-np.inf)  # fmt: skip
    part = paid[start : end + 1]
    bad = ~np.isfinite(part) | (part <= -1.0)
    if bad.any():
        k = int(np.argmax(bad))
        raise DataQualityError(
            f"the cash series (backtest.cash_ticker) pays {part[k]:g} on "
            f"{index[start + k].date()}, which only a zero, negative or non-finite price can "
            "give. Correct that row in the source, or choose another cash_ticker."
        )
    out = np.ones(len(index))
    out[start : end + 1] = np.cumprod(1.0 + part)
    return out


def execution_inputs(
    data: MarketData,
    tickers: list[str],
    settings: BacktestSettings,
    rows: slice,
    cash_returns: np.ndarray | None = None,
    cash_window: tuple[int, int] | None = None,
) -> ExecutionInputs:
    """Close and fill prices of `tickers` on the data sessions `rows`, the settings' fees and
    slippage, and the fee-free cash asset when `cash_returns` (one per session of `rows`) are
    given, compounding over `cash_window` (positions within `rows`; all of them by default)."""
    close = _values(data.adj_close, tickers, rows)
    fill = close if settings.trade_at == "close" else _values(data.field("adj_open"), tickers, rows)
    fees = np.full(len(tickers), settings.fees_bps / 1e4)
    slippage = np.full(len(tickers), settings.slippage_bps / 1e4)
    columns = tuple(tickers)
    if cash_returns is not None:
        start, end = cash_window if cash_window is not None else (0, len(close) - 1)
        price = cash_price(cash_returns, data.index[rows], start, end)
        close = np.column_stack([close, price])
        fill = close if settings.trade_at == "close" else np.column_stack([fill, price])
        fees = np.append(fees, 0.0)
        slippage = np.append(slippage, 0.0)
        columns = (*columns, CASH_COLUMN)
    return ExecutionInputs(
        columns=columns,
        close=np.ascontiguousarray(close),
        fill=np.ascontiguousarray(fill),
        fees=fees,
        slippage=slippage,
        counted=len(tickers),
    )


def _values(frame: pd.DataFrame, tickers: list[str], rows: slice | np.ndarray) -> np.ndarray:
    """frame[tickers] on the session positions `rows`, without copying the whole history."""
    columns = frame.columns.get_indexer(tickers)
    return frame.to_numpy(dtype=np.float64)[rows][:, columns]


@dataclass(frozen=True)
class PreparedRun:
    """A single run's validated weight rows and execution inputs, as both the kernel and the
    oracle simulate them. `events` are the positions of the rows with values and `palette`
    those rows (NaN as 0), with the cash asset's weight (1 - sum, at least 0) when cash earns."""

    wanted: pd.DataFrame
    inputs: ExecutionInputs
    events: np.ndarray
    palette: np.ndarray


def prepare_run(
    target_weights: pd.DataFrame,
    data: MarketData,
    settings: BacktestSettings,
    cash_returns: pd.Series | None = None,
) -> PreparedRun:
    """Validate the weights and build the execution inputs over `target_weights.index`."""
    index = target_weights.index
    tickers = list(target_weights.columns)
    unknown = [t for t in tickers if t not in data.tickers]
    if unknown:
        raise DataQualityError(f"target weights name tickers with no data loaded: {unknown}")
    wanted = validate_target_weights(target_weights, index)
    first = int(data.index.searchsorted(index[0])) if len(index) else 0
    rows: slice | np.ndarray = slice(first, first + len(index))
    if not data.index[rows].equals(index):  # not a contiguous stretch of the data's sessions
        rows = data.index.get_indexer(index)
        if (rows < 0).any():
            raise DataQualityError("target weights have dates that are not sessions of the data")
    paid = None
    if cash_returns is not None:
        paid = cash_returns.reindex(index).fillna(0.0).to_numpy(dtype=np.float64)
    inputs = execution_inputs(data, tickers, settings, rows, paid)
    values = wanted.to_numpy(dtype=np.float64)
    events = np.flatnonzero(~np.isnan(values).all(axis=1))
    palette = values[events]
    if inputs.has_cash_asset:
        palette = np.column_stack([palette, np.clip(1.0 - palette.sum(axis=1), 0.0, None)])
    return PreparedRun(wanted, inputs, events, np.ascontiguousarray(palette))


def shifted_orders(run: PreparedRun, lag: int, index: pd.DatetimeIndex) -> pd.DataFrame:
    """The weight rows on their execution sessions (NaN = no order), the cash asset included:
    the `size` frame of vectorbt's target-percent orders."""
    values = np.full((len(index), len(run.inputs.columns)), np.nan)
    executed = run.events + lag
    keep = executed < len(index)
    values[executed[keep]] = run.palette[keep]
    return pd.DataFrame(values, index=index, columns=list(run.inputs.columns))


def refuse_unusable_prices(run: PreparedRun, lag: int, index: pd.DatetimeIndex) -> None:
    """Raise the refusal (ticker, date, fix) for the first ticker held or traded without a
    usable price; see `check_prices_for_holdings`."""
    n = run.inputs.counted
    orders = shifted_orders(run, lag, index).iloc[:, :n]
    price = pd.DataFrame(run.inputs.fill[:, :n], index=index, columns=orders.columns)
    close = pd.DataFrame(run.inputs.close[:, :n], index=index, columns=orders.columns)
    check_prices_for_holdings(orders, price, close)


# Simulates prepared inputs over the index's sessions: (run, settings, index, name) -> result.
Simulator = Callable[[PreparedRun, BacktestSettings, pd.DatetimeIndex, str], BacktestResult]


def run_backtest(
    target_weights: pd.DataFrame,
    data: MarketData,
    settings: BacktestSettings,
    name: str = "strategy",
    cash_returns: pd.Series | None = None,
    simulator: Simulator | None = None,
) -> BacktestResult:
    """Simulate the target weights over `target_weights.index` with the settings' costs and lag,
    with the one portfolio kernel or, on the same prepared inputs, with `simulator` (the vectorbt
    cross-check, `engine.simulate.oracle.simulate_with_vectorbt`)."""
    run = prepare_run(target_weights, data, settings, cash_returns)
    return (simulator or simulate_prepared)(run, settings, target_weights.index, name)


def simulate_prepared(
    run: PreparedRun, settings: BacktestSettings, index: pd.DatetimeIndex, name: str
) -> BacktestResult:
    """The kernel's run of prepared inputs, refusing a holding or trade without a usable price."""
    inputs = run.inputs
    equity, _cash, asset_value, records, error = simulate_recorded_nb(
        inputs.close, inputs.fill, inputs.fees, inputs.slippage, run.palette,
        run.events.astype(np.int64), np.arange(len(run.events), dtype=np.int64),
        inputs.counted, float(settings.initial_cash), int(settings.lag),
    )  # fmt: skip
    if error[0]:  # the frame check names the first gap as it always has
        refuse_unusable_prices(run, int(settings.lag), index)
        code, asset, t = (int(v) for v in error)  # the same gap, should the two ever differ
        what, prices = ("trade at the fill price", inputs.fill) if code == ERR_NO_FILL else (
            "hold", inputs.close)  # fmt: skip
        raise price_gap_error(inputs.columns[asset], index[t], what, float(prices[t, asset]))
    return recorded_result(name, run, index, equity, asset_value, records)


def recorded_result(
    name: str,
    run: PreparedRun,
    index: pd.DatetimeIndex,
    equity: np.ndarray,
    asset_value: np.ndarray,
    records: np.ndarray,
) -> BacktestResult:
    """The result of a simulated single run from its books (equity, asset values at each close
    and fills as (session, asset, size, price, fees, side) rows)."""
    inputs = run.inputs
    n = inputs.counted
    tickers = list(inputs.columns[:n])
    equity_series = pd.Series(equity, index=index, name=name)
    weights = pd.DataFrame(asset_value[:, :n] / equity[:, None], index=index, columns=tickers)
    cash_weight = pd.Series(1.0 - weights.to_numpy().sum(axis=1), index=index, name="cash")
    cash_earned = 0.0
    assets = records[:, 1].astype(np.int64)
    if inputs.has_cash_asset:
        cash_earned = _asset_profit(records[assets == n], inputs.close[-1, n])
    trades = records[assets < n]
    sessions = trades[:, 0].astype(np.int64)
    columns = {
        "date": index[sessions],
        "ticker": np.array(tickers, dtype=str)[trades[:, 1].astype(np.int64)],
        "side": np.where(trades[:, 5] == 0, "buy", "sell"),
        "quantity": trades[:, 2],
        "price": trades[:, 3],
        "value": trades[:, 2] * trades[:, 3],
        "fees": trades[:, 4],
    }
    orders = pd.DataFrame({name: columns[name] for name in ORDER_COLUMNS})
    returns = np.zeros(len(equity))
    returns[1:] = equity[1:] / equity[:-1] - 1.0
    return BacktestResult(
        name=name,
        equity=equity_series,
        returns=pd.Series(returns, index=index, name=name),
        weights=weights,
        cash_weight=cash_weight,
        target_weights=run.wanted,
        orders=orders,
        cash_earned=cash_earned,
    )


def _asset_profit(fills: np.ndarray, last_close: float) -> float:
    """Cash flows of one asset's fills plus the final position at the last close (vectorbt's
    `total_profit` of a column)."""
    buy = fills[:, 5] == 0
    size, price, fees = fills[:, 2], fills[:, 3], fills[:, 4]
    flows = np.where(buy, -(size * price + fees), size * price - fees)
    position = np.where(buy, size, -size).sum()
    return float(flows.sum() + position * last_close)


def static_mix_weights(
    index: pd.DatetimeIndex, weights: dict[str, float], rebalance: str
) -> pd.DataFrame:
    """Target rows for a fixed mix: set on the first session, then at each period's last session."""
    values = np.full((len(index), len(weights)), np.nan)
    row = np.array(list(weights.values()), dtype=float)
    values[0] = row
    if rebalance != "none":
        months = {"monthly": 1, "quarterly": 3, "yearly": 12}[rebalance]
        labels = index.year.to_numpy() * 12 + (index.month.to_numpy() - 1) // months
        last_of_period = np.append(labels[1:] != labels[:-1], True)  # sessions are sorted
        values[last_of_period] = row
    return pd.DataFrame(values, index=index, columns=list(weights))
