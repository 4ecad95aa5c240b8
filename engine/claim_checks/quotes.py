"""A figure the press quoted, set beside the data's and tested as its finding is.

"k of n" is reproduced when the data give exactly k of n, "about x%" when the data's share is
within a tolerance, "18% vs 12%" when both means are; where it can be, the quote itself is
tested by the finding's own test (would the quoted figure beat the comparison?).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.claim_checks.definitions import StatsSettings
from engine.claim_checks.result import Finding
from engine.inference import proportions
from engine.inference import significance as stats
from engine.inference.significance import Direction


def quoted_count_test(f: Finding, hits: int, n: int, text: str) -> Finding:
    """A share quoted as "k of n": reproduced when the data give exactly k of n; the quote
    itself is tested as the finding is: against the complementary count (Fisher's exact,
    one-sided) for a two-sample finding, else against the base rate (exact binomial)."""
    direction: Direction = (
        f.direction if f.direction in ("above_base", "below_base") else "above_base"
    )
    if f.base_hits is not None:
        p = proportions.fisher_p(hits, n, f.base_hits, f.base_n, direction)
        against = (
            f"Fisher's exact test of {hits} of {n} against {f.base_hits} of {f.base_n} otherwise"
        )
    else:
        p = stats.binomial_p(hits, n, f.base, direction)
        against = f"exact binomial test of {hits} of {n} against the base rate"
    return replace(
        f,
        claimed=hits / n,
        claimed_text=text,
        quoted=(float(hits), float(n)),
        observed=(float(f.hits or 0), float(f.n)),
        quote_tolerance=0.0,
        quote_p=p,
        quote_p_method=f"{against}, one-sided",
    )


def quoted_share(f: Finding, share: float, tolerance: float) -> Finding:
    """A share quoted as "about x%": reproduced when the data's share is within `tolerance`."""
    return replace(f, quoted=(share,), observed=(f.value,), quote_tolerance=tolerance)


def quoted_mean_test(
    f: Finding,
    quoted: tuple[float, float],
    observed: tuple[float, float],
    text: str,
    events: np.ndarray,
    others: np.ndarray,
    settings: StatsSettings,
    seed_key: str,
    tolerance: float = 0.005,
) -> Finding:
    """Two means quoted for the signal years (leader's and laggard's, e.g. "18% vs 12%"):
    reproduced when both are within `tolerance` (a whole-percent quote: half a point). The
    quote is tested by the same permutation test as the finding, with the signal years'
    values shifted so that their mean is the quoted spread."""
    events = np.asarray(events, dtype=float)
    direction: Direction = (
        f.direction if f.direction in ("above_base", "below_base") else "above_base"
    )
    shift = (quoted[0] - quoted[1]) - (float(np.mean(events)) if len(events) else 0.0)
    rng = stats.generator(settings.seed, seed_key, "quoted-permutation")
    p = stats.permutation_p(
        events + shift, np.asarray(others, float), direction, rng, settings.n_resamples
    )
    return replace(
        f,
        claimed_text=text,
        quoted=quoted,
        observed=observed,
        quote_tolerance=tolerance,
        quote_p=p,
        quote_p_method=f"permutation test of the difference of means, one-sided, the "
        f"{len(events)} signal years' spreads shifted to the quoted mean "
        f"({(quoted[0] - quoted[1]) * 100:+.1f} points)",
    )
