"""The simulator's order step against vectorbt's general one, state by state.

`engine.simulate.order_nb.target_percent_order_nb` claims to do for a target-percent, long-only
order exactly what `vectorbt.portfolio.nb.execute_order_nb` does; here both run on the same
states (random, and the edges: near-zero cash and positions, NaN prices and valuation prices,
zero value, sells to zero) and must return the same state and result, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from vectorbt.portfolio.enums import Direction, ProcessOrderState, SizeType
from vectorbt.portfolio.nb import execute_order_nb, order_nb

from engine.simulate.order_nb import target_percent_order_nb


def _vectorbt(target, price, fees, slippage, cash, position, free_cash, val_price, value):
    state = ProcessOrderState(
        cash=cash, position=position, debt=0.0, free_cash=free_cash, val_price=val_price,
        value=value, oidx=0, lidx=0,
    )  # fmt: skip
    order = order_nb(
        size=target, price=price, size_type=SizeType.TargetPercent,
        direction=Direction.LongOnly, fees=fees, slippage=slippage,
    )  # fmt: skip
    return execute_order_nb(state, order)


def _same(a, b) -> bool:
    """Equal (state, result) pairs, NaN equal to NaN."""
    pairs = [xy for part in zip(a, b, strict=True) for xy in zip(*part, strict=True)]
    return all((x == y) or (np.isnan(x) and np.isnan(y)) for x, y in pairs)


def _cases() -> list[tuple[float, ...]]:
    rng = np.random.default_rng(20)
    cases = []
    for _ in range(3000):
        price = float(rng.uniform(1, 500))
        position = float(rng.choice([0.0, rng.uniform(0, 300), 1e-12]))
        cash = float(rng.choice([rng.uniform(0, 1e5), 0.0, 1e-11]))
        free_cash = cash * float(rng.choice([1.0, rng.uniform(0, 1)]))
        val_price = price * float(rng.uniform(0.9, 1.1))
        value = cash + position * val_price
        target = float(rng.choice([0.0, rng.uniform(0, 1), 1.0, 1e-10]))
        fees, slippage = float(rng.choice([0.0, 1e-4, 0.01])), float(rng.choice([0.0, 5e-4]))
        cases.append((target, price, fees, slippage, cash, position, free_cash, val_price, value))
    nan = float("nan")
    cases += [
        (0.5, nan, 1e-4, 1e-4, 1e4, 10.0, 1e4, 100.0, 2e4),  # no fill price: ignored
        (0.5, 100.0, 1e-4, 1e-4, 1e4, 0.0, 1e4, nan, 1e4),  # no valuation price: ignored
        (0.5, 100.0, 1e-4, 1e-4, 0.0, 0.0, 0.0, 100.0, 0.0),  # nothing to invest: rejected
        (0.0, 100.0, 1e-4, 1e-4, 0.0, 50.0, 0.0, 100.0, 5e3),  # sell everything
        (nan, 100.0, 0.0, 0.0, 1e4, 0.0, 1e4, 100.0, 1e4),  # no target: ignored
        (1.0, 100.0, 0.01, 0.0, 1e4, 0.0, 1e4, 90.0, 1e4),  # cash-limited buy
    ]
    return cases


def test_every_state_gives_vectorbts_state_and_result_bit_for_bit() -> None:
    for case in _cases():
        assert _same(target_percent_order_nb(*case), _vectorbt(*case)), case


@pytest.mark.parametrize(
    "case",
    [
        (0.5, 0.0, 0.0, 0.0, 1e4, 0.0, 1e4, 100.0, 1e4),  # a zero price
        (0.5, 100.0, 0.0, 0.0, 1e4, -1.0, 1e4, 100.0, 1e4),  # a short position
        (0.5, 100.0, 0.0, 0.0, 1e4, 1.0, 1e4, float("inf"), 1e4),  # an infinite valuation
        (0.5, 100.0, 0.0, -1e-3, 1e4, 1.0, 1e4, 100.0, 1e4),  # negative slippage
    ],
)
def test_states_vectorbt_refuses_are_refused(case: tuple[float, ...]) -> None:
    with pytest.raises(ValueError) as ours:
        target_percent_order_nb(*case)
    with pytest.raises(ValueError) as theirs:
        _vectorbt(*case)
    assert str(ours.value) == str(theirs.value)
