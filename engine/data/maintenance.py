"""The `data` commands' side of the data layer: `data status`, `data update`, clean-up.

`update_tickers` walks the same provider chain as a load (`engine.data.providers.ask`), so a
partial download, an unknown ticker or a failed provider mean the same thing in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engine.config.settings import DataSettings
from engine.data import cache, mirror, yahoo
from engine.data.cache import CorruptCacheError, History
from engine.data.model import SourceInfo
from engine.data.providers import NETWORK_PROVIDERS, Attempt, Dirs, ask, no_provider_error
from engine.errors import BadInputError, DataUnavailableError, RotationLabError

__all__ = ["clear_leftovers", "data_status", "update_tickers"]


def data_status(settings: DataSettings, project_root: Path) -> pd.DataFrame:
    """One row per ticker in the cache or the mirror, from metadata and file ends only."""
    dirs = Dirs.of(settings, project_root)
    rows: dict[str, dict[str, object]] = {}
    blank: dict[str, object] = {
        "cache_provider": None,
        "cache_first": None,
        "cache_last": None,
        "cache_rows": np.nan,
        "fetched_at": None,
        "mirror_first": None,
        "mirror_last": None,
        "mirror_rows": np.nan,
    }
    if dirs.cache.is_dir():
        for path in sorted(dirs.cache.glob("*.parquet")):
            ticker = path.name[: -len(".parquet")]
            row = rows.setdefault(ticker, dict(blank))
            try:
                meta = cache.read_meta(path)
            except CorruptCacheError:
                row["cache_provider"] = "unreadable"
                continue
            row.update(
                cache_provider=meta["provider"],
                cache_first=meta["first"],
                cache_last=meta["last"],
                cache_rows=int(meta["rows"]),
                fetched_at=meta["fetched_at"],
            )
    for ticker in mirror.list_tickers(dirs.mirror):
        row = rows.setdefault(ticker, dict(blank))
        try:
            first, last, count = mirror.summary(mirror.mirror_path(dirs.mirror, ticker))
        except OSError:
            continue
        row.update(mirror_first=first, mirror_last=last, mirror_rows=count)
    columns = ["ticker", *blank]
    records = [{"ticker": t, **rows[t]} for t in sorted(rows)]
    table = pd.DataFrame(records, columns=columns, dtype=object)  # None stays None in text
    for name in ("cache_rows", "mirror_rows"):
        table[name] = table[name].astype("float64")
    return table


def update_tickers(
    tickers: Sequence[str],
    settings: DataSettings,
    project_root: Path,
    source: str | None = None,
) -> list[SourceInfo]:
    """Re-fetch tickers from the non-cache providers (or only `source`) and rewrite the cache."""
    from engine.data.loader import normalise_tickers

    names = normalise_tickers(tickers)
    if source is not None and source not in NETWORK_PROVIDERS:
        raise BadInputError(f"source {source!r} is not one of {', '.join(NETWORK_PROVIDERS)}")
    providers = [source] if source else [p for p in settings.providers if p != "cache"]
    if not providers:
        raise BadInputError(
            "no provider to update from: data.providers lists only 'cache'; add mirror or "
            "yfinance, or pass a source"
        )
    dirs = Dirs.of(settings, project_root)
    done: list[SourceInfo] = []
    failures: list[RotationLabError] = []
    for ticker in names:
        try:
            done.append(_update_one(ticker, providers, settings, dirs))
        except RotationLabError as exc:
            failures.append(exc)
    if failures:
        message = "update failed for " + "; ".join(str(f) for f in failures)
        if done:
            message += f" (updated: {', '.join(s.ticker for s in done)})"
        kinds = {type(f) for f in failures}
        cls = kinds.pop() if len(kinds) == 1 else DataUnavailableError
        raise cls(message)
    return done


def _update_one(
    ticker: str, providers: list[str], settings: DataSettings, dirs: Dirs
) -> SourceInfo:
    """The first whole history the providers give replaces the cache entry; a partial one
    never does (the entry is left unchanged and the update fails)."""
    attempt = Attempt()
    expected_last = yahoo.last_closed_session()
    for provider in providers:
        answer = ask(provider, ticker, settings, dirs, attempt, expected_last)
        if isinstance(answer, History):
            cache.write_entry(
                dirs.cache, answer, keep_newer=True, lock_timeout=settings.lock_timeout_s
            )
            return answer.source_info(served_from_cache=False)
    error = no_provider_error(ticker, dirs, attempt)
    if any(isinstance(a, str) and "partial download" in a for a in attempt.answers):
        raise DataUnavailableError(f"{error} The cache entry was left unchanged.")
    raise error


def clear_leftovers(settings: DataSettings, project_root: Path) -> list[Path]:
    """Temporary cache files a killed process left (see `cache.clear_leftovers`)."""
    try:
        dirs = Dirs.of(settings, project_root)
    except BadInputError:
        return []  # the load refuses the folder with the full message
    return cache.clear_leftovers(dirs.cache)
