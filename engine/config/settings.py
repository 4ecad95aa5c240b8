"""Typed, validated settings shared by every strategy: data, backtest, benchmarks, report.

pydantic does the checking (types, ranges, unknown keys) so a bad value is refused before any work
with a message naming the key; `engine.config.run_config` turns its errors into one readable
message. Every
value has a type and a bound: numbers a range, texts and lists a maximum length (`MAX_TEXT`,
`MAX_ITEMS`), and `Strict` refuses what pydantic's lax mode would coerce silently.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.calendar import CALENDAR_START, nyse_sessions

__all__ = [
    "DEFAULT_BENCHMARKS",
    "MAX_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_TEXT",
    "BacktestSettings",
    "Benchmark",
    "DataSettings",
    "Provider",
    "ReportSettings",
    "Strict",
    "check_weight_map",
    "strict_problem",
    "weight_map_fields",
]

Provider = Literal["cache", "mirror", "yfinance"]
MAX_TEXT = 4096  # characters of any text value (a path, a ticker, a name)
MAX_ITEMS = 10_000  # entries of any list or table value
MAX_MAGNITUDE = 1e15  # of any number: beyond it no setting makes sense and int64 may overflow


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f"the text {_clip(value)!r}"
        return f"the text {_clip(value)!r} (write numbers and true/false without quotes)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, int) and abs(value) >= 10**18:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, int | float):
        return _clip(repr(value))
    return type(value).__name__


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _magnitude(value: float) -> str | None:
    if abs(value) > MAX_MAGNITUDE:
        return f"expected a number between -1e15 and 1e15, got {_kind(value)}"
    return None


def strict_problem(annotation: Any, value: object) -> str | None:
    """Why `value` does not have the type `annotation` without coercion, or None.

    pydantic's lax mode reads `true` as 1, `"5"` as 5.0 and 1e400 as inf; a config value that
    is not literally of its type is a typo, not something to guess at. Whole numbers are
    accepted for floats; texts for dates (pydantic parses ISO dates); nested models check
    themselves.
    """
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return strict_problem(args[0], value)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        problems = [strict_problem(a, value) for a in args if a is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is Literal or annotation is Any:
        return None
    if annotation is bool:
        return None if isinstance(value, bool) else f"expected true or false, got {_kind(value)}"
    if annotation is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a whole number, got {_kind(value)}"
        return _magnitude(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {_kind(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number, got {value}"
        return _magnitude(value)
    if annotation is str:
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return f"the text is {len(value):,} characters long; at most {MAX_TEXT:,}"
        return None
    if annotation in (dt.date, dt.datetime):
        if isinstance(value, bool | int | float):
            return f"expected a date, got {_kind(value)}; use YYYY-MM-DD"
        return None
    if origin in (list, tuple, set, frozenset) and isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            return f"the array has {len(value):,} items; at most {MAX_ITEMS:,}"
        item_type = args[0] if args else Any
        for i, item in enumerate(value):
            problem = strict_problem(item_type, item)
            if problem:
                return f"item {i}: {problem}"
        return None
    if origin is dict and isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return f"the table has {len(value):,} keys; at most {MAX_ITEMS:,}"
        value_type = args[1] if len(args) == 2 else Any
        for key, item in value.items():
            problem = strict_problem(value_type, item)
            if problem:
                return f"{_clip(str(key))}: {problem}"
        return None
    return None


class Strict(BaseModel):
    """Base for every config model: unknown keys are errors, values are never coerced
    (`lag = true`, `fees_bps = "5"` and non-finite numbers are refused, see `strict_problem`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: object, info: ValidationInfo) -> object:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None:
            problem = strict_problem(field.annotation, value)
            if problem:
                raise ValueError(problem)
        return value


NAME_MAX, PATH_MAX = 255, 4096  # bytes: Linux's limits (limits.h) on one name and a whole path


def fits_the_file_system(path: str) -> str:
    """A folder setting no file system could hold is bad input, said when the config is read
    rather than found as an OS error when the folder is first touched."""
    longest = max((len(os.fsencode(part)) for part in path.split("/")), default=0)
    if longest > NAME_MAX or len(os.fsencode(path)) > PATH_MAX:
        raise ValueError(
            f"this path holds a name of {longest} bytes ({len(os.fsencode(path))} in all); file "
            f"systems allow {NAME_MAX} bytes a name and {PATH_MAX} in all"
        )
    return path


class DataSettings(Strict):
    """Where prices come from and how the local cache behaves."""

    providers: list[Provider] = Field(
        default=["cache", "mirror", "yfinance"],
        min_length=1,
        description="Providers tried in order; 'cache' only answers for tickers it already holds.",
    )
    mirror_dir: str = Field(
        default="../shared/market-data",
        description="Folder of <TICKER>.csv files (offline mirror); relative to the project root.",
    )
    cache_dir: str = Field(default="data_cache", description="Local parquet cache folder.")
    factors_dir: str = Field(
        default="../shared/factor-data",
        description="Folder holding the offline copy of the monthly Fama/French factors "
        "(F-F_Research_Data_Factors_monthly.csv); relative to the project root.",
    )
    factors_download: bool = Field(
        default=True,
        description="Download French's published factor file when there is no offline copy "
        "and the cached one is stale (false = never).",
    )
    max_cache_age_days: float = Field(
        default=1.0,
        ge=0,
        le=36500,
        description="A downloaded (yfinance) cache entry older than this is refreshed when a "
        "later provider can; mirror entries are refreshed when the mirror file changes.",
    )
    download_retries: int = Field(default=3, ge=1, le=10)
    download_backoff_s: float = Field(
        default=2.0, ge=0, le=60, description="First retry wait; doubles."
    )
    download_timeout_s: float = Field(default=20.0, gt=0, le=600)
    lock_timeout_s: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="How long to wait for another process's lock on a cache entry before giving "
        "up on caching it (the wait is announced at once).",
    )
    max_ffill_sessions: int = Field(
        default=0,
        ge=0,
        le=10,
        description="Forward-fill a missing price across at most this many sessions (0 = never);"
        " every fill is reported.",
    )
    max_daily_move: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="Flag a one-session adj_close move larger than this fraction (0.25 = 25%) on "
        "a fund or stock (not on '^' indexes or yields); flagged, never altered.",
    )

    strict: bool = Field(
        default=False,
        description="Stop with an error (exit 1) on any data warning instead of reporting it "
        "beside the results (--strict).",
    )

    @field_validator("providers")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"each provider may appear once, got {v}")
        return v

    _folders = field_validator("mirror_dir", "cache_dir", "factors_dir")(
        lambda cls, v: fits_the_file_system(v)
    )


class BacktestSettings(Strict):
    """Period, costs and execution shared by the strategy and its benchmarks."""

    start: dt.date = Field(default=dt.date(2000, 1, 1), description="First session considered.")
    end: dt.date | None = Field(
        default=None, description="Last session; 'latest' (or none) = the latest data."
    )
    initial_cash: float = Field(default=100_000.0, gt=0, le=1e12)
    fees_bps: float = Field(default=1.0, ge=0, le=1000, description="Fee, bps of traded value.")
    slippage_bps: float = Field(
        default=1.0, ge=0, le=1000, description="Price concession, bps, against the trader."
    )
    lag: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Sessions between the decision close and the trade (1 = next session).",
    )
    trade_at: Literal["close", "open"] = Field(
        default="close", description="Fill at the close or the open of the trade session."
    )
    cash_ticker: str = Field(
        default="",
        max_length=20,
        description="Series the uninvested part earns (e.g. '^IRX' or 'BIL'); '' = cash earns 0.",
    )
    cash_ticker_kind: Literal["annual_yield_pct", "price"] = Field(
        default="annual_yield_pct",
        description="'annual_yield_pct' for a yield in percent (^IRX), 'price' for a fund (BIL).",
    )
    risk_free_pct: float = Field(
        default=0.0, ge=-5, le=25, description="Annual risk-free rate for Sharpe/Sortino, percent."
    )
    start_when: Literal["period_start", "first_decision"] = Field(
        default="period_start",
        description="'period_start': run from the period start (a rule still warming up holds "
        "cash, and the summary says so); 'first_decision': start the strategy and its "
        "benchmarks on the first session the rule decides on.",
    )

    @field_validator("end", mode="before")
    @classmethod
    def _latest(cls, v: object) -> object:
        return None if v in ("", "latest") else v

    @field_validator("start")
    @classmethod
    def _start_has_a_calendar(cls, v: dt.date) -> dt.date:
        first = CALENDAR_START.date()
        if v < first:
            raise ValueError(f"the NYSE calendar starts on {first}; start on or after it")
        today = dt.date.today()
        if v > today:
            raise ValueError(f"start {v} is in the future (today is {today}): no price exists yet")
        return v

    @field_validator("end")
    @classmethod
    def _end_has_a_calendar(cls, v: dt.date | None) -> dt.date | None:
        bound = dt.date.today() + dt.timedelta(days=365)
        if v is not None and v > bound:
            raise ValueError(
                f"end {v} is more than a year ahead (the NYSE calendar is known to {bound}); "
                "use 'latest' for all the data there is"
            )
        return v

    @model_validator(mode="after")
    def _dates(self) -> BacktestSettings:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        last = self.end or dt.date.today()
        if nyse_sessions(self.start, last).empty:
            raise ValueError(
                f"start {self.start} to end {last} holds no NYSE session; widen the period"
            )
        return self


class Benchmark(Strict):
    """A static mix run through the same engine, costs and lag as the strategy."""

    name: str = Field(min_length=1, max_length=200)
    weights: dict[str, float] = Field(min_length=1, max_length=100)
    rebalance: Literal["none", "monthly", "quarterly", "yearly"] = "none"

    @field_validator("name")
    @classmethod
    def _printable(cls, v: str) -> str:
        from engine.names import printable

        printable(v, "the name")
        if not v.strip():
            raise ValueError("the name is blank")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v


class ReportSettings(Strict):
    output_dir: str = Field(default="reports", description="Relative to the project root.")
    beta_benchmark: str = Field(
        default="SPY",
        min_length=1,
        max_length=20,
        description="Ticker whose buy-and-hold returns beta/correlation use.",
    )

    _folder = field_validator("output_dir")(lambda cls, v: fits_the_file_system(v))


def check_weight_map(weights: dict[str, float], max_gross: float = 1.0) -> None:
    """A long-only weight map: every weight in [0, 1], total at most `max_gross`."""
    for ticker, w in weights.items():
        if not ticker or ticker != ticker.strip():
            raise ValueError(f"ticker {ticker!r} is empty or has spaces")
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"weight of {ticker} is {w}; each weight must be in [0, 1]")
    total = sum(weights.values())
    if total > max_gross + 1e-9:
        raise ValueError(f"weights sum to {total:.6g}; the total must be at most {max_gross}")


def _valid_weight_map(cls: type, weights: dict[str, float]) -> dict[str, float]:
    check_weight_map(weights)
    return weights


def weight_map_fields(*fields: str) -> Any:
    """A parameter model's validator: each of `fields` is a long-only weight map
    (`check_weight_map`). Use as `_weights = weight_map_fields("on", "off")` in the class."""
    return field_validator(*fields)(_valid_weight_map)


DEFAULT_BENCHMARKS = [
    Benchmark(name="SPY buy & hold", weights={"SPY": 1.0}),
    Benchmark(name="IWM buy & hold", weights={"IWM": 1.0}),
    Benchmark(name="50/50 IWM/SPY monthly", weights={"IWM": 0.5, "SPY": 0.5}, rebalance="monthly"),
]
