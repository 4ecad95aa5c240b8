"""The statistics a sweep keeps per combination, in the order the kernel writes them, and those
it can rank by. Names only (no heavy import), so the command line can list them."""

from __future__ import annotations

__all__ = ["LOWER_IS_BETTER", "RANK_METRICS", "STAT_COLUMNS"]

# "information_ratio": the annualised Sharpe ratio of the daily returns in excess of the main
# benchmark (the config's first) bought and held over the same window.
STAT_COLUMNS = (
    "final_equity",
    "total_return",
    "cagr",
    "ann_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "trades",
    "rebalances",
    "turnover",
    "fees",
    "information_ratio",
)
# Metrics where lower is better (ranking flips them); every other metric is "higher is better".
LOWER_IS_BETTER = ("ann_volatility", "trades", "rebalances", "turnover", "fees")
RANK_METRICS = (
    "sharpe",
    "cagr",
    "sortino",
    "calmar",
    "total_return",
    "final_equity",
    "max_drawdown",
    "ann_volatility",
    "turnover",
    "information_ratio",
)
