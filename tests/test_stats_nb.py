"""The statistics kernels' forms agree with each other and with independent computations:
rolling = the 1-d statistic on each window (and pandas' rolling formulas), running sums = the
1-d Sharpe ratio, 2-d = column by column, beta = numpy's covariance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.stats import metrics
from engine.stats import returns_nb as nb

RNG = np.random.default_rng(11)
RETURNS = RNG.normal(0.0004, 0.011, 700)
BENCH = 0.8 * RETURNS + RNG.normal(0.0, 0.006, 700)


def test_periods_per_year_is_the_one_annualisation() -> None:
    assert nb.PERIODS_PER_YEAR == 252
    assert metrics.daily_risk_free(5.0) == pytest.approx(1.05 ** (1 / 252) - 1, rel=1e-15)


def test_rolling_sharpe_is_the_sharpe_of_each_window_and_matches_pandas() -> None:
    window, rf = 63, 0.0001
    rolled = nb.rolling_sharpe_nb(RETURNS, window, rf)
    assert np.isnan(rolled[: window - 1]).all()
    for t in (window - 1, 200, 699):
        assert rolled[t] == nb.sharpe_nb(RETURNS[t - window + 1 : t + 1], rf)
    excess = pd.Series(RETURNS - rf).rolling(window)  # pandas' own rolling mean / std
    reference = (excess.mean() / excess.std(ddof=1) * math.sqrt(252)).to_numpy()
    np.testing.assert_allclose(rolled[window - 1 :], reference[window - 1 :], rtol=1e-9)


def test_sharpe_from_running_sums_equals_the_direct_one() -> None:
    s1, s2 = nb.running_sums_nb(RETURNS, 100, 400)
    assert s1 == pytest.approx(RETURNS[100:400].sum(), rel=1e-12)
    assert s2 == pytest.approx((RETURNS[100:400] ** 2).sum(), rel=1e-12)
    from_sums = nb.per_period_sharpe_from_sums_nb(s1, s2, 300.0, 0.0002)
    direct = nb.per_period_sharpe_nb(RETURNS[100:400], 0.0002)
    assert from_sums == pytest.approx(direct, rel=1e-9)
    assert nb.sharpe_nb(RETURNS, 0.0) == pytest.approx(
        nb.per_period_sharpe_nb(RETURNS, 0.0) * math.sqrt(252), rel=1e-15
    )
    assert math.isnan(nb.per_period_sharpe_from_sums_nb(0.3, 0.09, 1.0, 0.0))  # one return
    # no variance (returns all 0), a negative one (rounding): NaN, never a division error
    assert math.isnan(nb.per_period_sharpe_from_sums_nb(0.0, 0.0, 3.0, 0.0))
    assert math.isnan(nb.per_period_sharpe_from_sums_nb(0.3, 0.02, 3.0, 0.0))


def test_two_dimensional_form_is_column_by_column() -> None:
    table = np.column_stack([RETURNS, BENCH, np.zeros(700)])
    out = nb.per_period_sharpe_2d_nb(table, 0.0)
    assert out[0] == nb.per_period_sharpe_nb(RETURNS, 0.0)
    assert out[1] == nb.per_period_sharpe_nb(BENCH, 0.0)
    assert math.isnan(out[2])  # no variation: undefined, not infinite


def test_beta_and_correlation_kernel_against_numpy_and_rolling() -> None:
    beta, corr = nb.beta_correlation_nb(RETURNS, BENCH)
    cov = np.cov(RETURNS, BENCH, ddof=1)
    assert beta == pytest.approx(cov[0, 1] / cov[1, 1], rel=1e-12)
    assert corr == pytest.approx(np.corrcoef(RETURNS, BENCH)[0, 1], rel=1e-12)
    assert all(math.isnan(v) for v in nb.beta_correlation_nb(RETURNS, np.zeros(700)))
    assert all(math.isnan(v) for v in nb.beta_correlation_nb(RETURNS[:2], BENCH[:2]))
    rolled = nb.rolling_beta_nb(RETURNS, BENCH, 100)
    assert np.isnan(rolled[:99]).all()
    assert rolled[450] == nb.beta_correlation_nb(RETURNS[351:451], BENCH[351:451])[0]


def test_calmar() -> None:
    assert nb.calmar_nb(0.12, -0.3) == pytest.approx(0.4)
    assert math.isnan(nb.calmar_nb(0.12, 0.0))


def test_drawdown_series_matches_pandas_and_the_maximum() -> None:
    equity = np.cumprod(1.0 + RETURNS) * 100.0
    equity[[5, 300]] = np.nan  # a gap neither moves the peak nor hides later falls
    series = pd.Series(equity)
    reference = (series / series.cummax() - 1.0).to_numpy()
    np.testing.assert_array_equal(nb.drawdown_nb(equity), reference)
    clean = equity[~np.isnan(equity)]
    assert nb.drawdown_nb(clean).min() == nb.max_drawdown_nb(clean)


def test_returns_with_block_sums_equal_returns_then_running_sums_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    for bounds in ([1, 700], [1, 50, 51, 300, 700], [3, 90, 400], [1, 2]):
        equity = np.cumprod(1.0 + rng.normal(3e-4, 0.012, 700)) * 1e4
        edges = np.array(bounds, dtype=np.int64)
        out, sums = np.full(700, -9.0), np.zeros((len(edges) - 1, 2))
        nb.returns_block_sums_nb(equity, out, edges, sums)
        expected = np.empty(700)
        nb.returns_nb(equity, expected)
        np.testing.assert_array_equal(out, expected)
        for b in range(len(edges) - 1):
            assert tuple(sums[b]) == nb.running_sums_nb(expected, edges[b], edges[b + 1])


def test_max_drawdown_equals_the_deepest_point_of_the_drawdown_series() -> None:
    """Dividing only where a new low is possible gives the quotient dividing everywhere does:
    random walks, flat stretches, a wipe-out to zero, gaps, a negative path."""
    rng = np.random.default_rng(5)
    paths = [np.cumprod(1.0 + rng.normal(m, s, 2000)) * 100.0
             for m, s in [(5e-4, 0.01), (-2e-4, 0.02), (0.0, 1e-9), (1e-3, 0.05)]]  # fmt: skip
    flat = np.repeat(paths[0][::50], 50)
    wiped = paths[1].copy()
    wiped[1500:] = 0.0
    gaps = paths[0].copy()
    gaps[[10, 900]] = np.nan
    for path in [*paths, flat, wiped, gaps, -paths[0], np.array([5.0]), np.array([])]:
        expected = np.nanmin(nb.drawdown_nb(path), initial=0.0) if len(path) else 0.0
        assert nb.max_drawdown_nb(path) == min(expected, 0.0)
