"""Claim definitions: one TOML file per claim, read into the pydantic model of its kind.

A researcher adds a claim of an existing kind by adding a TOML file (in the project's `claims/`
folder, or in a folder passed with `--claims-dir` or `rl.load_claims`); the file's name is the
claim's name. The keys every claim has (`ClaimBase`) and the parts several kinds share are
here; each kind's own model sits beside its code in `engine.claim_checks.kinds.<kind>`. Every key is
checked (unknown keys refused with a "did you mean"), and every convention the press leaves
open is a key, so `[sensitivity]` can list alternative values to recompute the result under.
"""

from __future__ import annotations

import difflib
import itertools
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from engine.config.settings import Strict
from engine.errors import ConfigError
from engine.names import printable

LIBRARY_PACKAGE = "claims"  # the shipped claim files, found like the strategies package
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
RESERVED_NAMES = ("data", "report", "stats")  # first parts of --set keys that are not claims
MAX_VARIANTS = 200
PriceField = Literal["close", "adj_close"]
Window = Literal["january"] | Annotated[int, Field(ge=1, le=250)]
SideDirection = Literal["above_base", "below_base", "none"]
Horizons = Annotated[list[Annotated[int, Field(ge=1, le=1260)]], Field(min_length=1)]


class StatsSettings(Strict):
    """How uncertainty is measured and when a sample is too small to judge."""

    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    n_resamples: int = Field(default=2000, ge=100, le=100_000)
    seed: int = Field(default=20260122, ge=0)
    min_n: int = Field(default=10, ge=1, le=100_000)
    block_length: int = Field(
        default=0,
        ge=0,
        le=1260,
        description="Block bootstrap block (sessions); 0 = max(forward window, N^(1/3))",
    )


class ClaimBase(Strict):
    """Keys every claim file has; a kind adds its own conventions."""

    DATE_FIELD: ClassVar[str | None] = None  # the field `--date` sets, if the kind has one
    NOT_CONVENTIONS: ClassVar[frozenset[str]] = frozenset(
        {"name", "kind", "title", "quotes", "source", "stats", "sensitivity", "claimed"}
    )

    name: str = Field(pattern=NAME_RE.pattern)
    kind: str
    title: str = Field(min_length=1)
    quotes: list[str] = Field(min_length=1)
    source: str = ""
    stats: StatsSettings = StatsSettings()
    sensitivity: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="Convention -> alternative values; the report recomputes every combination.",
    )

    @field_validator("title", "quotes", "source")
    @classmethod
    def _printable(cls, value: str | list[str]) -> str | list[str]:
        """Refused at load, not escaped later: a control character in a title or quote cannot
        be shown faithfully by any report format (engine.names)."""
        for text in [value] if isinstance(value, str) else value:
            printable(text, repr(text[:40]))
        return value

    @model_validator(mode="after")
    def _sensitivity_keys(self) -> ClaimBase:
        known = [k for k in type(self).model_fields if k not in self.NOT_CONVENTIONS]
        total = 1
        for key, values in self.sensitivity.items():
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                tip = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ValueError(
                    f"sensitivity key {key!r} is not a convention of this kind{tip} "
                    f"(conventions: {', '.join(known)})"
                )
            if not values:
                raise ValueError(f"sensitivity.{key} lists no value")
            total *= len(values)
        if total > MAX_VARIANTS:
            raise ValueError(
                f"sensitivity makes {total} combinations; at most {MAX_VARIANTS} are allowed"
            )
        return self


# --------------------------------------------------------------------------- shared parts


class Pair(Strict):
    """Two series compared day by day or over a window: leader vs laggard."""

    leader: str
    laggard: str
    price_field: PriceField = "close"

    @model_validator(mode="after")
    def _distinct(self) -> Pair:
        if self.leader == self.laggard:
            raise ValueError(f"leader and laggard are both {self.leader!r}")
        return self


class Counterpart(Strict):
    """The claim this one re-tests on other data (the daily version of a monthly claim, say):
    its finding `finding`, under `conventions` (the rest at its defaults), is set beside this
    claim's headline finding when both run together."""

    claim: str = Field(pattern=NAME_RE.pattern)
    finding: str = Field(min_length=1, description="Key of the counterpart's finding")
    conventions: dict[str, Any] = Field(
        default_factory=dict, description="The counterpart's sensitivity row to compare"
    )


class YearEras(Strict):
    """Years counted, and where to split them into eras reported side by side."""

    NOT_CONVENTIONS: ClassVar[frozenset[str]] = frozenset({"era_breaks", "counterpart"})

    start_year: int = Field(default=1927, ge=1900, le=2100)
    end_year: int | None = Field(default=None, ge=1900, le=2100)
    era_breaks: list[Annotated[int, Field(ge=1901, le=2100)]] = Field(
        default_factory=list,
        description="First years of the later eras (e.g. [1988]: before 1988, and 1988 on)",
    )
    counterpart: Counterpart | None = None

    @model_validator(mode="after")
    def _eras_inside(self) -> YearEras:
        if self.era_breaks != sorted(set(self.era_breaks)):
            raise ValueError(f"era_breaks must be ascending and distinct: {self.era_breaks}")
        last = self.end_year if self.end_year is not None else 2100
        outside = [y for y in self.era_breaks if not self.start_year < y <= last]
        if outside:
            raise ValueError(
                f"era_breaks {outside} are not inside start_year {self.start_year} .. end_year"
            )
        return self


def check_choice(value: str, choices: dict[str, Any], what: str) -> None:
    if value not in choices:
        hint = difflib.get_close_matches(value, list(choices), n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"{what} {value!r} is not defined{tip} (defined: {', '.join(choices)})")


def variants(defn: ClaimBase) -> list[tuple[dict[str, Any], ClaimBase]]:
    """(changed conventions, definition) for every combination listed in `[sensitivity]`,
    the headline convention first; combinations equal to an earlier one are left out."""
    keys = list(defn.sensitivity)
    base = defn.model_dump()
    base["sensitivity"] = {}
    headline = {k: base[k] for k in keys}
    combos = [headline] + [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(defn.sensitivity[k] for k in keys))
    ]
    out: list[tuple[dict[str, Any], ClaimBase]] = []
    seen: list[dict[str, Any]] = []
    for combo in combos:
        try:
            variant = type(defn).model_validate({**base, **combo})
        except ValueError as exc:
            raise ConfigError(
                f"claim {defn.name}: the sensitivity combination {combo} is refused: {exc}"
            ) from None
        dumped = variant.model_dump()
        if dumped in seen:
            continue
        seen.append(dumped)
        out.append((combo, variant))
    return out


def definition_dict(defn: BaseModel) -> dict[str, Any]:
    """The definition as TOML-ready data (dates kept, empty values left out)."""
    return defn.model_dump(exclude_none=True)
