"""How much a sweep's best result owes to luck: deflated Sharpe ratio and PBO (CSCV).

Deflated Sharpe ratio (Bailey & López de Prado, 2014): the probability that the selected
combination's true Sharpe ratio exceeds SR0, the Sharpe ratio the best of N trials would show by
luck alone, given the variance of the trials' Sharpe ratios, the track length and the skewness
and kurtosis of the selected returns. All Sharpe ratios here are per period (daily), not
annualised, as in the paper.

Probability of backtest overfitting (Bailey, Borwein, López de Prado & Zhu, 2017) by
combinatorially symmetric cross-validation: the daily returns are cut into S contiguous blocks;
for each way of choosing S/2 blocks as "in-sample" (the rest out-of-sample), the combination with
the best in-sample Sharpe ratio is located and its out-of-sample Sharpe ratio ranked among all
combinations'. PBO is the share of splits where that rank is at or below the median (logit <= 0).
Sharpe ratios of any union of blocks are exact from per-block sums of returns and of squared
returns, so the sweep keeps those (2 x S numbers per combination) instead of return series.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numba
import numpy as np
from numba import prange
from scipy import stats

from engine.stats.returns_nb import per_period_sharpe_from_sums_nb, per_period_sharpe_nb

EULER_GAMMA = 0.5772156649015329
TILE = 1024  # combinations per cache-sized tile in the CSCV kernels


# --------------------------------------------------------------------------- deflated Sharpe


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """E[max SR] of n independent trials with true SR 0 and this variance of estimates."""
    if n_trials <= 1:
        return 0.0
    norm = stats.norm
    return math.sqrt(sr_variance) * (
        (1.0 - EULER_GAMMA) * norm.ppf(1.0 - 1.0 / n_trials)
        + EULER_GAMMA * norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    )


def probabilistic_sharpe(
    sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float
) -> tuple[float, float]:
    """(z, PSR): the probability that the true SR exceeds `benchmark` (kurtosis not excess)."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or not denom > 0 or not math.isfinite(sharpe):
        return float("nan"), float("nan")
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom)
    return z, float(stats.norm.cdf(z))


@dataclass(frozen=True)
class DeflatedSharpe:
    sharpe: float  # selected combination's per-period Sharpe ratio
    sr0: float  # expected maximum per-period SR of n_trials under no skill
    n_trials: int
    n_obs: int
    skew: float
    kurtosis: float  # not excess (normal = 3)
    sr_variance: float  # variance of the trials' per-period Sharpe ratios
    z: float
    probability: float  # the deflated Sharpe ratio


def deflated_sharpe(
    sharpe: float, n_obs: int, n_trials: int, sr_variance: float, skew: float, kurtosis: float
) -> DeflatedSharpe:
    sr0 = expected_max_sharpe(n_trials, sr_variance)
    z, prob = probabilistic_sharpe(sharpe, sr0, n_obs, skew, kurtosis)
    return DeflatedSharpe(sharpe, sr0, n_trials, n_obs, skew, kurtosis, sr_variance, z, prob)


def deflated_sharpe_of_returns(
    returns: np.ndarray, trial_sharpes: np.ndarray | float, n_trials: int, rf_daily: float = 0.0
) -> DeflatedSharpe:
    """DSR of the selected daily returns; `trial_sharpes` are all trials' per-period SRs, or
    their variance (ddof=1, finite ones) when the trials are too many to keep."""
    excess = np.ascontiguousarray(returns, dtype=np.float64) - rf_daily
    sharpe = float(per_period_sharpe_nb(excess, 0.0))
    if isinstance(trial_sharpes, float):
        variance = trial_sharpes
    else:
        finite = trial_sharpes[np.isfinite(trial_sharpes)]
        variance = float(finite.var(ddof=1)) if len(finite) > 1 else 0.0
    skew = float(stats.skew(excess, bias=False))
    kurt = float(stats.kurtosis(excess, fisher=False, bias=False))
    return deflated_sharpe(sharpe, len(excess), n_trials, variance, skew, kurt)


# --------------------------------------------------------------------------- PBO by CSCV


@numba.njit(cache=True)
def _count_of(counts, picked):  # fmt: skip
    """How many returns the blocks `picked` hold."""
    total = 0.0
    for i in range(picked.shape[0]):
        total += counts[picked[i]]
    return total


@numba.njit(cache=True)
def _sharpe_on(sums, squares, c, picked, count, rf):  # fmt: skip
    """Combination c's per-period SR over the blocks `picked` (holding `count` returns), from
    its per-block sums: the one summation every CSCV kernel uses (blocks in `picked` order,
    from 0.0), here for one combination, in `_tile_sharpes` for a tile of them at once."""
    s1 = 0.0
    s2 = 0.0
    for i in range(picked.shape[0]):
        s1 += sums[picked[i], c]
        s2 += squares[picked[i], c]
    return per_period_sharpe_from_sums_nb(s1, s2, count, rf)


@numba.njit(cache=True)
def _tile_sharpes(sums, squares, picked, count, rf, lo, s1, s2, out):  # fmt: skip
    """`_sharpe_on` for combinations lo .. lo + len(out) - 1 into `out`: the same additions in
    the same order for each combination, block by block across the tile, so the compiler runs
    them on several combinations per instruction and each result is bit for bit the same."""
    m = out.shape[0]
    for c in range(m):
        s1[c] = 0.0
        s2[c] = 0.0
    for i in range(picked.shape[0]):
        block = picked[i]
        for c in range(m):
            s1[c] += sums[block, lo + c]
            s2[c] += squares[block, lo + c]
    for c in range(m):
        out[c] = per_period_sharpe_from_sums_nb(s1[c], s2[c], count, rf)


@numba.njit(cache=True, parallel=True)
def _best_in_sample(sums, squares, chosen, counts, rf):  # fmt: skip
    """Per split: the combination with the highest Sharpe ratio on the chosen blocks (the
    first of equal ones)."""
    n, n_splits = sums.shape[1], chosen.shape[0]
    best_value = np.full(n_splits, -np.inf)
    best_index = np.full(n_splits, -1, dtype=np.int64)
    for lo in range(0, n, TILE):
        m = min(n, lo + TILE) - lo
        for k in prange(n_splits):
            s1 = np.empty(m)
            s2 = np.empty(m)
            sr = np.empty(m)
            picked = chosen[k]
            _tile_sharpes(sums, squares, picked, _count_of(counts, picked), rf, lo, s1, s2, sr)
            value = best_value[k]
            index = best_index[k]
            for c in range(m):
                if sr[c] > value:
                    value = sr[c]
                    index = lo + c
            best_value[k] = value
            best_index[k] = index
    return best_index, best_value


@numba.njit(cache=True, parallel=True)
def _rank_out_of_sample(sums, squares, other, counts, rf, threshold):  # fmt: skip
    """Per split: how many combinations have an out-of-sample SR below / equal to threshold."""
    n, n_splits = sums.shape[1], other.shape[0]
    below = np.zeros(n_splits, dtype=np.int64)
    equal = np.zeros(n_splits, dtype=np.int64)
    for lo in range(0, n, TILE):
        m = min(n, lo + TILE) - lo
        for k in prange(n_splits):
            s1 = np.empty(m)
            s2 = np.empty(m)
            sr = np.empty(m)
            picked = other[k]
            _tile_sharpes(sums, squares, picked, _count_of(counts, picked), rf, lo, s1, s2, sr)
            b = 0
            e = 0
            for c in range(m):
                if sr[c] < threshold[k]:
                    b += 1
                elif sr[c] == threshold[k]:
                    e += 1
            below[k] += b
            equal[k] += e
    return below, equal


@numba.njit(cache=True)
def _oos_sharpe_of(sums, squares, other, counts, rf, index):  # fmt: skip
    """The out-of-sample SR of each split's pick, summed exactly as the ranking kernel sums."""
    out = np.empty(index.shape[0])
    for k in range(index.shape[0]):
        c = index[k]
        if c < 0:  # every in-sample SR was undefined
            out[k] = np.nan
            continue
        out[k] = _sharpe_on(sums, squares, c, other[k], _count_of(counts, other[k]), rf)
    return out


@dataclass(frozen=True)
class PBOResult:
    pbo: float  # share of splits whose in-sample best ranks at or below the OOS median
    n_splits: int  # splits evaluated
    total_splits: int  # C(S, S/2)
    blocks: int
    logits: np.ndarray  # one per split
    is_sharpe: np.ndarray  # per split: the in-sample best's in-sample SR (per period)
    oos_sharpe: np.ndarray  # per split: its out-of-sample SR (per period)
    prob_oos_loss: float  # share of splits where that out-of-sample SR is below 0

    @property
    def standard_error(self) -> float:
        """Sampling error when the splits are a random subset (0 when all were used)."""
        if self.n_splits >= self.total_splits:
            return 0.0
        return math.sqrt(self.pbo * (1.0 - self.pbo) / self.n_splits)


def split_budget(n_combos: int, total: int, work: float = 1e7) -> int:
    """Splits to evaluate: all of them, unless that exceeds ~`work` combination-splits (about
    0.1 s on two cores). Past that a random subset is drawn, at least 500 splits, and its
    standard error is reported: 1,000 splits of a 10,000-combination sweep estimate PBO
    within about +-0.016."""
    return int(min(total, max(500, work // max(1, n_combos))))


def pbo_cscv(
    blocks: np.ndarray,
    counts: np.ndarray,
    rf_daily: float = 0.0,
    max_splits: int | None = None,
    seed: int = 0,
) -> PBOResult:
    """PBO from per-block sums (n_combos, S, 2) and the number of returns in each block."""
    n, s = blocks.shape[0], blocks.shape[1]
    if s < 2 or s % 2:
        raise ValueError(f"CSCV needs an even number of blocks (>= 2), got {s}")
    if n < 2:
        raise ValueError("CSCV needs at least two combinations")
    every = list(itertools.combinations(range(s), s // 2))
    budget = split_budget(n, len(every)) if max_splits is None else max_splits
    if budget < len(every):
        pick = np.sort(np.random.default_rng(seed).choice(len(every), budget, replace=False))
        every = [every[i] for i in pick]
    chosen = np.array(every, dtype=np.int64)
    other = np.array([sorted(set(range(s)) - set(c)) for c in every], dtype=np.int64)
    # block by combination, so a tile's combinations lie side by side for each block
    sums = np.ascontiguousarray(blocks[:, :, 0].T, dtype=np.float64)
    squares = np.ascontiguousarray(blocks[:, :, 1].T, dtype=np.float64)
    counts = np.ascontiguousarray(counts, dtype=np.float64)
    rf = float(rf_daily)
    best_index, best_is = _best_in_sample(sums, squares, chosen, counts, rf)
    threshold = _oos_sharpe_of(sums, squares, other, counts, rf, best_index)
    below, equal = _rank_out_of_sample(sums, squares, other, counts, rf, threshold)
    # rank in 1..n of the best's OOS SR (ties share the middle rank), relative rank in (0, 1)
    rank = below + 1.0 + (equal - 1).clip(min=0) / 2.0
    omega = rank / (n + 1.0)
    logits = np.log(omega / (1.0 - omega))
    total = math.comb(s, s // 2)
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        n_splits=len(every),
        total_splits=total,
        blocks=s,
        logits=logits,
        is_sharpe=best_is,
        oos_sharpe=threshold,
        prob_oos_loss=float(np.mean(threshold < 0)),
    )
