"""Parameter grids: `--grid upper=60:85:5 --grid lower=30,40,50` and a config's [sweep] table.

A value spec is a range `a:b:step` (both ends included; `a:b` steps by 1), a comma list
(`30,40,50`, `SPY,cash`), or one value. Items are read as TOML values, else as plain words, like
`--set`. In a [sweep] table a key holds a range string, an array, or one value. Command-line axes
replace the table's axes of the same name. Each value is checked against the parameter's type and
range before anything runs; combinations the strategy refuses as a whole (e.g. lower > upper) are
left out and counted.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, TypeAdapter, ValidationError

from engine.config.settings import strict_problem
from engine.errors import ConfigError, shorten

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*(?::\s*({_NUMBER})\s*)?$")
MAX_RANGE_VALUES = 100_000
MAX_COMBINATIONS = 2_000_000  # default refusal bound (`sweep --max-combinations`)
# Estimates for the refusal message, from benchmarks/sweep_benchmark.py (README "Speed"): the
# fused kernel runs ~1.2e8 session-combinations a second on 2 cores; each combination's row
# (statistics and block sums) takes up to ~0.4 KB in the results dataset on disk (memory stays
# bounded, engine.tuning.summary); the generic path runs ~20 combinations a second.
FAST_RATE = 1.2e8
GENERIC_RATE = 20.0
BYTES_PER_COMBINATION = 400 + 8 * 4  # a row + one int64/float64 column per axis (typical)
TYPICAL_SESSIONS = 6_600  # IWM/SPY daily history 2000-2026


@dataclass(frozen=True)
class Axis:
    """One swept parameter and its values, in the order given."""

    name: str
    values: tuple[Any, ...]
    spec: str  # as the user wrote it, for the report


@dataclass(frozen=True)
class Grid:
    """The cartesian product of its axes; the first axis varies slowest.

    Row r of the grid is r written in mixed radix (one digit per axis, the last axis the
    fastest), so any range of rows is decoded on its own (`rows`, `chunk`) and a
    combination's row found by arithmetic (`index_of`): no whole-grid table is ever needed."""

    axes: tuple[Axis, ...]

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.axes]

    @property
    def size(self) -> int:
        return math.prod(len(a.values) for a in self.axes)

    @property
    def swept(self) -> list[str]:
        """The parameters the grid varies (two or more values): those a heatmap can show."""
        return [a.name for a in self.axes if len(a.values) > 1]

    def heatmap_refusal(self, pairs: Sequence[tuple[str, str]]) -> str | None:
        """Why a requested heatmap pair cannot be drawn (a parameter the grid does not
        vary), or None: checked by the API before any work and by the report."""
        swept = self.swept
        for x, y in pairs:
            for name in (x, y):
                if name not in swept:
                    return (
                        f"--heatmap {x},{y}: {name!r} is not a swept parameter with two or "
                        f"more values ({', '.join(swept) or 'none'})"
                    )
        return None

    @property
    def lengths(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def strides(self) -> tuple[int, ...]:
        """Rows between consecutive values of each axis (the last axis: 1)."""
        lengths = self.lengths
        return tuple(math.prod(lengths[k + 1 :]) for k in range(len(lengths)))

    def codes(self, rows: np.ndarray) -> np.ndarray:
        """(axes, len(rows)): each row's position on every axis."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(self.axes), len(rows)), dtype=np.int64)
        for k, (length, stride) in enumerate(zip(self.lengths, self.strides, strict=True)):
            out[k] = (rows // stride) % length
        return out

    def rows(self, rows: np.ndarray) -> pd.DataFrame:
        """The parameter table of the given grid rows, one column per axis, each column of
        its axis's type (bool, int64, float64 or object), whichever rows are asked."""
        rows = np.asarray(rows, dtype=np.int64)
        codes = self.codes(rows)
        columns = {a.name: axis_column(a, c) for a, c in zip(self.axes, codes, strict=True)}
        return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))

    def chunk(self, start: int, stop: int) -> pd.DataFrame:
        """Rows start..stop-1 of the grid."""
        return self.rows(np.arange(start, min(stop, self.size), dtype=np.int64))

    def table(self) -> pd.DataFrame:
        """One row per combination (for small grids: a sweep decodes its chunks instead)."""
        return self.chunk(0, self.size)

    def position(self, name: str, value: Any) -> int | None:
        """Where `value` stands on axis `name` (`same_value`), or None."""
        axis = self.axes[self.names.index(name)]
        return next((i for i, v in enumerate(axis.values) if same_value(v, value)), None)

    def index_of(self, values: Mapping[str, Any]) -> int | None:
        """The grid row whose axis values equal `values`, or None when one is off its axis."""
        row = 0
        for axis, stride in zip(self.axes, self.strides, strict=True):
            code = self.position(axis.name, values[axis.name])
            if code is None:
                return None
            row += code * stride
        return row

    def describe(self) -> str:
        return " ".join(f"{a.name}={a.spec}" for a in self.axes)


def axis_kind(axis: Axis) -> str:
    """The column type of an axis: bool, int, float (any number, not all ints) or object."""
    values = axis.values
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "object"


def axis_column(axis: Axis, codes: np.ndarray) -> Any:
    """The axis's values at `codes`, as a column of its kind."""
    kind = axis_kind(axis)
    values = np.empty(len(axis.values), dtype=object)
    for i, value in enumerate(axis.values):  # one item each, even for list values
        values[i] = value
    column = values[codes]
    if kind == "bool":
        return column.astype(bool)
    if kind == "int":
        return column.astype(np.int64)
    if kind == "float":
        return column.astype(np.float64)
    return pd.array(column, dtype="object")


def _scalar(text: str) -> Any:
    """A TOML value if the text is one (70, 7.5, true, "x"), else the plain word."""
    raw = text.strip()
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):  # ValueError: > 4300 digits
        return raw


def _is_int_text(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", text.strip()) is not None


def parse_range(text: str) -> list[int | float] | None:
    """`a:b:step` -> [a, a+step, ..., b] (b included when on the grid); None if not a range."""
    match = _RANGE.match(text)
    if not match:
        return None
    a_text, b_text, step_text = match.group(1), match.group(2), match.group(3) or "1"
    a, b, step = float(a_text), float(b_text), float(step_text)
    if not all(math.isfinite(x) for x in (a, b, step)) or max(abs(a), abs(b)) > 1e15:
        raise ConfigError(
            f"range {shorten(repr(text))}: the ends and step must be finite numbers of at most 1e15"
        )
    if step <= 0:
        raise ConfigError(f"range {shorten(repr(text))}: the step must be positive")
    if b < a:
        raise ConfigError(
            f"range {shorten(repr(text))}: the end ({b_text}) is below the start ({a_text})"
        )
    count = math.floor((b - a) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise ConfigError(
            f"range {shorten(repr(text))} has {count} values; at most {MAX_RANGE_VALUES}"
        )
    if all(_is_int_text(t) for t in (a_text, b_text, step_text)):
        return [int(a_text) + i * int(step_text) for i in range(count)]
    decimals = max(len(t.partition(".")[2]) for t in (a_text, b_text, step_text))
    return [round(a + i * step, max(decimals, 0) + 6) for i in range(count)]


def parse_values(spec: str) -> list[Any]:
    """A range, a comma list or one value."""
    ranged = parse_range(spec)
    if ranged is not None:
        return ranged
    items = [item for item in spec.split(",")]
    if any(not item.strip() for item in items):
        raise ConfigError(f"grid values {shorten(repr(spec))}: an item is empty")
    return [_scalar(item) for item in items]


def parse_axis(text: str) -> Axis:
    """'name=spec' from the command line."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise ConfigError(
            f"--grid {shorten(repr(text))}: expected NAME=VALUES, e.g. --grid upper=60:85:5"
        )
    return Axis(name=name, values=tuple(parse_values(spec)), spec=spec.strip())


def axis_from_toml(name: str, value: Any) -> Axis:
    """One key of a [sweep] table: a range string, an array or one value."""
    if isinstance(value, list):
        if not value:
            raise ConfigError(f"[sweep] {shorten(name)} is an empty array")
        return Axis(name=name, values=tuple(value), spec=",".join(map(str, value)))
    if isinstance(value, dict):
        raise ConfigError(f"[sweep] {shorten(name)} is a table; give a range string or an array")
    if isinstance(value, str):
        return Axis(name=name, values=tuple(parse_values(value)), spec=value)
    return Axis(name=name, values=(value,), spec=str(value))


def _check_name(name: str, model: type[BaseModel], where: str) -> None:
    known = list(model.model_fields)
    if name not in known:
        hint = difflib.get_close_matches(name[:100], known, n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"{where} names {shorten(repr(name))}, which is not a parameter of this strategy{tip} "
            f"Parameters: {', '.join(known)}."
        )


def _checked_value(name: str, value: Any, model: type[BaseModel], base: BaseModel) -> Any:
    """The value as the model reads it (type, range, normalisation), or a ConfigError."""
    field = model.model_fields[name]
    annotation = (
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    )
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    shown = shorten(repr(value))
    problem = strict_problem(field.annotation, value)
    if problem:
        raise ConfigError(f"grid value {shorten(name)} = {shown} is refused: {problem}")
    try:
        coerced = adapter.validate_python(value)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise ConfigError(f"grid value {shorten(name)} = {shown} is refused: {msg}") from None
    try:  # field validators may normalise it (e.g. 'Cash' -> 'cash'); cross-checks may refuse
        return getattr(model.model_validate({**base.model_dump(), name: coerced}), name)
    except ValidationError:
        return coerced


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:,.1f} h"
    if seconds < 365 * 86400:
        return f"{seconds / 86400:,.0f} days"
    return f"{seconds / (365.25 * 86400):,.0f} years"


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.3g} {unit}"
    return f"{n_bytes / 1e3:,.3g} KB"


def check_size(axes: Sequence[Axis], limit: int) -> int:
    """The number of combinations, computed from the axes' lengths before anything is built;
    above `limit` a ConfigError gives the count and what it would cost (time, disk)."""
    count = math.prod(len(a.values) for a in axes)
    if count <= limit:
        return count
    sessions = TYPICAL_SESSIONS
    fast = count * sessions / FAST_RATE
    generic = count / GENERIC_RATE
    disk = count * (BYTES_PER_COMBINATION + 8 * len(axes))
    lengths = " x ".join(f"{len(a.values):,} {a.name}" for a in axes)
    raise ConfigError(
        f"the grid has {count:,} combinations ({lengths}), above the limit of {limit:,}: on "
        f"~{sessions:,} sessions it would take about {_duration(fast)} on the fused kernel "
        f"(about {_duration(generic)} on the generic path) and up to about {_size(disk)} of "
        "disk for its results dataset (memory stays bounded). Coarsen the steps or fix some "
        "parameters, or raise the limit with --max-combinations"
    )


def build_grid(
    model: type[BaseModel],
    base: BaseModel,
    cli_axes: Sequence[str] = (),
    toml_sweep: Mapping[str, Any] | None = None,
    max_combinations: int = MAX_COMBINATIONS,
) -> Grid:
    """Axes from the [sweep] table, then the command line (which replaces same-named axes).

    The size is checked (`check_size`) from the axes' lengths before any value is validated or
    any table allocated, so a grid of 1e11 combinations is refused at once.
    """
    axes: dict[str, Axis] = {}
    for name, value in (toml_sweep or {}).items():
        _check_name(name, model, "[sweep]")
        axes[name] = axis_from_toml(name, value)
    given: dict[str, str] = {}
    for text in cli_axes:
        axis = parse_axis(text)
        _check_name(axis.name, model, f"--grid {shorten(repr(text))}")
        if axis.name in given:  # the second would silently replace the first
            raise ConfigError(
                f"--grid {axis.name} is given twice ({shorten(given[axis.name], 40)} and "
                f"{shorten(axis.spec, 40)}); give all its values in one --grid "
                f"{axis.name}=V1,V2,..."
            )
        given[axis.name] = axis.spec
        axes[axis.name] = axis
    if not axes:
        raise ConfigError(
            "no parameter grid: give --grid NAME=VALUES (e.g. --grid upper=60:85:5) or a [sweep] "
            "table in the config file"
        )
    check_size(list(axes.values()), max_combinations)
    checked = []
    for axis in axes.values():
        values = [_checked_value(axis.name, v, model, base) for v in axis.values]
        keys = [repr(v) if isinstance(v, dict | list) else v for v in values]  # maps, lists too
        unique = [values[keys.index(k)] for k in dict.fromkeys(keys)]
        if len(unique) != len(values):
            raise ConfigError(f"grid axis {axis.name} repeats a value: {shorten(axis.spec)}")
        checked.append(Axis(axis.name, tuple(unique), axis.spec))
    return Grid(tuple(checked))


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def find_row(table: pd.DataFrame, values: Mapping[str, Any]) -> int | None:
    """Position of the row whose axis columns equal `values`, or None."""
    mask = np.ones(len(table), dtype=bool)
    for name in table.columns:
        column = table[name].to_numpy()
        target = values[name]
        if column.dtype.kind in "if" and isinstance(target, int | float):
            mask &= np.isclose(column.astype(float), float(target), rtol=1e-12, atol=1e-12)
        else:
            mask &= np.array([same_value(v, target) for v in column], dtype=bool)
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None
