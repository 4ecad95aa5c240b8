"""Did the best of many rules beat the benchmark once the search is accounted for?

Hansen's (2005) test of Superior Predictive Ability asks whether any of the combinations a sweep
tried beats the benchmark, allowing for the number tried and for how alike they are; its p-value
is that of the best combination after the search. Romano & Wolf's (2005) stepwise multiple test
(StepM) names the combinations that beat it, with the family-wise error rate controlled. Both
come from `arch.bootstrap` (`SPA`, `StepM`), on daily returns turned into losses (minus the
return), with the stationary bootstrap (Politis & Romano) whose mean block length is arch's
`optimal_block_length` of the best combination's returns in excess of the benchmark, so the
volatility clusters of daily returns are kept.

arch's SPA spends its time in two loops written for generality: the studentising variance
(Politis & Romano's 1994 stationary-bootstrap variance, a Python loop over every lag: about
T^2 K operations, 9 s for 100 combinations of 6,600 sessions) and the resampled means (each
replicate gathers a T x K copy of the losses). `StationarySPA` computes the same two
quantities in O(T log T K) and O(T K / block) and leaves everything else (which columns are
recentred, the three p-values, the critical values StepM steps down with) to arch. Its
p-values equal arch's own (tests/inference check it on sweeps' returns): same formula, same
bootstrap draws from the same seed, sums taken in another order (differences of 1e-15).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
from arch.bootstrap import SPA, StationaryBootstrap, StepM, optimal_block_length

__all__ = ["SnoopingTest", "StationarySPA", "snooping_test"]

MIN_BLOCK = 5
_BATCH = 100  # bootstrap replicates whose indices are held at once (100 x T int64)


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


def lag_sums(demeaned: np.ndarray) -> np.ndarray:
    """sum_s d[s] d[s + i] for every lag i = 0..T-1 (rows) and column, by FFT (Wiener-Khinchin),
    zero-padded to at least 2T - 1 so the products do not wrap around."""
    from scipy import fft

    t = demeaned.shape[0]
    size = fft.next_fast_len(2 * t - 1, real=True)
    spectrum = fft.rfft(np.ascontiguousarray(demeaned.T), size)  # one column after another
    return fft.irfft(spectrum.real**2 + spectrum.imag**2, size)[:, :t].T


def stationary_variance(demeaned: np.ndarray, block_size: float) -> np.ndarray:
    """Politis & Romano's (1994) stationary-bootstrap variance of each column's mean times T:
    gamma_0 + 2 sum_i kappa_i gamma_i, kappa_i = (1 - i/T)(1 - p)^i + (i/T)(1 - p)^(T - i),
    p = 1 / block size; the formula and scaling of arch's `SPA._compute_variance`."""
    t = demeaned.shape[0]
    p = 1.0 / block_size
    gamma = lag_sums(demeaned) / t
    lags = np.arange(1, t)
    kappa = (1.0 - lags / t) * (1.0 - p) ** lags + (lags / t) * (1.0 - p) ** (t - lags)
    return gamma[0] + 2.0 * (kappa @ gamma[1:])


@numba.njit(cache=True)
def _run_means(prefix: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Each replicate's column means from prefix sums (prefix[0] = 0): a stationary-bootstrap
    replicate is runs of consecutive sessions, each run's total is one difference of prefixes."""
    reps, t = indices.shape
    k = prefix.shape[1]
    out = np.zeros((reps, k))
    for r in range(reps):
        start = indices[r, 0]
        last = start
        for s in range(1, t + 1):
            if s < t and indices[r, s] == last + 1:
                last += 1
                continue
            for j in range(k):
                out[r, j] += prefix[last + 1, j] - prefix[start, j]
            if s < t:
                start = indices[r, s]
                last = start
        for j in range(k):
            out[r, j] /= t
    return out


class StationarySPA(SPA):
    """arch's studentised SPA with the stationary bootstrap, its variance and resampled means
    computed faster (see the module docstring); any other setting runs arch's own code."""

    def _fast(self) -> bool:
        return isinstance(self.bootstrap, StationaryBootstrap) and not self.nested

    def _compute_variance(self) -> None:
        if not self._fast():
            super()._compute_variance()
            return
        demeaned = self._loss_diff - self._loss_diff.mean(axis=0)
        self._loss_diff_var = stationary_variance(demeaned, self.block_size)

    def _simulate_values(self) -> None:
        """As arch's: each replicate's mean loss differential minus the three recentring
        means (lower, consistent, upper), with the same draws of the same generator."""
        if not self._fast():
            super()._simulate_values()
            return
        self._compute_variance()
        self._valid_columns = self._check_column_validity()
        upper = self._loss_diff.mean(0)
        consistent = np.where(self._valid_columns, upper, 0.0)
        lower = np.maximum(upper, 0.0)
        prefix = np.zeros((self.t + 1, self.k))
        np.cumsum(self._loss_diff, axis=0, out=prefix[1:])
        means = np.empty((self.reps, self.k))
        indices = np.empty((min(_BATCH, self.reps), self.t), dtype=np.int64)
        for first in range(0, self.reps, _BATCH):
            count = min(_BATCH, self.reps - first)
            for i in range(count):
                indices[i] = self.bootstrap.update_indices()
            means[first : first + count] = _run_means(prefix, indices[:count])
        simulated = np.empty((self.k, self.reps, 3))
        for j, mean in enumerate((lower, consistent, upper)):
            simulated[:, :, j] = (means - mean).T
        self._simulated_vals = simulated


def _block_length(excess: np.ndarray) -> int:
    finite = excess[np.isfinite(excess)]
    if len(finite) < 20 or np.std(finite) == 0:
        return MIN_BLOCK
    optimal = float(optimal_block_length(finite)["stationary"].iloc[0])
    return max(MIN_BLOCK, math.ceil(optimal)) if math.isfinite(optimal) else MIN_BLOCK


def _superior(spa: StationarySPA, size: float) -> list[int]:
    """Romano-Wolf's StepM, arch's own step-down (`StepM.compute`), on `spa`: arch's StepM
    builds the same SPA from the same arguments and seed, so `spa` replaces the one it builds
    (never computed) and the replicates are drawn once for both tests."""
    stepm = StepM(spa.benchmark, spa.models, size=size, block_size=spa.block_size, reps=spa.reps,
                  bootstrap="stationary", seed=0)  # fmt: skip
    stepm.spa = spa
    stepm.bootstrap = spa.bootstrap
    stepm.compute()
    return sorted(int(i) for i in stepm.superior_models)


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
    are left out. Cost: T K log T for the variance, T K / block per bootstrap replicate."""
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
    spa = StationarySPA(-b, -r, block_size=block, reps=reps, bootstrap="stationary", seed=seed)
    spa.compute()
    pv = spa.pvalues
    superior = _superior(spa, size) if stepwise else []
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
