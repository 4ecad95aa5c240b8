"""One target-percent order, executed with vectorbt's own order primitives.

`vectorbt.portfolio.nb.execute_order_nb` takes a general `Order` (any size type, direction,
fixed fees, size limits, granularity, random rejection) and checks every field on every call
before it reaches `buy_nb` or `sell_nb`. The simulator only ever places one kind of order:
target percent, long only, proportional fees and slippage, no fixed fees, no size limits, no
granularity, no locked cash, partial fills allowed. `target_percent_order_nb` does for that
order exactly what `execute_order_nb` does (vectorbt 1.2: the same zeroing of near-zero
state, the same refusals, the same arithmetic in the same order, then the same `buy_nb` /
`sell_nb` call), without the checks of fields that are constant here. A rebalance of a
sweep places several orders, so this is the simulator's innermost step; the oracle tests
(`engine.simulate.oracle`, `vectorbt.Portfolio.from_orders`) hold it to vectorbt's results
bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np
from vectorbt.portfolio.enums import (
    Direction,
    ExecuteOrderState,
    OrderResult,
    OrderStatus,
    OrderStatusInfo,
)
from vectorbt.portfolio.nb import buy_nb, order_not_filled_nb, sell_nb
from vectorbt.utils.math_ import is_close_nb

__all__ = ["target_percent_order_nb"]


@numba.njit(cache=True)
def _zeroed(x: float) -> float:
    """`execute_order_nb`'s numerical stability step: a value within tolerance of 0 is 0."""
    return 0.0 if is_close_nb(x, 0.0) else x


@numba.njit(cache=True)
def target_percent_order_nb(
    target: float,
    price: float,
    fees: float,
    slippage: float,
    cash: float,
    position: float,
    free_cash: float,
    val_price: float,
    value: float,
) -> tuple[ExecuteOrderState, OrderResult]:
    """Move `position` to `target` of the group `value` at `price` (long only), as
    `execute_order_nb(ProcessOrderState(...), order_nb(size=target, price=price,
    size_type=TargetPercent, direction=LongOnly, fees=fees, slippage=slippage))` does."""
    cash = _zeroed(cash)
    position = _zeroed(position)
    free_cash = _zeroed(free_cash)
    val_price = _zeroed(val_price)
    value = _zeroed(value)
    state = ExecuteOrderState(cash=cash, position=position, debt=0.0, free_cash=free_cash)
    if np.isnan(target):
        return state, order_not_filled_nb(OrderStatus.Ignored, OrderStatusInfo.SizeNaN)
    if np.isnan(price):
        return state, order_not_filled_nb(OrderStatus.Ignored, OrderStatusInfo.PriceNaN)
    if np.isnan(cash) or cash < 0:
        raise ValueError("cash cannot be NaN and must be greater than 0")
    if not np.isfinite(position):
        raise ValueError("position must be finite")
    if np.isnan(free_cash):
        raise ValueError("free_cash cannot be NaN")
    if not np.isfinite(price) or price <= 0:
        raise ValueError("order.price must be finite and greater than 0")
    if position < 0:
        raise ValueError("position is negative but order.direction is Direction.LongOnly")
    if not np.isfinite(fees):
        raise ValueError("order.fees must be finite")
    if not np.isfinite(slippage) or slippage < 0:
        raise ValueError("order.slippage must be finite and 0 or greater")
    if np.isnan(value):
        return state, order_not_filled_nb(OrderStatus.Ignored, OrderStatusInfo.ValueNaN)
    if value <= 0:
        return state, order_not_filled_nb(OrderStatus.Rejected, OrderStatusInfo.ValueZeroNeg)
    if np.isinf(val_price) or val_price <= 0:
        raise ValueError("val_price_now must be finite and greater than 0")
    if np.isnan(val_price):
        return state, order_not_filled_nb(OrderStatus.Ignored, OrderStatusInfo.ValPriceNaN)
    size = target * value  # target percent -> target value -> target amount -> amount
    size /= val_price
    size -= position
    if size > 0:
        return buy_nb(
            state, size, price, Direction.LongOnly, fees, 0.0, slippage, 0.0, np.inf, np.nan,
            False, True, np.nan,
        )  # fmt: skip
    return sell_nb(
        state, -size, price, Direction.LongOnly, fees, 0.0, slippage, 0.0, np.inf, np.nan,
        False, True, np.nan,
    )  # fmt: skip
