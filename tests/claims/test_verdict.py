"""The verdict rules, case by case."""

from __future__ import annotations

import math

import pytest

from engine.claim_checks.result import Finding
from engine.claim_checks.verdict import Rules, judge

RULES = Rules(min_n=10, confidence=0.95)


def share(n: int, hits: int, base: float, interval: tuple[float, float], **kw) -> Finding:
    return Finding(
        key="k",
        label="l",
        test="proportion",
        direction=kw.pop("direction", "above_base"),
        unit="share",
        n=n,
        hits=hits,
        value=hits / n,
        base=base,
        base_n=50,
        interval=interval,
        **kw,
    )


def mean(value: float, base: float, interval: tuple[float, float], n: int = 20, **kw) -> Finding:
    return Finding(
        key="m",
        label="l",
        test="mean_difference",
        direction=kw.pop("direction", "above_base"),
        unit="return",
        n=n,
        value=value,
        base=base,
        base_n=kw.pop("base_n", 40),
        interval=interval,
    )


@pytest.mark.parametrize(
    ("finding", "verdict"),
    [
        (share(9, 9, 0.5, (0.66, 1.0)), "too few cases to tell"),
        (share(20, 18, 0.5, (0.68, 0.99)), "supported"),
        (share(20, 12, 0.5, (0.36, 0.81)), "not supported"),  # interval includes the base
        (share(20, 8, 0.5, (0.19, 0.64)), "not supported"),  # wrong side
        (share(20, 4, 0.5, (0.06, 0.44), direction="below_base"), "supported"),
        (share(20, 11, 0.5, (0.32, 0.77), direction="equals", claimed=0.54), "supported"),
        (share(20, 19, 0.5, (0.75, 1.0), direction="equals", claimed=0.54), "not supported"),
        (share(20, 11, 0.5, (0.32, 0.77), direction="none"), "descriptive"),
        (mean(0.05, 0.01, (0.01, 0.07)), "supported"),
        (mean(0.05, 0.01, (-0.01, 0.09)), "not supported"),
        (mean(0.00, 0.01, (-0.03, -0.001), direction="below_base"), "supported"),
        (mean(0.05, 0.01, (0.01, 0.07), n=4), "too few cases to tell"),
        (mean(0.05, 0.01, (math.nan, math.nan)), "not supported"),
        (mean(0.05, 0.01, (0.01, 0.07), base_n=1), "too few cases to tell"),
    ],
)
def test_tested_findings(finding, verdict):
    assert judge(finding, RULES).verdict == verdict


def fact(value: float, claimed: float | None, direction: str = "equals", tol: float = 0.0):
    return Finding(
        key="f",
        label="l",
        test="fact",
        direction=direction,  # type: ignore[arg-type]
        unit="number",
        n=1,
        value=value,
        claimed=claimed,
        tolerance=tol,
    )


@pytest.mark.parametrize(
    ("finding", "verdict"),
    [
        (fact(14, 14), "reproduced"),
        (fact(13, 14), "not reproduced"),
        (fact(71.18, 71, tol=1.0), "reproduced"),
        (fact(72.5, 71, tol=1.0), "not reproduced"),
        (fact(1996, 2008, "at_most"), "reproduced"),
        (fact(2010, 2008, "at_most"), "not reproduced"),
        (fact(5, 4, "at_least"), "reproduced"),
        (fact(5, None), "descriptive"),
        (fact(math.nan, 3), "not reproduced"),
    ],
)
def test_facts(finding, verdict):
    assert judge(finding, RULES).verdict == verdict  # facts need no minimum n


def test_two_kinds_of_yes_are_labelled_apart():
    """A reproduced fact and a predictive claim that holds never read the same."""
    reproduced = judge(fact(14, 14), RULES)
    assert reproduced.claim_type == "quoted fact"
    assert reproduced.verdict_label == "reproduced (the quoted fact is in the data)"
    holds = judge(share(20, 18, 0.5, (0.68, 0.99)), RULES)
    assert holds.claim_type == "predictive claim"
    assert holds.verdict_label == "supported (the predictive claim holds)"
    quoted = judge(share(20, 11, 0.5, (0.32, 0.77), direction="equals", claimed=0.54), RULES)
    assert quoted.verdict_label == "supported (the quoted share is within the interval)"
    assert judge(fact(5, None), RULES).verdict_label == "descriptive"


def test_rules_are_stated_with_their_parameters():
    text = " ".join(Rules(min_n=12, confidence=0.9).describe())
    assert "fewer than 12 cases" in text and "90% interval" in text
