"""The plain verdict of a finding, by rules stated once here and printed in every report.

The press rarely says how sure it is, so the verdict asks the data the narrowest question the
claim implies: does the direction hold, and is it distinguishable from the base rate?
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.claim_checks.result import Finding

SUPPORTED = "supported"  # a predictive claim holds, or a quoted share fits the interval
NOT_SUPPORTED = "not supported"
REPRODUCED = "reproduced"  # a quoted fact (a streak length, an RSI value) is in the data
NOT_REPRODUCED = "not reproduced"
TOO_FEW = "too few cases to tell"
DESCRIPTIVE = "descriptive"  # no direction or value is claimed: the numbers are shown as is


@dataclass(frozen=True)
class Rules:
    min_n: int = 10
    confidence: float = 0.95

    def describe(self) -> list[str]:
        level = f"{self.confidence:.0%}"
        return [
            f"'{TOO_FEW}' when a statistic rests on fewer than {self.min_n} cases (events, or "
            "years); the minimum is `stats.min_n`.",
            "A conditional claim ('after X, Y') compares the cases after the signal with the "
            "complementary cases (the other years or sessions), never with a rate that "
            "contains them: k of n after the signal against j of m otherwise (Fisher's exact "
            "test, Newcombe interval of the difference), or a difference of means (permutation "
            "test, bootstrap interval; for overlapping daily windows a circular-shift test and "
            "a block bootstrap).",
            f"A claimed direction is a one-sided claim, so it gets a one-sided test at "
            f"{1 - self.confidence:.0%} and the matching one-sided {level} interval (the bound "
            f"on the claimed side; the other side open). It is '{SUPPORTED}' when the estimate "
            "lies on the claimed side, the one-sided interval of the difference excludes 0 (for "
            "a share against an external rate: the exact binomial interval excludes it) and "
            f"the one-sided p-value is below {1 - self.confidence:.2g}. Otherwise "
            f"'{NOT_SUPPORTED}'. A statistic with no claimed direction gets two-sided ones.",
            "The default convention is the pre-stated primary test and gives the verdict. The "
            "other conventions of the sensitivity table form a family: their p-values are "
            "corrected by Holm's method (valid however the conventions overlap), 'supported "
            "under k of N conventions' counts only those that survive the correction, and both "
            "the primary p-value and the adjusted one are printed.",
            f"A quoted share (e.g. 'about 54%') is '{SUPPORTED}' when the {level} interval "
            "contains it; with few cases that interval is wide, so read its width.",
            f"A quoted fact (a streak length, a year, a spread: one value, n = 1) is "
            f"'{REPRODUCED}' when the data give the same value within the stated tolerance (or, "
            f"for 'at most' / 'at least', on the stated side), else '{NOT_REPRODUCED}'. A "
            "reproduced fact says the press read the data right, not that anything follows "
            f"from it; only a predictive claim (a direction against a base rate) is "
            f"'{SUPPORTED}'.",
            f"'{DESCRIPTIVE}': the claim states no direction for this statistic; it is shown "
            "for context.",
        ]


def fmt(value: float | None, unit: str, decimals: int = 1) -> str:
    """A value in its unit: shares and returns in percent, years as integers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("share", "return"):
        return f"{value * 100:.{decimals}f}%"
    if unit == "year":
        return f"{int(value)}"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


def interval_text(f: Finding, rules: Rules) -> str:
    """The interval in words: one-sided intervals give only their bound."""
    lo, hi = f.interval
    unit = "return" if f.test == "mean_difference" else f.unit
    what = " of the difference" if f.two_sample else ""
    level = f"{rules.confidence:.0%}"
    if f.one_sided and f.test != "fact" and f.direction == "above_base":
        return f"one-sided {level} interval{what}: above {fmt(lo, unit)}"
    if f.one_sided and f.test != "fact":
        return f"one-sided {level} interval{what}: below {fmt(hi, unit)}"
    return f"{level} interval{what} {fmt(lo, unit)} to {fmt(hi, unit)}"


def _judge_fact(f: Finding) -> tuple[str, str]:
    if f.claimed is None:
        return DESCRIPTIVE, "no value is quoted"
    if math.isnan(f.value):
        return NOT_REPRODUCED, "the data give no value"
    ok = bool(f.quote_reproduced)
    verdict = REPRODUCED if ok else NOT_REPRODUCED
    got, said = fmt(f.value, f.unit, 2), fmt(f.claimed, f.unit, 2)
    if f.direction == "at_most":
        return verdict, f"{got} is {'' if ok else 'not '}<= {said}"
    if f.direction == "at_least":
        return verdict, f"{got} is {'' if ok else 'not '}>= {said}"
    tol = fmt(f.tolerance, f.unit, 2)
    return verdict, f"{got} vs quoted {said} (tolerance {tol}): {'within' if ok else 'outside'}"


def _judge_test(f: Finding, rules: Rules) -> tuple[str, str]:
    if f.n < rules.min_n:
        return TOO_FEW, f"n = {f.n} < {rules.min_n} (the minimum, stats.min_n)"
    if f.test == "mean_difference" and f.base_n < 2:
        return TOO_FEW, f"only {f.base_n} case(s) to compare with"
    if f.direction == "none":
        return DESCRIPTIVE, "no direction is claimed"
    lo, hi = f.interval
    if math.isnan(lo) or math.isnan(hi):
        return NOT_SUPPORTED, "no interval could be computed"
    text = interval_text(f, rules)
    if f.direction == "equals":
        target = f.claimed if f.claimed is not None else math.nan
        ok = lo <= target <= hi
        said = fmt(target, f.unit)
        return (SUPPORTED if ok else NOT_SUPPORTED), (
            f"the {text} {'contains' if ok else 'excludes'} the quoted {said}"
        )
    # Two samples are compared by their difference (against 0); a share alone with the rate.
    one_rate = f.test == "proportion" and not f.two_sample
    ref = f.base if one_rate else 0.0
    est = f.value if one_rate else f.difference
    what = f"the base rate {fmt(f.base, f.unit)}" if one_rate else "0"
    above = f.direction == "above_base"
    right_side = est > ref if above else est < ref
    excludes = lo > ref if above else hi < ref
    side = "above" if above else "below"
    alpha = 1.0 - rules.confidence
    if not right_side:
        return NOT_SUPPORTED, f"the estimate is not {side} {what}"
    if not excludes:
        return NOT_SUPPORTED, f"the {text} includes {what}"
    if not math.isnan(f.p_value) and f.p_value >= alpha:
        return NOT_SUPPORTED, (
            f"the {text} excludes {what}, but the one-sided p = {f.p_value:.3f} is not below "
            f"{alpha:.2g} (the test and the interval differ in method; both must agree)"
        )
    return SUPPORTED, f"the estimate is {side} {what} and the {text} excludes it"


def judge(f: Finding, rules: Rules) -> Finding:
    """`f` with its verdict and the reason, by the rules above."""
    verdict, reason = _judge_fact(f) if f.test == "fact" else _judge_test(f, rules)
    return f.judged(verdict, reason)
