"""Loading a run's configuration, in layers, each overriding the one before:

1. the shared defaults, `engine/config/defaults.toml`: [backtest], [data], [report], the benchmarks;
2. the user's defaults file: `$ROTATION_LAB_DEFAULTS`, else ~/.config/rotation-lab/defaults.toml;
3. `--defaults FILE` (`defaults=` in Python);
4. the strategy's own TOML (or `--config FILE` instead): its rule's parameters, its [sweep]
   grid, and only the shared values it changes (e.g. its own benchmarks);
5. `--set key=value` overrides, then values given in Python (`rl.run(..., lead_days=15)`).

Tables merge key by key; an array (the benchmarks) is replaced whole. A strategy whose
`default_benchmarks` differ from the shared ones keeps its own unless a later layer names some.
The models' defaults are the reference; the shipped files state the same values (a test keeps
them equal). Everything is validated before any work starts, and a refusal names the key, the
value given and the rule, with a "did you mean" for misspelt keys.
"""

# long: the layers of a run's config and their validation are one contract; split, the
# order in which they apply would be spread over files.

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from pydantic import BaseModel, ValidationError

from engine.config.settings import (
    DEFAULT_BENCHMARKS,
    BacktestSettings,
    Benchmark,
    DataSettings,
    ReportSettings,
)
from engine.errors import ConfigError, shorten
from engine.files import MB, read_limited

if TYPE_CHECKING:  # a type of a later stage, named only
    from engine.decisions.strategy import Strategy

SHARED_DEFAULTS = Path(__file__).with_name("defaults.toml")
USER_DEFAULTS_ENV = "ROTATION_LAB_DEFAULTS"
SHARED_KEYS = ("backtest", "data", "report", "benchmarks")

SECTIONS: dict[str, type[BaseModel]] = {
    "backtest": BacktestSettings,
    "data": DataSettings,
    "report": ReportSettings,
}


@dataclass(frozen=True)
class RunConfig:
    """The validated, effective configuration of one strategy run."""

    strategy: str
    params: BaseModel
    backtest: BacktestSettings
    data: DataSettings
    report: ReportSettings
    benchmarks: tuple[Benchmark, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO strings, no end date as "latest")."""
        doc: dict[str, Any] = self.params.model_dump(mode="json")
        for name in SECTIONS:
            doc[name] = getattr(self, name).model_dump(mode="json")
        if doc["backtest"]["end"] is None:
            doc["backtest"]["end"] = "latest"
        doc["benchmarks"] = [b.model_dump(mode="json") for b in self.benchmarks]
        return doc

    def to_toml(self) -> str:
        return f"# effective configuration of {self.strategy}\n" + tomli_w.dumps(self.as_dict())


MAX_DEPTH = 12  # nesting of tables and arrays in a config: the models need 3


def _depth(doc: Any) -> int:
    """Nesting depth of tables/arrays, iteratively (a recursive walk could itself overflow)."""
    deepest, stack = 0, [(doc, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level + 1)
            if deepest > MAX_DEPTH:
                return deepest
            items = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in items)
    return deepest


def _check_depth(doc: Any, where: str) -> None:
    if _depth(doc) > MAX_DEPTH:
        raise ConfigError(
            f"{where} nests tables or arrays more than {MAX_DEPTH} levels deep; no setting needs "
            "that: check the brackets"
        )


MAX_CONFIG_BYTES = 4 * MB  # a config of every setting is a few kB


def read_toml(path: Path, what: str = "config file") -> dict[str, Any]:
    """A TOML file, read with bounded time and memory (a pipe or a device is refused before
    it is opened); a UTF-8 byte-order mark, as some editors save, is accepted."""
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give a .toml file")
    try:
        raw, _ = read_limited(path, MAX_CONFIG_BYTES, what, ConfigError, "give a .toml file")
        doc = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except ConfigError:
        raise
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"{what} {path} nests tables or arrays too deeply; check the brackets"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(f"{what} {path} holds a value that cannot be read: {exc}") from None
    _check_depth(doc, f"{what} {path}")
    return doc


def parse_override(text: str) -> tuple[list[str], Any]:
    """'a.b=value' -> (['a', 'b'], value); the value is read as TOML, else as a plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    shown = shorten(repr(text))
    if not sep or not key:
        raise ConfigError(f"--set {shown}: expected KEY=VALUE, e.g. --set lead_days=15")
    parts = key.split(".")
    if any(not p.strip() for p in parts):
        raise ConfigError(f"--set {shown}: the key has an empty part")
    if len(parts) > MAX_DEPTH:
        raise ConfigError(f"--set {shown}: the key has more than {MAX_DEPTH} parts")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ConfigError(f"--set {shown}: the value nests too deeply") from None
    except ValueError:  # Python refuses to read integers of more than 4300 digits
        raise ConfigError(f"--set {shown}: the number is too long to read") from None
    _check_depth(value, f"--set {shown}")
    return [p.strip() for p in parts], value


def apply_overrides(doc: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    out = _deep_copy(doc)
    for text in overrides:
        parts, value = parse_override(text)
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ConfigError(
                    f"--set {shorten(repr(text))}: {shorten(repr(where))} is a value, not a section"
                )
            node = child
        node[parts[-1]] = value
    return out


def _deep_copy(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _deep_copy(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_deep_copy(v) for v in doc]
    return doc


def _known_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _shown(value: Any) -> str:
    """A refused value as the user wrote it: dates in ISO form, small tables inline."""
    if isinstance(value, dict):
        flat = all(not isinstance(v, dict | list) for v in value.values())
        if not flat or len(value) > 8:
            return "a table"
        text = "{" + ", ".join(f"{k} = {v!r}" for k, v in value.items()) + "}"
        return text if len(text) <= 80 else "a table"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list) and len(value) > 20:
        return f"an array of {len(value):,} items"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return f"a {len(str(abs(value)))}-digit number"
    return shorten(repr(value))


# Parts pydantic adds to an error's location for the member of a union that failed
# ("int", "literal['year_end']", "function-after[...]"): not keys the user wrote.
_UNION_TAG = re.compile(r"^(int|float|str|bool|list|dict|none|constrained-[\w-]+|[\w-]+\[.*\])$")


def _key(prefix: str, loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p))]
    return ".".join([prefix, *parts]) if prefix else ".".join(parts)


def _format_errors(exc: ValidationError, prefix: str, model: type[BaseModel]) -> str:
    """One line per refused key (a union's alternatives joined with "or"), unknown keys with
    a "did you mean", rules across several keys naming their section."""
    lines: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = shorten(_key(prefix, err["loc"]), 80)
        rule = str(err["msg"]).removeprefix("Value error, ")
        if err["type"].startswith(("date_", "datetime_")) and "YYYY-MM-DD" not in rule:
            rule += "; use YYYY-MM-DD"
        if err["type"] == "extra_forbidden":
            known = _known_keys(model) if len(loc) == 1 else []
            sections = [*SECTIONS, "benchmarks"] if not prefix and len(loc) == 1 else []
            hint = difflib.get_close_matches(loc[-1][:100], known + sections, n=1)
            if not hint and sections:  # a section's key given at the top: backtest.lag
                dotted = [f"{n}.{k}" for n, m in SECTIONS.items() for k in m.model_fields]
                hint = [d for d in dotted if d.split(".", 1)[1] == loc[-1]][:1]
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            listing = f" Known keys: {', '.join(known)}." if known else ""
            if sections:
                listing += f" Sections: {', '.join(sections)}."
            lines.setdefault(f"unknown key {key!r}{tip}{listing}", [])
        elif not loc:  # a rule across several keys (e.g. end after start)
            where = f"[{prefix}]" if prefix else "the strategy parameters"
            lines.setdefault(f"{where} refused:", []).append(rule)
        else:
            lines.setdefault(f"{key} = {_shown(err.get('input'))} is refused:", []).append(rule)
    return "\n".join(
        head if not rules else f"{head} {'; or '.join(dict.fromkeys(rules))}"
        for head, rules in lines.items()
    )


def validate_model(model: type[BaseModel], doc: Any, prefix: str) -> BaseModel:
    if not isinstance(doc, dict):
        raise ConfigError(f"[{prefix}] must be a table of keys, got {_shown(doc)}")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, prefix, model)) from None


def benchmark_name_problems(
    strategy: str, benchmarks: Sequence[Benchmark], duplicates: bool = True
) -> list[str]:
    """Runs share a table keyed by name: a benchmark named like the strategy would replace its
    column, and of two benchmarks with one name only one would be shown (a comparison keeps
    the first and says so; a single run refuses them, `duplicates`)."""
    problems, seen = [], set()
    for i, bench in enumerate(benchmarks):
        key = bench.name.strip().casefold()
        if key == strategy.strip().casefold():
            problems.append(
                f"benchmarks.{i}.name = {bench.name!r} is the strategy's name; give the "
                "benchmark another name"
            )
        elif duplicates and key in seen:
            problems.append(
                f"benchmarks.{i}.name = {bench.name!r} names two benchmarks; give each its own"
            )
        seen.add(key)
    return problems


def build_config(strategy: Strategy, doc: dict[str, Any]) -> RunConfig:
    """Validate a merged document; every problem is collected into one ConfigError."""
    doc = dict(doc)
    sections = {name: doc.pop(name, {}) for name in SECTIONS}
    raw_benchmarks = doc.pop("benchmarks", None)
    doc.pop("sweep", None)  # a parameter grid for `sweep`, not a parameter of single runs
    problems: list[str] = []
    validated: dict[str, BaseModel] = {}
    for name, model in [("", strategy.params_model), *SECTIONS.items()]:
        part = doc if name == "" else sections[name]
        try:
            validated[name] = validate_model(model, part, name)
        except ConfigError as exc:
            problems.append(str(exc))
    benchmarks: list[Benchmark] = []
    if raw_benchmarks is None:
        benchmarks = list(strategy.default_benchmarks)
    elif not isinstance(raw_benchmarks, list) or not raw_benchmarks:
        problems.append("benchmarks must be a non-empty array of tables ([[benchmarks]])")
    else:
        for i, item in enumerate(raw_benchmarks):
            try:
                benchmarks.append(validate_model(Benchmark, item, f"benchmarks.{i}"))  # type: ignore[arg-type]
            except ConfigError as exc:
                problems.append(str(exc))
    problems.extend(benchmark_name_problems(strategy.name, benchmarks, duplicates=False))
    if problems:
        raise ConfigError(f"the {strategy.name} config is invalid:\n" + "\n".join(problems))
    return RunConfig(
        strategy=strategy.name,
        params=validated[""],
        backtest=validated["backtest"],  # type: ignore[arg-type]
        data=validated["data"],  # type: ignore[arg-type]
        report=validated["report"],  # type: ignore[arg-type]
        benchmarks=tuple(benchmarks),
    )


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: tables merge key by key, anything else (arrays too) replaces."""
    out = _deep_copy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = _deep_copy(dict(value) if isinstance(value, Mapping) else value)
    return out


def user_defaults_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The user's shared defaults: `$ROTATION_LAB_DEFAULTS` (must exist), else the XDG file
    ~/.config/rotation-lab/defaults.toml when it exists, else none."""
    env = os.environ if environ is None else environ
    if env.get(USER_DEFAULTS_ENV):
        path = Path(env[USER_DEFAULTS_ENV]).expanduser()
        if not path.exists():
            raise ConfigError(
                f"{USER_DEFAULTS_ENV}={shorten(env[USER_DEFAULTS_ENV], 300)} names no file; "
                "point it at a defaults TOML file or unset it"
            )
        return path
    config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = config_home / "rotation-lab" / "defaults.toml"
    return path if path.is_file() else None


def read_defaults(path: Path) -> dict[str, Any]:
    """A shared-defaults file: only [backtest], [data], [report] and [[benchmarks]]."""
    doc = read_toml(path, "defaults file")
    stray = [k for k in doc if k not in SHARED_KEYS]
    if stray:
        raise ConfigError(
            f"defaults file {path}: {', '.join(map(repr, stray))} cannot be set there; a "
            f"defaults file holds only {', '.join(SHARED_KEYS)} (a strategy's parameters go in "
            "its own TOML, --config FILE or --set)"
        )
    return doc


def shared_defaults(defaults_file: Path | None = None) -> dict[str, Any]:
    """Layers 1-3 merged: the project's defaults, the user's file, then `defaults_file`."""
    doc = read_defaults(SHARED_DEFAULTS)
    for path in (user_defaults_file(), defaults_file):
        if path is not None:
            doc = merge(doc, read_defaults(Path(path)))
    return doc


def _benchmark_docs(benchmarks: Sequence[Benchmark]) -> list[dict[str, Any]]:
    return [b.model_dump(mode="json") for b in benchmarks]


def strategy_document(
    strategy: Strategy,
    config_file: Path | None = None,
    overrides: Sequence[str] = (),
    defaults_file: Path | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every layer merged into one unvalidated document (the [sweep] table included)."""
    doc = shared_defaults(defaults_file)
    if tuple(strategy.default_benchmarks) != tuple(DEFAULT_BENCHMARKS):
        doc["benchmarks"] = _benchmark_docs(strategy.default_benchmarks)  # the rule's own
    own = config_file if config_file is not None else strategy.default_config
    if own is not None:
        doc = merge(doc, read_toml(Path(own)))
    doc = apply_overrides(doc, list(overrides))
    return merge(doc, values or {})


def load_config(
    strategy: Strategy,
    config_file: Path | None = None,
    overrides: Sequence[str] = (),
    defaults_file: Path | None = None,
    values: Mapping[str, Any] | None = None,
) -> RunConfig:
    """The layered config of one strategy (see the module docstring), validated."""
    doc = strategy_document(strategy, config_file, overrides, defaults_file, values)
    return build_config(strategy, doc)
