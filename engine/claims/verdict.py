"""The plain verdict of a finding, by rules stated once here and printed in every report.

The press rarely says how sure it is, so the verdict asks the data the narrowest question the
claim implies: does the direction hold, and is it distinguishable from the base rate?
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.claims.result import Finding

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
            f"A claimed direction (events above or below the base rate) is '{SUPPORTED}' when "
            f"the estimate lies on the claimed side of the base and the {level} interval "
            "excludes the base: for a share, the exact binomial interval excludes the base "
            "rate; for a difference of means, the bootstrap interval of the difference "
            f"excludes 0. Otherwise '{NOT_SUPPORTED}'. The one-sided p-value is shown too.",
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


def _interval_text(f: Finding, rules: Rules) -> str:
    lo, hi = f.interval
    unit = "return" if f.test == "mean_difference" else f.unit
    return f"{rules.confidence:.0%} interval {fmt(lo, unit)} to {fmt(hi, unit)}"


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
    text = _interval_text(f, rules)
    if f.direction == "equals":
        target = f.claimed if f.claimed is not None else math.nan
        ok = lo <= target <= hi
        said = fmt(target, f.unit)
        return (SUPPORTED if ok else NOT_SUPPORTED), (
            f"the {text} {'contains' if ok else 'excludes'} the quoted {said}"
        )
    # Proportions are compared with the base rate, differences of means with 0.
    ref = f.base if f.test == "proportion" else 0.0
    est = f.value if f.test == "proportion" else f.difference
    what = f"the base rate {fmt(f.base, f.unit)}" if f.test == "proportion" else "0"
    above = f.direction == "above_base"
    right_side = est > ref if above else est < ref
    excludes = lo > ref if above else hi < ref
    side = "above" if above else "below"
    if not right_side:
        return NOT_SUPPORTED, f"the estimate is not {side} {what}"
    if not excludes:
        return NOT_SUPPORTED, f"the {text} includes {what}"
    return SUPPORTED, f"the estimate is {side} {what} and the {text} excludes it"


def judge(f: Finding, rules: Rules) -> Finding:
    """`f` with its verdict and the reason, by the rules above."""
    verdict, reason = _judge_fact(f) if f.test == "fact" else _judge_test(f, rules)
    return f.judged(verdict, reason)
