"""Two shares compared: k of n after the signal against j of m otherwise.

A conditional claim ("after X, Y") is a comparison of two independent samples, the cases after
the signal and the complementary cases, never of the events against a rate that contains them.
The test is Fisher's exact test of the 2x2 table (scipy.stats.fisher_exact: conditional on the
margins, exact at any n); the interval is Newcombe's hybrid score interval of the difference of
the two shares (Newcombe 1998, method 10, statsmodels' `confint_proportions_2indep`), which keeps
its coverage with small counts and shares near 0 or 1.
"""

from __future__ import annotations

import math

from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from engine.inference.significance import NAN_PAIR, Direction, alternative, interval_level

__all__ = ["difference_interval", "fisher_p"]


def fisher_p(hits: int, n: int, other_hits: int, other_n: int, direction: Direction) -> float:
    """Fisher's exact p-value of hits/n against other_hits/other_n, one-sided in the claimed
    direction ("above_base": the first share is higher), two-sided otherwise."""
    if n <= 0 or other_n <= 0:
        return math.nan
    table = [[int(hits), int(n - hits)], [int(other_hits), int(other_n - other_hits)]]
    return float(stats.fisher_exact(table, alternative=alternative(direction)).pvalue)


def difference_interval(
    hits: int,
    n: int,
    other_hits: int,
    other_n: int,
    direction: Direction,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Newcombe interval of hits/n - other_hits/other_n, one-sided for a claimed direction
    (the unbounded side is the difference's limit, -1 or 1) so that it matches a one-sided
    test at 1 - confidence."""
    if n <= 0 or other_n <= 0:
        return NAN_PAIR
    level = interval_level(direction, confidence)
    low, high = confint_proportions_2indep(
        int(hits), int(n), int(other_hits), int(other_n),
        method="newcomb", compare="diff", alpha=1.0 - level,
    )  # fmt: skip
    if direction == "above_base":
        return float(low), 1.0
    if direction == "below_base":
        return -1.0, float(high)
    return float(low), float(high)
