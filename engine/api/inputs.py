"""How the API's arguments become a validated config: the same layers and checks as the CLI.

`rl.run("first10days", lead_days=15, backtest={"fees_bps": 5}, overrides=["anchor=first_close"])`
is `run_backtest.py first10days --set lead_days=15 --set backtest.fees_bps=5 --set
anchor=first_close`: the values go through `engine.config.run_config.load_config`, so a refusal
carries the
message the command line prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.config.run_config import RunConfig, load_config
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError

__all__ = ["Sections", "as_overrides", "config_for", "section_values", "shown_call"]

Sections = Mapping[str, Any] | None


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def section_values(
    params: Mapping[str, Any] | None = None,
    backtest: Sections = None,
    data: Sections = None,
    report: Sections = None,
    benchmarks: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The API's keyword values as one config document (the top layer)."""
    doc: dict[str, Any] = dict(_plain(params or {}))
    for name, section in (("backtest", backtest), ("data", data), ("report", report)):
        if section is None:
            continue
        if not isinstance(section, Mapping):
            raise BadInputError(f"{name}= must be a dict of [{name}] keys, got {section!r}")
        doc[name] = _plain(section)
    if benchmarks is not None:
        doc["benchmarks"] = _plain(list(benchmarks))
    return doc


def as_overrides(overrides: Sequence[str] | str | None) -> list[str]:
    """`overrides=` as a list of the CLI's KEY=VALUE strings (one string is accepted too)."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    texts = list(overrides)
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise BadInputError(f"overrides must be KEY=VALUE strings, got {bad[0]!r}")
    return texts


def config_for(
    strategy: Strategy,
    config: str | Path | None = None,
    defaults: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    values: Mapping[str, Any] | None = None,
) -> RunConfig:
    """The strategy's layered config with the overrides and the keyword values on top."""
    return load_config(
        strategy,
        config_file=None if config is None else Path(config),
        overrides=as_overrides(overrides),
        defaults_file=None if defaults is None else Path(defaults),
        values=values,
    )


def shown_call(function: str, *args: Any, **kwargs: Any) -> str:
    """The call as the user wrote it, recorded in the report as its command."""
    parts = [repr(a) for a in args]
    parts += [f"{k}={v!r}" for k, v in kwargs.items() if v is not None and v != () and v != []]
    return f"rl.{function}({', '.join(parts)})"
