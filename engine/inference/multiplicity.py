"""Many tests, one answer: family-wise corrections of p-values (statsmodels.stats.multitest).

Holm's step-down correction controls the chance of any false "supported" in a family under any
dependence between the tests, which the conventions of a claim's sensitivity table share (they
recompute the same years under other windows, anchors and outcomes). Benjamini-Hochberg, which
controls the expected share of false discoveries instead, is offered for long lists where that
is the question. NaN p-values (a test that could not be run) are left out of the family and stay
NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

__all__ = ["benjamini_hochberg", "holm"]


def _adjusted(pvalues: Sequence[float], method: str) -> np.ndarray:
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values, same order as given (NaN stays NaN and is not counted)."""
    return _adjusted(pvalues, "holm")


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), same order as given."""
    return _adjusted(pvalues, "fdr_bh")
