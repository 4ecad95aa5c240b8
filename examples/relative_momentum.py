"""A strategy of your own, written outside the package: small caps while they out-run large caps.

Hold `small` (IWM) while its `lookback`-session return beats `large`'s (SPY) by more than
`margin`, else hold `large`. Written once, in batch form: `decide` turns prices and a table of
parameter combinations into `Decisions` for all of them, computing one k-session return per
distinct lookback, so a single run (a batch of one) and a sweep come from the same code.

    python examples/relative_momentum.py                      # run, compare, sweep, report
    python run_backtest.py --strategies-dir examples relative_momentum --set lookback=21
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

import engine as rl
from engine.data.model import MarketData


class Params(rl.Strict):
    """A parameter model: types, ranges and meanings; unknown keys are refused by rl.Strict."""

    small: str = Field(default="IWM", description="Held while it leads")
    large: str = Field(default="SPY", description="Held otherwise")
    lookback: int = Field(default=63, ge=1, le=252, description="Sessions of return compared")
    margin: float = Field(default=0.0, ge=0.0, le=0.5, description="Lead needed (0.02 = 2 pts)")

    @model_validator(mode="after")
    def _two_funds(self) -> Params:
        if self.small == self.large:
            raise ValueError(f"small and large are both {self.small!r}; name two tickers")
        return self


def tickers(params: Params) -> list[str]:
    """The tickers the rule cannot run without: the period starts when both trade."""
    return [params.small, params.large]


def decide(data: MarketData, params: Params, table: pd.DataFrame) -> rl.Decisions:
    """Decisions for every row of `table` (one row per combination; a column per swept
    parameter, the others at `params`' values). Uses closes up to each session only."""
    prices = data.adj_close[[params.small, params.large]]
    lookbacks = rl.param_values(table, params, "lookback").astype(int)
    margins = rl.param_values(table, params, "margin").astype(float)
    labels = np.ones((len(lookbacks), len(data.index)), dtype=np.int64)  # 1 = hold large
    for k in np.unique(lookbacks):  # one k-session return per distinct lookback
        moved = prices.pct_change(int(k), fill_method=None).to_numpy()
        spread = moved[:, 0] - moved[:, 1]  # NaN until both have k sessions: hold large
        for j in np.flatnonzero(lookbacks == k):
            labels[j] = np.where(spread > margins[j], 0, 1)
    palette = np.array([[1.0, 0.0], [0.0, 1.0]])  # row 0: all small, row 1: all large
    return rl.Decisions.from_labels(labels, palette, data.index, [params.small, params.large])


STRATEGY = rl.Strategy(
    name="relative_momentum",
    description="Small caps while their k-session return beats large caps', else large caps.",
    params_model=Params,
    tickers=tickers,
    decide=decide,
    lookback_sessions=lambda p: p.lookback + 1,
    key_params=("lookback", "margin"),
)


def main() -> None:
    run = rl.run(STRATEGY, lookback=63)
    print(run.stats.loc[["cagr", "sharpe", "max_drawdown"]].round(3).to_string())
    both = rl.compare([STRATEGY, "first10days"])
    print(both.stats.loc[["cagr", "sharpe"]].round(3).to_string())
    sweep = rl.sweep(STRATEGY, grid={"lookback": [21, 63, 126], "margin": [0.0, 0.02]})
    print(sweep.table[["lookback", "margin", "sharpe", "rank"]].to_string(index=False))
    pbo = "n/a" if sweep.pbo is None else f"{sweep.pbo:.2f}"
    print(f"best {sweep.best_params}; deflated Sharpe {sweep.deflated_sharpe:.3f}; PBO {pbo}")
    print(f"report: {run.report()}")


if __name__ == "__main__":
    main()
