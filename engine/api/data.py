"""`rl.data_status` and `rl.update_data`: the local price cache, as `run_backtest.py data` shows
and refreshes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from engine.api.startup import start_up
from engine.config.run_config import apply_overrides, validate_model
from engine.config.settings import DataSettings
from engine.errors import BadInputError
from engine.paths import project_root

__all__ = ["data_status", "update_data"]


def _settings(overrides: Sequence[str], data: Mapping[str, Any] | None) -> DataSettings:
    """The [data] settings: the defaults, then `data=` values, then `data.KEY=VALUE` strings."""
    for text in overrides:
        if not text.startswith("data."):
            raise BadInputError(f"--set {text!r}: data commands take only data.KEY=VALUE")
    doc = apply_overrides({"data": dict(data or {})}, list(overrides)).get("data", {})
    settings = validate_model(DataSettings, doc, "data")
    start_up(settings, None)
    return settings  # type: ignore[return-value]


def data_status(
    data: Mapping[str, Any] | None = None, overrides: Sequence[str] = ()
) -> pd.DataFrame:
    """Every ticker in the cache or the mirror folder with its rows and date range (one row
    each; empty when there is none)."""
    from engine.data import data_status as status

    table = status(_settings(overrides, data), project_root())
    for col in ("cache_rows", "mirror_rows"):
        if col in table:
            table[col] = table[col].astype("Int64")
    return table


def update_data(
    tickers: Sequence[str],
    source: str | None = None,
    data: Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
) -> list[Any]:
    """Refresh `tickers` from the providers (the mirror, then Yahoo; `source` names one) and
    return what each update wrote (ticker, rows, first, last, origin)."""
    from engine.data import update_tickers

    if source not in (None, "mirror", "yfinance"):
        raise BadInputError(f"source = {source!r} is refused: use 'mirror' or 'yfinance'")
    if isinstance(tickers, str):
        tickers = [tickers]
    return update_tickers(list(tickers), _settings(overrides, data), project_root(), source=source)
