"""Deflated Sharpe ratio against the paper's worked example; PBO against a direct CSCV."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from engine.inference.overfitting import (
    deflated_sharpe,
    deflated_sharpe_of_returns,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe,
)
from engine.tuning.windows import Window, block_sums


def test_deflated_sharpe_reproduces_the_papers_numerical_example():
    """Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", numerical example:
    N = 100 independent trials whose annualised Sharpe ratios have variance V = 1/2; the best
    has an annualised SR of 2.5 over T = 1,250 daily observations (5 years of 250 days), with
    skewness -3 and kurtosis 10. Per-period values: SR = 2.5/sqrt(250), V = 0.5/250.
    The paper finds SR0 = 0.1132 (non-annualised) and DSR = 0.9004."""
    result = deflated_sharpe(
        sharpe=2.5 / math.sqrt(250),
        n_obs=1250,
        n_trials=100,
        sr_variance=0.5 / 250,
        skew=-3.0,
        kurtosis=10.0,
    )
    assert result.sr0 == pytest.approx(0.1132, abs=5e-5)
    assert result.probability == pytest.approx(0.9004, abs=5e-5)


def test_expected_maximum_matches_a_monte_carlo_of_independent_trials():
    """The closed form approximates E[max] of N normal Sharpe estimates to about 1%."""
    rng = np.random.default_rng(0)
    sigma = 0.3
    for n in (100, 1000):
        simulated = rng.normal(0.0, sigma, size=(4000, n)).max(axis=1).mean()
        assert expected_max_sharpe(n, sigma**2) == pytest.approx(simulated, rel=0.015)
    assert expected_max_sharpe(1, 1.0) == 0.0  # nothing was selected


def test_probabilistic_sharpe_is_one_half_at_the_benchmark_and_grows_with_length():
    assert probabilistic_sharpe(0.1, 0.1, 500, 0.0, 3.0)[1] == pytest.approx(0.5)
    short = probabilistic_sharpe(0.1, 0.0, 100, 0.0, 3.0)[1]
    long = probabilistic_sharpe(0.1, 0.0, 1000, 0.0, 3.0)[1]
    assert 0.5 < short < long < 1.0
    # normal returns: the SR estimate's standard error is sqrt((1 + SR^2/2) / (T - 1))
    z = 0.1 / math.sqrt((1 + 0.1**2 / 2) / 99)
    assert short == pytest.approx(stats.norm.cdf(z), rel=1e-12)
    # negative skew and fat tails widen the error, so they lower the probability
    assert probabilistic_sharpe(0.1, 0.0, 100, -2.0, 9.0)[1] < short


def test_deflated_sharpe_from_returns_uses_their_moments():
    rng = np.random.default_rng(3)
    returns = rng.standard_t(4, size=2000) * 0.01 + 0.0006
    trials = rng.normal(0.02, 0.01, size=50)
    result = deflated_sharpe_of_returns(returns, trials, n_trials=50)
    sr = returns.mean() / returns.std(ddof=1)
    assert result.sharpe == pytest.approx(sr, rel=1e-12)
    assert result.kurtosis == pytest.approx(stats.kurtosis(returns, fisher=False, bias=False))
    assert result.skew == pytest.approx(stats.skew(returns, bias=False))
    assert result.sr_variance == pytest.approx(trials.var(ddof=1))
    assert result.sr0 == pytest.approx(expected_max_sharpe(50, trials.var(ddof=1)))
    single = deflated_sharpe_of_returns(returns, trials, n_trials=1)
    assert single.sr0 == 0.0 and single.probability > result.probability


def _direct_cscv(matrix: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """CSCV on the returns matrix itself (sessions x trials), as the paper describes it."""
    s = len(edges) - 1
    pieces = [matrix[edges[b] : edges[b + 1]] for b in range(s)]
    n = matrix.shape[1]
    logits = []
    for chosen in itertools.combinations(range(s), s // 2):
        inside = np.vstack([pieces[b] for b in chosen])
        outside = np.vstack([pieces[b] for b in range(s) if b not in chosen])
        sr_in = inside.mean(axis=0) / inside.std(axis=0, ddof=1)
        sr_out = outside.mean(axis=0) / outside.std(axis=0, ddof=1)
        best = int(np.argmax(sr_in))
        omega = stats.rankdata(sr_out)[best] / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
    return np.array(logits)


def _blocks_of(matrix: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray, Window]:
    window = Window.of(0, matrix.shape[0], blocks)  # returns are sessions 1..T
    padded = np.vstack([np.zeros(matrix.shape[1]), matrix])
    sums = np.stack([block_sums(padded[:, j], window) for j in range(matrix.shape[1])])
    return sums, window.block_counts(), window


def test_pbo_from_block_sums_equals_cscv_on_the_returns_matrix():
    rng = np.random.default_rng(11)
    matrix = rng.normal(0.0003, 0.01, size=(400, 12)) + rng.normal(0, 0.0004, size=12)
    sums, counts, window = _blocks_of(matrix, 8)
    result = pbo_cscv(sums, counts)
    expected = _direct_cscv(matrix, window.edges - 1)
    assert result.n_splits == result.total_splits == math.comb(8, 4) == 70
    np.testing.assert_allclose(result.logits, expected, rtol=1e-9, atol=1e-12)
    assert result.pbo == pytest.approx(np.mean(expected <= 0))


def test_pbo_is_near_one_half_for_pure_noise_and_near_zero_for_a_real_edge():
    rng = np.random.default_rng(5)
    noise = rng.normal(0.0, 0.01, size=(3000, 60))
    sums, counts, _ = _blocks_of(noise, 16)
    assert 0.35 < pbo_cscv(sums, counts).pbo < 0.65
    edged = noise.copy()
    edged[:, 7] += 0.004  # one strategy with a daily Sharpe ratio near 0.4
    sums, counts, _ = _blocks_of(edged, 16)
    result = pbo_cscv(sums, counts)
    assert result.pbo < 0.02 and result.prob_oos_loss == 0.0
    assert (result.oos_sharpe > 0.2).all()


def test_pbo_samples_splits_when_asked_and_reports_the_sampling_error():
    rng = np.random.default_rng(8)
    matrix = rng.normal(0.0, 0.01, size=(1200, 30))
    sums, counts, _ = _blocks_of(matrix, 12)
    full = pbo_cscv(sums, counts)
    part = pbo_cscv(sums, counts, max_splits=300, seed=1)
    assert (full.n_splits, part.n_splits) == (924, 300)
    assert full.standard_error == 0.0 and part.standard_error > 0
    assert abs(part.pbo - full.pbo) < 4 * part.standard_error + 1e-9
    with pytest.raises(ValueError, match="even number"):
        pbo_cscv(sums[:, :5], counts[:5])


def _sharpe_in_python(sums: np.ndarray, c: int, picked, counts: np.ndarray, rf: float) -> float:
    """Combination c's per-period SR on the blocks `picked`, added one block at a time in
    Python floats (IEEE doubles, the order the kernels promise)."""
    s1 = s2 = count = 0.0
    for b in picked:
        s1 += float(sums[c, b, 0])
        s2 += float(sums[c, b, 1])
        count += float(counts[b])
    var = (s2 - s1 * s1 / count) / (count - 1.0)
    return (s1 / count - rf) / math.sqrt(var) if var > 0 else math.nan


def test_pbo_kernels_give_exactly_the_sharpe_ratios_of_one_combination_at_a_time():
    """Across more combinations than one tile (1,024), with tied combinations: each split's
    pick, its in- and out-of-sample SRs and its rank are exactly those of adding each
    combination's blocks one at a time, not merely close to them."""
    rng = np.random.default_rng(21)
    matrix = rng.normal(0.0002, 0.01, size=(240, 1030))
    matrix[:, 1000:] = matrix[:, 10:40]  # 30 combinations tied with earlier ones
    sums, counts, _ = _blocks_of(matrix, 6)
    rf = 0.00005
    result = pbo_cscv(sums, counts, rf)
    n = sums.shape[0]
    for k, chosen in enumerate(itertools.combinations(range(6), 3)):
        other = [b for b in range(6) if b not in chosen]
        inside = [_sharpe_in_python(sums, c, chosen, counts, rf) for c in range(n)]
        best = int(np.argmax(inside))  # the first of equal ones
        assert result.is_sharpe[k] == inside[best]
        outside = np.array([_sharpe_in_python(sums, c, other, counts, rf) for c in range(n)])
        assert result.oos_sharpe[k] == outside[best]
        below = int((outside < outside[best]).sum())
        equal = int((outside == outside[best]).sum())
        omega = (below + 1.0 + max(equal - 1, 0) / 2.0) / (n + 1.0)
        assert result.logits[k] == math.log(omega / (1.0 - omega))
