"""Claim definitions: one TOML file per claim, one pydantic model per kind of computation.

A researcher adds a claim of an existing kind by adding a TOML file (here in `definitions/`, or
in a folder passed with `--claims-dir`); the file's name is the claim's name. Every key is
checked (unknown keys refused with a "did you mean"), and every convention the press leaves
open is a key, so `[sensitivity]` can list alternative values to recompute the result under.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from engine.config import apply_overrides, read_toml, validate_model
from engine.errors import ConfigError
from engine.settings import Strict

BUILTIN_DIR = Path(__file__).parent / "definitions"
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


class Universe(Strict):
    """Members compared for leadership, the small-cap one among them, the market for outcomes."""

    members: list[str] = Field(min_length=2)
    small_cap: str
    market: str
    price_field: PriceField = "close"

    @model_validator(mode="after")
    def _small_cap_member(self) -> Universe:
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"members has duplicates: {self.members}")
        if self.small_cap not in self.members:
            raise ValueError(f"small_cap {self.small_cap!r} is not in members {self.members}")
        return self


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


def _check_choice(value: str, choices: dict[str, Any], what: str) -> None:
    if value not in choices:
        hint = difflib.get_close_matches(value, list(choices), n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"{what} {value!r} is not defined{tip} (defined: {', '.join(choices)})")


# --------------------------------------------------------------------------- the kinds


class LeadershipClaimed(Strict):
    recent_hits: int | None = Field(default=None, ge=0, description="Quoted hits in the window")
    recent_n: int | None = Field(default=None, ge=1, description="Quoted window size")
    keeps_no1: float | None = Field(default=None, ge=0, le=1, description="Quoted share")
    share_tolerance: float = Field(
        default=0.02, ge=0, le=1, description="'about' a quoted share: within this (2 points)"
    )


class YearStartLeadership(ClaimBase):
    """Which member led over the year's first N sessions, and how the year ended."""

    kind: Literal["year_start_leadership"]
    universes: dict[str, Universe] = Field(min_length=1)
    universe: str
    lead_days: int = Field(default=10, ge=1, le=60)
    anchor: Literal["prior_close", "first_close", "first_open"] = "prior_close"
    outcome: Literal["year_up", "rest_up"] = "year_up"
    recent_years: int = Field(default=10, ge=1, le=100)
    recent_mode: Literal["signal_years", "calendar_years"] = "signal_years"
    start_year: int = Field(default=1988, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)
    min_members: int = Field(default=2, ge=2)
    claimed: LeadershipClaimed = LeadershipClaimed()

    @model_validator(mode="after")
    def _universe_known(self) -> YearStartLeadership:
        _check_choice(self.universe, self.universes, "universe")
        return self


class StreakClaimed(Strict):
    lengths: list[int] = Field(default_factory=list, description="Quoted streak lengths")
    since_year: int | None = Field(default=None, description="'the longest since' this year")


class RelativeStreak(ClaimBase):
    """Runs of sessions on which the leader's daily change beat the laggard's."""

    DATE_FIELD: ClassVar[str | None] = "as_of"

    kind: Literal["relative_streak"]
    pairs: dict[str, Pair] = Field(min_length=1)
    pair: str
    start: dt.date | None = None
    as_of: dt.date | None = Field(default=None, description="Date of the claim; none = latest")
    at_least: int | None = Field(
        default=None, ge=1, description="List every streak at least this long; none = as_of's"
    )
    top: int = Field(default=10, ge=1, le=1000)
    episode_lengths: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default=[8, 10], min_length=1
    )
    horizons: Horizons = Field(default_factory=lambda: [21, 63, 126, 252])
    headline_k: int = Field(default=8, ge=1, le=100)
    headline_horizon: int = Field(default=63, ge=1, le=1260)
    aftermath_direction: SideDirection = "none"
    claimed: StreakClaimed = StreakClaimed()

    @model_validator(mode="after")
    def _pair_known(self) -> RelativeStreak:
        _check_choice(self.pair, self.pairs, "pair")
        return self


class RsiClaimed(Strict):
    rsi: float | None = Field(default=None, ge=0, le=100)
    tolerance: float = Field(default=1.0, ge=0)


class RsiCross(ClaimBase):
    """First crosses of Wilder's RSI above a threshold, and the returns that followed."""

    DATE_FIELD: ClassVar[str | None] = "date"

    kind: Literal["rsi_cross"]
    ticker: str = "^RUT"
    benchmark: str = "^GSPC"
    show_tickers: list[str] = Field(default_factory=list, description="RSI on `date` also for")
    price_field: Literal["auto", "close", "adj_close"] = Field(
        default="auto", description="auto: close for indexes (^...), adj_close otherwise"
    )
    length: int = Field(default=14, ge=2, le=200)
    threshold: float = Field(default=70.0, gt=0, lt=100)
    min_below: int = Field(default=10, ge=1, le=500)
    horizons: Horizons = Field(default_factory=lambda: [5, 10, 21, 63])
    headline_horizon: int = Field(default=21, ge=1, le=1260)
    pullback: Literal["negative_return", "dip"] = "negative_return"
    dip: float = Field(default=0.05, gt=0, lt=1)
    pullback_direction: SideDirection = "above_base"
    return_direction: SideDirection = "below_base"
    date: dt.date | None = Field(default=None, description="Report the RSI on this date")
    start: dt.date | None = None
    claimed: RsiClaimed = RsiClaimed()


class EarlyWindow(ClaimBase):
    """The market's direction over the year's first sessions vs the rest of the year."""

    kind: Literal["early_window"]
    ticker: str = "^GSPC"
    price_field: PriceField = "close"
    window: Window = 5
    anchor: Literal["prior_close", "first_close"] = "prior_close"
    outcome: Literal["full_year", "rest_of_year"] = "full_year"
    direction: SideDirection = "above_base"
    start_year: int = Field(default=1950, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)


class RelativeClaimed(Strict):
    window_spread: float | None = Field(default=None, description="Quoted leader - laggard")
    tolerance: float = Field(default=0.01, ge=0)
    leader_mean: float | None = None
    laggard_mean: float | None = None


class RelativeStart(ClaimBase):
    """Years in which the leader beat the laggard over an early window, and what followed."""

    DATE_FIELD: ClassVar[str | None] = "as_of"

    kind: Literal["relative_start"]
    pairs: dict[str, Pair] = Field(min_length=1)
    pair: str
    window: Window = "january"
    anchor: Literal["prior_close", "first_close"] = "prior_close"
    threshold: float = Field(default=0.0, ge=-1, le=1, description="Signal: spread > this")
    outcome: Literal["full_year", "rest_of_year"] = "full_year"
    direction: SideDirection = "above_base"
    start_year: int = Field(default=1988, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)
    as_of: dt.date | None = Field(default=None, description="Year of the quoted spread")
    claimed: RelativeClaimed = RelativeClaimed()

    @model_validator(mode="after")
    def _pair_known(self) -> RelativeStart:
        _check_choice(self.pair, self.pairs, "pair")
        return self


KIND_MODELS: dict[str, type[ClaimBase]] = {
    "year_start_leadership": YearStartLeadership,
    "relative_streak": RelativeStreak,
    "rsi_cross": RsiCross,
    "early_window": EarlyWindow,
    "relative_start": RelativeStart,
}


# --------------------------------------------------------------------------- loading


def definition_files(claims_dir: Path | None = None) -> dict[str, Path]:
    """Claim name -> TOML file: the built-in ones plus those of `claims_dir`."""
    folders = [BUILTIN_DIR]
    if claims_dir is not None:
        if not Path(claims_dir).is_dir():
            raise ConfigError(f"--claims-dir {claims_dir} is not a folder")
        folders.append(Path(claims_dir))
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            name = path.stem
            if not NAME_RE.match(name) or name in RESERVED_NAMES:
                raise ConfigError(
                    f"claim file {path}: the name {name!r} cannot be used; use lower-case "
                    f"letters, digits, '_' or '-', and not {', '.join(RESERVED_NAMES)}"
                )
            if name in found:
                raise ConfigError(
                    f"two claim files are named {name!r}: {found[name]} and {path}; rename one"
                )
            found[name] = path
    return found


def build_definition(name: str, doc: dict[str, Any], where: str) -> ClaimBase:
    """Validate one claim document (its name comes from the file name)."""
    doc = dict(doc)
    if "name" in doc and doc["name"] != name:
        raise ConfigError(f"{where}: name = {doc['name']!r} differs from the file name {name!r}")
    doc["name"] = name
    kind = doc.get("kind")
    if kind not in KIND_MODELS:
        hint = difflib.get_close_matches(str(kind), list(KIND_MODELS), n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"{where}: kind = {kind!r} is not a known kind{tip} (kinds: {', '.join(KIND_MODELS)})"
        )
    try:
        return validate_model(KIND_MODELS[kind], doc, name)  # type: ignore[return-value]
    except ConfigError as exc:
        raise ConfigError(f"claim {name} ({where}) is invalid:\n{exc}") from None


def split_overrides(overrides: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """'NAME.key=v' -> ({NAME: ['key=v']}, ...); 'data.'/'report.'/'stats.' ones go in the
    second list unchanged."""
    per_claim: dict[str, list[str]] = {}
    shared: list[str] = []
    for text in overrides:
        key, sep, raw = text.partition("=")
        head, dot, rest = key.strip().partition(".")
        if not sep or not dot or not rest:
            raise ConfigError(
                f"--set {text!r}: expected NAME.KEY=VALUE (a claim name, or data./report./"
                "stats.), e.g. --set first10days.lead_days=15"
            )
        if head in RESERVED_NAMES:
            shared.append(text)
        else:
            per_claim.setdefault(head, []).append(f"{rest}={raw}")
    return per_claim, shared


def load_definitions(
    claims_dir: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    date: dt.date | None = None,
) -> dict[str, ClaimBase]:
    """Every claim definition, with `--set` overrides and `--date` applied, validated."""
    files = definition_files(claims_dir)
    per_claim, shared = split_overrides(list(overrides))
    for name in per_claim:
        if name not in files:
            hint = difflib.get_close_matches(name, list(files), n=1)
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(f"--set {name}.…: no claim is named {name!r}{tip}")
    stats_overrides = [t.removeprefix("stats.") for t in shared if t.startswith("stats.")]
    out: dict[str, ClaimBase] = {}
    for name, path in files.items():
        doc = read_toml(path)
        if stats_overrides:
            doc = apply_overrides(doc, [f"stats.{t}" for t in stats_overrides])
        doc = apply_overrides(doc, per_claim.get(name, []))
        kind_model = KIND_MODELS.get(str(doc.get("kind")))
        if date is not None and kind_model is not None and kind_model.DATE_FIELD:
            doc[kind_model.DATE_FIELD] = date
        out[name] = build_definition(name, doc, str(path))
    return out


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
