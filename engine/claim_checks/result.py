"""What a claim check produces: findings (one tested statement each) and the tables behind them.

A `Finding` is one statistic with its sample size, base rate, interval, p-value and verdict; a
`ClaimResult` gathers a claim's findings with every event (one row per year, streak or cross),
its extra tables, the sensitivity table across conventions and the caveats to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

import pandas as pd

from engine.data.model import MarketData
from engine.inference.significance import Direction

Test = Literal["proportion", "mean_difference", "fact"]
ClaimType = Literal["quoted fact", "quoted share", "predictive claim", "descriptive"]
Unit = Literal["share", "return", "number", "year"]


@dataclass(frozen=True)
class Finding:
    """One tested statement.

    proportion: `value` = hits / n, `interval` = exact binomial interval of that share, `base` =
    the base rate it is compared with (over `base_n` cases).
    With `base_hits` set, a proportion is a two-sample comparison: `hits` of `n` after the
    signal against `base_hits` of `base_n` otherwise (`base` = their share), and `interval` is
    the interval of the difference value - base.
    mean_difference: `value` = mean over the n events, `base` = mean over the `base_n` cases
    compared with, `interval` = interval of value - base.
    A one-sided claim's interval is one-sided: the bound on the other side is the statistic's
    limit (infinite for a difference of means).
    `p_adjusted`: the p-value corrected for the `family` conventions of the sensitivity table
    (Holm), NaN when the finding is tested under one convention only.
    fact: `value` = what the data say, `claimed` = what the press said (`tolerance` apart at
    most to count as the same); `base` may hold context (e.g. how often such a value occurs).
    """

    key: str
    label: str  # what is measured, in words
    test: Test
    direction: Direction  # what the claim says about value vs base
    unit: Unit
    n: int
    value: float
    base: float = math.nan
    base_n: int = 0
    base_label: str = ""
    base_unit: Unit = "share"  # the unit of `base` for a fact (a share, or e.g. a count)
    hits: int | None = None
    base_hits: int | None = None  # two-sample proportion: the count in the complement
    interval: tuple[float, float] = (math.nan, math.nan)
    interval_method: str = ""
    p_value: float = math.nan
    p_method: str = ""
    p_adjusted: float = math.nan
    family: int = 0  # conventions in the correction family (0: none)
    dependence: str = ""  # how overlapping windows are handled, in words
    claimed: float | None = None
    claimed_text: str = ""
    tolerance: float = 0.0
    detail: str = ""  # extra context, one sentence
    excluded: int = 0  # events left out (e.g. forward window past the data)
    # The quoted figures (e.g. 9 and 10 of "9 of 10", or 18% and 12%) and the same figures in
    # the data; the quote is reproduced when each is at most `quote_tolerance` apart.
    quoted: tuple[float, ...] = ()
    observed: tuple[float, ...] = ()
    quote_tolerance: float = 0.0
    # Would the quoted figure itself beat the base rate? The test of the quote, one-sided.
    quote_p: float = math.nan
    quote_p_method: str = ""
    verdict: str = ""
    reason: str = ""
    answer: str = ""  # the headline's sentence about this finding, if it has one

    @property
    def difference(self) -> float:
        return self.value - self.base

    @property
    def two_sample(self) -> bool:
        """Compared with the complementary cases (a difference), not with a fixed value."""
        return self.test == "mean_difference" or self.base_hits is not None

    @property
    def one_sided(self) -> bool:
        return self.direction in ("above_base", "below_base")

    @property
    def claim_type(self) -> ClaimType:
        """What a 'yes' would mean: a quoted fact reproduced, a quoted share consistent with the
        data, a predictive claim that holds, or nothing claimed (descriptive)."""
        if self.test == "fact":
            return "quoted fact" if self.claimed is not None else "descriptive"
        if self.direction == "equals":
            return "quoted share"
        return "descriptive" if self.direction == "none" else "predictive claim"

    @property
    def quote_reproduced(self) -> bool | None:
        """Do the data give the quoted figure (None: nothing quoted)?"""
        if self.test == "fact":
            if self.claimed is None or math.isnan(self.value):
                return None if self.claimed is None else False
            if self.direction == "at_most":
                return self.value <= self.claimed
            if self.direction == "at_least":
                return self.value >= self.claimed
            return abs(self.value - self.claimed) <= self.tolerance + 1e-12
        if not self.quoted:
            return None
        return all(
            not math.isnan(o) and abs(o - q) <= self.quote_tolerance + 1e-12
            for q, o in zip(self.quoted, self.observed, strict=True)
        )

    @property
    def verdict_label(self) -> str:
        """The verdict with what it is a verdict on (the two kinds of 'yes' read differently)."""
        meaning = {
            ("quoted fact", "reproduced"): "the quoted fact is in the data",
            ("quoted fact", "not reproduced"): "the data give another value",
            ("quoted share", "supported"): "the quoted share is within the interval",
            ("quoted share", "not supported"): "the quoted share is outside the interval",
            ("predictive claim", "supported"): "the predictive claim holds",
            ("predictive claim", "not supported"): "the predictive claim does not hold",
        }.get((self.claim_type, self.verdict))
        return f"{self.verdict} ({meaning})" if meaning else self.verdict

    def judged(self, verdict: str, reason: str) -> Finding:
        return replace(self, verdict=verdict, reason=reason)


class Columns(NamedTuple):
    """The names under which a table row shows a finding's statistics; `interval` names the
    interval of the difference (`{interval}_ci_low` and `_ci_high`, ending `_ret` for returns).
    """

    value: str
    base: str
    interval: str
    p_value: str | None = None
    difference: str | None = None

    def of(self, f: Finding) -> dict[str, float]:
        """The cells, in the order the tables show them: a mean's base and difference before
        its interval, a share's base after it."""
        end = "_ret" if f.test == "mean_difference" else ""
        low, high = f.interval
        interval = {f"{self.interval}_ci_low{end}": low, f"{self.interval}_ci_high{end}": high}
        if f.test == "proportion":
            cells = {self.value: f.value, **interval, self.base: f.base}
        else:
            cells = {self.value: f.value, self.base: f.base}
            if self.difference:
                cells[self.difference] = f.difference
            cells.update(interval)
        if self.p_value:
            cells[self.p_value] = f.p_value
        return cells


@dataclass
class ClaimResult:
    """A claim's full result, ready to print and to write."""

    name: str
    title: str
    kind: str
    quotes: list[str]
    definition: list[str]  # the exact definition used, one sentence per line
    findings: list[Finding]
    events: pd.DataFrame  # every event (year, streak, cross) with its outcomes
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: dict = field(default_factory=dict)  # the effective definition, JSON-able
    config_toml: str = ""
    data: MarketData | None = None
    period: tuple[str, str] = ("", "")

    headline: list[str] = field(default_factory=list)  # the answer to the quote, first

    @property
    def verdict(self) -> str:
        """The claim's verdict is that of its first (headline) finding."""
        return self.findings[0].verdict if self.findings else ""

    @property
    def verdict_label(self) -> str:
        return self.findings[0].verdict_label if self.findings else ""
