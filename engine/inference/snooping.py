"""Did the best of many rules beat the benchmark once the search is accounted for?

Hansen's (2005) test of Superior Predictive Ability asks whether any of the combinations a sweep
tried beats the benchmark, allowing for the number tried and for how alike they are; its p-value
is that of the best combination after the search. Romano & Wolf's (2005) stepwise multiple test
(StepM) names the combinations that beat it, with the family-wise error rate controlled. Both
come from `arch.bootstrap` (`SPA`, `StepM`), on daily returns turned into losses (minus the
return), with the stationary bootstrap (Politis & Romano) whose mean block length is arch's
`optimal_block_length` of the best combination's returns in excess of the benchmark, so the
volatility clusters of daily returns are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from arch.bootstrap import SPA, StepM, optimal_block_length

__all__ = ["SnoopingTest", "snooping_test"]

MIN_BLOCK = 5


@dataclass(frozen=True)
class SnoopingTest:
    """SPA p-values of the best combination and the StepM set, against one reference."""

    reference: str  # "SPY buy & hold" or "zero"
    p_value: float  # Hansen's consistent SPA p-value
    p_lower: float  # the lower and upper bounds Hansen gives (liberal and conservative)
    p_upper: float
    superior: list[int] = field(default_factory=list)  # StepM: positions that beat it
    stepwise: bool = True  # False: StepM was not run (the superior set is not known)
    tested: int = 0
    block_length: int = 0
    reps: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "spa_p": self.p_value,
            "spa_p_lower": self.p_lower,
            "spa_p_upper": self.p_upper,
            "stepm_superior": len(self.superior) if self.stepwise else None,
            "tested": self.tested,
            "block_length": self.block_length,
            "reps": self.reps,
        }


def _block_length(excess: np.ndarray) -> int:
    finite = excess[np.isfinite(excess)]
    if len(finite) < 20 or np.std(finite) == 0:
        return MIN_BLOCK
    optimal = float(optimal_block_length(finite)["stationary"].iloc[0])
    return max(MIN_BLOCK, math.ceil(optimal)) if math.isfinite(optimal) else MIN_BLOCK


def snooping_test(
    returns: np.ndarray,
    benchmark: np.ndarray | None,
    reference: str,
    reps: int = 1000,
    seed: int = 0,
    size: float = 0.05,
    stepwise: bool = True,
) -> SnoopingTest:
    """SPA (and, with `stepwise`, StepM) of `returns` (sessions x combinations) against
    `benchmark` (one return per session; None: against zero). Sessions where any series is NaN
    are left out. Cost: arch's studentised SPA computes the stationary bootstrap's variance
    with a loop over the T sessions (about T^2 K operations), then T K per resample."""
    r = np.asarray(returns, dtype=float)
    b = np.zeros(len(r)) if benchmark is None else np.asarray(benchmark, dtype=float)
    keep = np.isfinite(r).all(axis=1) & np.isfinite(b)
    r, b = r[keep], b[keep]
    if r.shape[0] < 30 or r.shape[1] == 0:
        return SnoopingTest(
            reference, math.nan, math.nan, math.nan, [], stepwise, r.shape[1], 0, reps
        )
    best = int(np.argmax(r.mean(axis=0)))
    block = _block_length(r[:, best] - b)
    spa = SPA(-b, -r, block_size=block, reps=reps, bootstrap="stationary", seed=seed)
    spa.compute()
    pv = spa.pvalues
    superior: list[int] = []
    if stepwise:
        stepm = StepM(-b, -r, size=size, block_size=block, reps=reps, bootstrap="stationary",
                      seed=seed)  # fmt: skip
        stepm.compute()
        superior = sorted(int(i) for i in stepm.superior_models)
    return SnoopingTest(
        reference,
        float(pv["consistent"]),
        float(pv["lower"]),
        float(pv["upper"]),
        superior,
        stepwise,
        r.shape[1],
        block,
        reps,
    )
