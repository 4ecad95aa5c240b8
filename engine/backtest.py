"""The backtest core: target weights in, a simulated portfolio out, on vectorbt.

Timing convention. A row of the target-weight frame dated t is the portfolio wanted after t's
close, decided with information up to that close. It is executed `lag` sessions later, at that
session's close (or open), so a decision never trades on the prices it was made from. An all-NaN
row means "no change": positions drift with prices until the next row. In a row with some
values, a NaN weight means 0 and the rest of the portfolio (1 - sum) is held as cash.

Cash yield. When a cash series is given, the uninvested part is held in a synthetic, fee-free
"cash" asset whose price compounds at that series' rate. This keeps vectorbt's accounting exact
without a custom simulator, and `cash_earned` reports what it paid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import vectorbt as vbt

from engine.data.model import MarketData
from engine.errors import DataQualityError
from engine.results import ORDER_COLUMNS, BacktestResult
from engine.settings import BacktestSettings

CASH_COLUMN = "__cash__"
_WEIGHT_TOLERANCE = 1e-9


def validate_target_weights(weights: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Check shape and values; return the frame on `index` with NaN weights in set rows as 0."""
    if not isinstance(weights.index, pd.DatetimeIndex):
        raise DataQualityError("target weights must be indexed by session dates")
    stray = weights.index.difference(index)
    if len(stray):
        raise DataQualityError(
            f"target weights have {len(stray)} dates that are not sessions of the price data, "
            f"first {stray[0].date()}"
        )
    w = weights.reindex(index).astype(float)
    values = w.to_numpy()
    finite = values[~np.isnan(values)]
    if (finite < -_WEIGHT_TOLERANCE).any() or (finite > 1 + _WEIGHT_TOLERANCE).any():
        raise DataQualityError("target weights must lie in [0, 1] (long-only, no leverage)")
    set_rows = w.notna().any(axis=1)
    sums = w[set_rows].fillna(0.0).sum(axis=1)
    if (sums > 1 + 1e-6).any():
        bad = sums[sums > 1 + 1e-6]
        raise DataQualityError(
            f"target weights sum to {bad.iloc[0]:.6g} on {bad.index[0].date()}; at most 1"
        )
    w.loc[set_rows] = w.loc[set_rows].fillna(0.0)
    return w


def cash_returns_from_series(series: pd.Series, kind: str) -> pd.Series:
    """Daily return earned by cash on each session, from a yield or a fund's price.

    A yield observed at t-1's close (percent, annual) pays (1+y)^(1/252)-1 over session t. On a
    session the yield series has no value (bond-market holiday), the last published yield is
    used: that is a rate carried over, not an invented price, and the pipeline reports it.
    """
    from engine.data.validation import cash_series_problem
    from engine.errors import ConfigError

    problem = cash_series_problem(series, kind)
    if problem is not None:
        raise ConfigError(problem)
    if kind == "annual_yield_pct":
        rate = series.ffill().shift(1)
        daily = (1.0 + rate / 100.0) ** (1.0 / 252) - 1.0
    elif kind == "price":
        daily = series.pct_change(fill_method=None)
    else:
        raise ValueError(f"unknown cash series kind {kind!r}")
    return daily.fillna(0.0)


def _execution_frames(
    data: MarketData, tickers: list[str], index: pd.DatetimeIndex, trade_at: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    close = data.adj_close.loc[index, tickers]
    if trade_at == "close":
        return close, close
    price = data.field("adj_open").loc[index, tickers]
    return close, price


def unusable_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """True where a price cannot be traded or valued: missing, zero, negative or not finite.

    The rule "no usable price, no position": a zero or negative adjusted close would make the
    simulation invent returns of -100% or more (and a later recovery, astronomic volatility),
    so it is treated exactly like a missing price. Any simulator of target weights (the
    vectorbt path here, fused sweep kernels) must refuse the same sessions.
    """
    values = prices.to_numpy(dtype=np.float64)
    return pd.DataFrame(
        ~(np.isfinite(values) & (values > 0)), index=prices.index, columns=prices.columns
    )


def price_gap_error(
    ticker: str, day: pd.Timestamp, what: str, value: float, context: str = ""
) -> DataQualityError:
    """The refusal of holding or trading a ticker without a usable price: single runs and
    sweeps (engine.portfolio_nb) say the same."""
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


def _check_prices_for_holdings(orders: pd.DataFrame, price: pd.DataFrame, close: pd.DataFrame):
    """Refuse to hold or trade a ticker on a session without a usable price.

    Rule (see `unusable_prices`): a session where a held ticker's close, or a traded ticker's
    fill price, is missing, zero, negative or not finite is refused, with the ticker, the date
    and the fix; the statistics never see such a price.
    """
    held = orders.ffill().fillna(0.0) > _WEIGHT_TOLERANCE
    trading = orders.notna() & held
    checks = (
        (unusable_prices(price) & trading, "trade at the fill price", price),
        (unusable_prices(close) & held, "hold", close),
    )
    for frame, what, prices in checks:
        if frame.to_numpy().any():
            col = frame.any().idxmax()
            day = frame[col].idxmax()
            raise price_gap_error(col, day, what, float(prices.at[day, col]))


def run_backtest(
    target_weights: pd.DataFrame,
    data: MarketData,
    settings: BacktestSettings,
    name: str = "strategy",
    cash_returns: pd.Series | None = None,
) -> BacktestResult:
    """Simulate the target weights over `target_weights.index` with the settings' costs and lag."""
    index = target_weights.index
    tickers = list(target_weights.columns)
    unknown = [t for t in tickers if t not in data.tickers]
    if unknown:
        raise DataQualityError(f"target weights name tickers with no data loaded: {unknown}")
    wanted = validate_target_weights(target_weights, index)
    orders = wanted.shift(settings.lag)  # decided at t, executed at t+lag
    close, price = _execution_frames(data, tickers, index, settings.trade_at)
    _check_prices_for_holdings(orders, price, close)

    fees = np.full(len(tickers), settings.fees_bps / 1e4)
    slippage = np.full(len(tickers), settings.slippage_bps / 1e4)
    if cash_returns is not None:
        paid = cash_returns.reindex(index).fillna(0.0)
        bad = ~np.isfinite(paid.to_numpy()) | (paid.to_numpy() <= -1.0)
        if bad.any():
            day = index[int(np.argmax(bad))]
            raise DataQualityError(
                f"the cash series (backtest.cash_ticker) pays {paid.loc[day]:g} on {day.date()}, "
                "which only a zero, negative or non-finite price can give. Correct that row in "
                "the source, or choose another cash_ticker."
            )
        cash_price = (1.0 + paid).cumprod()
        set_rows = orders.notna().any(axis=1)
        orders[CASH_COLUMN] = np.where(set_rows, (1.0 - orders.sum(axis=1)).clip(lower=0.0), np.nan)
        close = close.assign(**{CASH_COLUMN: cash_price})
        price = price.assign(**{CASH_COLUMN: cash_price})
        fees = np.append(fees, 0.0)
        slippage = np.append(slippage, 0.0)

    pf = vbt.Portfolio.from_orders(
        close=close,
        size=orders,
        size_type="targetpercent",
        direction="longonly",
        price=price,
        fees=fees[None, :],
        slippage=slippage[None, :],
        init_cash=settings.initial_cash,
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )
    return _result_from_portfolio(pf, name, wanted, tickers, cash_returns is not None)


def _result_from_portfolio(
    pf: vbt.Portfolio,
    name: str,
    wanted: pd.DataFrame,
    tickers: list[str],
    has_cash_asset: bool,
) -> BacktestResult:
    equity = pf.value().rename(name)
    asset_value = pf.asset_value(group_by=False)
    weights = asset_value[tickers].div(equity, axis=0)
    cash_weight = (1.0 - weights.sum(axis=1)).rename("cash")
    cash_earned = 0.0
    if has_cash_asset:
        cash_earned = float(pf.total_profit(group_by=False)[CASH_COLUMN])

    records = pf.orders.records  # structured array: id, col, idx, size, price, fees, side
    columns = list(pf.wrapper.columns)
    orders = pd.DataFrame(
        {
            "date": pf.wrapper.index[records["idx"]],
            "ticker": [columns[c] for c in records["col"]],
            "side": np.where(records["side"] == 0, "buy", "sell"),
            "quantity": records["size"].astype(float),
            "price": records["price"].astype(float),
            "fees": records["fees"].astype(float),
        }
    )
    orders["value"] = orders["quantity"] * orders["price"]
    orders = orders[orders["ticker"] != CASH_COLUMN]
    orders = orders.sort_values(["date"], kind="stable").reset_index(drop=True)  # fill order kept
    return BacktestResult(
        name=name,
        equity=equity,
        returns=equity.pct_change().fillna(0.0).rename(name),
        weights=weights,
        cash_weight=cash_weight,
        target_weights=wanted,
        orders=orders[list(ORDER_COLUMNS)],
        cash_earned=cash_earned,
    )


def static_mix_weights(
    index: pd.DatetimeIndex, weights: dict[str, float], rebalance: str
) -> pd.DataFrame:
    """Target rows for a fixed mix: set on the first session, then at each period's last session."""
    frame = pd.DataFrame(np.nan, index=index, columns=list(weights))
    row = pd.Series(weights, dtype=float)
    frame.iloc[0] = row
    if rebalance != "none":
        period = {"monthly": "M", "quarterly": "Q", "yearly": "Y"}[rebalance]
        labels = index.to_period(period)
        last_of_period = ~pd.Series(labels, index=index).duplicated(keep="last").to_numpy()
        frame.loc[last_of_period] = row.to_numpy()
    return frame
