"""Where the monthly factors come from, cached and validated as prices are; and what the claims
read: compounded monthly series in the `MarketData` shape, with their provenance.

Order: the mirror copy (`data.factors_dir`, default `../shared/factor-data`) when it is there;
else the cache (`data_cache/factors/`) while fresh (`data.max_cache_age_days`); else French's own
published file (the library's zip download, unless `data.factors_download = false`), which is
then cached; else a stale cache entry, said so. The cache is one parquet file with the
source's SHA-256, the values' SHA-256 (checked on every read: a damaged file is set aside,
reported and read again from its source), written atomically under a lock as price entries are.

The claims read the factors as index levels, one per month, so the claim studies that compound
daily prices from an anchor to a window's end compound monthly returns the same way: `MKT` is
the market's total return (Mkt-RF + RF), `SMB` the small-minus-big spread held as a position
rebalanced monthly, `HML` likewise, `RF` one-month T-bills; each starts at 1 on a base row
dated the month before the first. Rows are dated on each month's last weekday (standing for its
last trading day). Nothing is filled: a series stops (NaN) from its first missing month on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.config.settings import DataSettings
from engine.data import cache
from engine.data.factors import (
    COLUMNS,
    DATASET,
    FactorTable,
    month_gaps,
    parse_mirror,
    parse_published,
    read_zip,
)
from engine.data.model import FIELDS, DataIssue, MarketData, SourceInfo
from engine.data.providers import resolve_dir
from engine.errors import DataUnavailableError

__all__ = [
    "MIRROR_FILE",
    "SERIES",
    "FactorData",
    "factor_levels",
    "factor_market_data",
    "load_factors",
]

MIRROR_FILE = f"{DATASET}_monthly.csv"
CACHE_FILE = f"{DATASET}.parquet"
FRENCH_URL = (  # the Kenneth R. French Data Library's download of the dataset
    f"https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/{DATASET}_CSV.zip"
)
FORMAT_KEY = "rotation_lab_factor_cache"
FORMAT_VERSION = "1"
# Series the claims read -> (its monthly return in percent, what it is).
SERIES = {
    "MKT": ("Mkt-RF + RF", "market total return (all CRSP US stocks, value-weighted)"),
    "SMB": ("SMB", "small minus big, held as a spread rebalanced monthly"),
    "HML": ("HML", "value minus growth, held as a spread rebalanced monthly"),
    "RF": ("RF", "one-month Treasury bill"),
}


@dataclass(frozen=True)
class FactorData:
    """The monthly factors with where they came from."""

    table: FactorTable
    provider: str  # "mirror" | "french"
    origin: str  # the mirror file, or the download address
    fetched_at: str
    source_sha256: str
    served_from_cache: bool
    issues: list[DataIssue] = field(default_factory=list)

    @property
    def monthly(self) -> pd.DataFrame:
        return self.table.monthly


# --------------------------------------------------------------------------- cache


def _values_sha256(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(np.asarray([p.ordinal for p in frame.index], dtype=np.int64).tobytes())
    values = frame[list(COLUMNS)].to_numpy(dtype=np.float64, copy=True)
    values[np.isnan(values)] = np.nan
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def _write_cache(path: Path, data: FactorData, timeout: float) -> None:
    frame = data.monthly
    columns = {"month": pa.array([p.year * 100 + p.month for p in frame.index], type=pa.int32())}
    for name in COLUMNS:
        columns[name] = pa.array(frame[name].to_numpy(dtype=np.float64), type=pa.float64())
    meta = {
        FORMAT_KEY: FORMAT_VERSION,
        "provider": data.provider,
        "origin": data.origin,
        "fetched_at": data.fetched_at,
        "source_sha256": data.source_sha256,
        "values_sha256": _values_sha256(frame),
        "rows": str(len(frame)),
        "annual_rows": str(data.table.annual_rows),
    }
    table = pa.table(columns).replace_schema_metadata(meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    with cache.lock_for(path, timeout):
        cache.atomic_write(table, path)


def _read_cache(path: Path) -> FactorData | None:
    """The cached factors, None when absent; CorruptCacheError when they cannot be trusted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise cache.CorruptCacheError(path, f"cannot be read ({exc})") from exc
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except Exception as exc:  # any failure to decode means the file cannot be trusted
        raise cache.CorruptCacheError(path, f"not a readable parquet file ({exc})") from exc
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if meta.get(FORMAT_KEY) != FORMAT_VERSION or tuple(table.schema.names) != ("month", *COLUMNS):
        raise cache.CorruptCacheError(path, "not a rotation-lab factor cache file")
    months = table.column("month").to_numpy()
    index = pd.PeriodIndex(
        [pd.Period(year=int(m) // 100, month=int(m) % 100, freq="M") for m in months],
        freq="M",
        name="month",
    )
    frame = pd.DataFrame(
        {c: table.column(c).to_numpy(zero_copy_only=False) for c in COLUMNS}, index=index
    )
    if str(len(frame)) != meta.get("rows") or _values_sha256(frame) != meta.get("values_sha256"):
        raise cache.CorruptCacheError(path, "values do not match their checksum")
    return FactorData(
        FactorTable(frame, int(meta.get("annual_rows", "0"))),
        provider=meta["provider"],
        origin=meta["origin"],
        fetched_at=meta["fetched_at"],
        source_sha256=meta["source_sha256"],
        served_from_cache=True,
    )


# --------------------------------------------------------------------------- sources


def _from_mirror(path: Path, raw: bytes) -> FactorData:
    return FactorData(
        parse_mirror(raw, str(path)),
        provider="mirror",
        origin=str(path.resolve()),
        fetched_at=cache.utc_now_iso(),
        source_sha256=hashlib.sha256(raw).hexdigest(),
        served_from_cache=False,
    )


def download(
    url: str, settings: DataSettings, sleep: Callable[[float], None] = time.sleep
) -> bytes:
    """The published zip, with the price downloads' retries and backoff."""
    wait = settings.download_backoff_s
    for attempt in range(1, settings.download_retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=settings.download_timeout_s) as answer:
                return answer.read()
        except OSError as exc:  # URLError, HTTPError, timeouts are all OSErrors
            if attempt == settings.download_retries:
                raise DataUnavailableError(
                    f"factors: could not download {url} ({exc}); use the offline copy "
                    f"(data.factors_dir holding {MIRROR_FILE}) or retry with network access"
                ) from exc
            sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


Fetch = Callable[[str, DataSettings], bytes]


def _from_french(url: str, settings: DataSettings, fetch: Fetch) -> FactorData:
    raw = fetch(url, settings)
    return FactorData(
        parse_published(read_zip(raw, url), url),
        provider="french",
        origin=url,
        fetched_at=cache.utc_now_iso(),
        source_sha256=hashlib.sha256(raw).hexdigest(),
        served_from_cache=False,
    )


def _stale(data: FactorData, max_age_days: float) -> bool:
    fetched = cache.parse_iso_utc(data.fetched_at)
    return fetched is None or cache.utc_now() - fetched >= dt.timedelta(days=max_age_days)


def load_factors(
    settings: DataSettings,
    project_root: Path,
    fetch: Fetch | None = None,
    url: str = FRENCH_URL,
) -> FactorData:
    """The monthly factors by the order in the module docstring, with every finding."""
    mirror = resolve_dir(settings.factors_dir, project_root) / MIRROR_FILE
    entry = resolve_dir(settings.cache_dir, project_root) / "factors" / CACHE_FILE
    issues: list[DataIssue] = []
    try:
        cached = _read_cache(entry)
    except cache.CorruptCacheError as exc:
        moved = cache.move_aside(entry, settings.lock_timeout_s)
        issues.append(
            DataIssue("factors", "corrupt_cache", "warning", f"{exc}; set aside as {moved}")
        )
        cached = None
    fresh: FactorData | None = None
    if mirror.is_file():
        raw = mirror.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        if cached is not None and cached.provider == "mirror" and cached.source_sha256 == sha:
            return _finish(cached, issues)
        fresh = _from_mirror(mirror, raw)
    elif cached is not None and not _stale(cached, settings.max_cache_age_days):
        return _finish(cached, issues)
    elif settings.factors_download:
        try:
            fresh = _from_french(url, settings, fetch or download)
        except DataUnavailableError as exc:
            if cached is None:
                raise DataUnavailableError(
                    f"{exc}; no offline copy at {mirror} and no cached copy"
                ) from exc
            issues.append(
                DataIssue(
                    "factors",
                    "stale_cache",
                    "warning",
                    f"factors: the refresh failed ({exc}); the cached copy fetched "
                    f"{cached.fetched_at} was used",
                )
            )
            return _finish(cached, issues)
    elif cached is None:
        raise DataUnavailableError(
            f"factors: no offline copy at {mirror}, no cached copy, and downloads are off "
            f"(data.factors_download = false); put {MIRROR_FILE} in data.factors_dir or allow "
            "the download"
        )
    else:
        return _finish(cached, issues)
    try:
        _write_cache(entry, fresh, settings.lock_timeout_s)
    except (OSError, DataUnavailableError, TimeoutError) as exc:
        issues.append(
            DataIssue("factors", "cache_write_failed", "warning", f"factors not cached: {exc}")
        )
    return _finish(fresh, issues)


def _finish(data: FactorData, issues: list[DataIssue]) -> FactorData:
    return FactorData(
        data.table,
        data.provider,
        data.origin,
        data.fetched_at,
        data.source_sha256,
        data.served_from_cache,
        issues + month_gaps(data.monthly, "factors"),
    )


# --------------------------------------------------------------------------- the claims' view


def _returns(monthly: pd.DataFrame, name: str) -> pd.Series:
    if name == "MKT":
        return monthly["Mkt-RF"] + monthly["RF"]
    return monthly[SERIES[name][0]]


def factor_levels(monthly: pd.DataFrame) -> pd.DataFrame:
    """Each series compounded from 1 on a base row (the month before the first), dated on each
    month's last weekday; NaN from a series' first missing or absent month on."""
    full = pd.period_range(monthly.index[0] - 1, monthly.index[-1], freq="M")
    returns = monthly.reindex(full)  # absent months become NaN rows: the chain breaks there
    levels = {}
    for name in SERIES:
        r = _returns(returns, name).to_numpy(dtype=float) / 100.0
        r[0] = 0.0  # the base row
        growth = np.cumprod(1.0 + r)
        broken = np.flatnonzero(~np.isfinite(r))
        if broken.size:
            growth[broken[0] :] = np.nan
        levels[name] = growth
    dates = full.to_timestamp(how="start") + pd.offsets.BMonthEnd(0)
    index = pd.DatetimeIndex(dates, name="date").as_unit("ns")
    return pd.DataFrame(levels, index=index)


def factor_market_data(data: FactorData) -> MarketData:
    """The factors as `MarketData`: close and adj_close are the levels, the rest empty."""
    levels = factor_levels(data.monthly)
    empty = pd.DataFrame(np.nan, index=levels.index, columns=levels.columns)
    fields = {
        name: (levels.copy() if name in ("close", "adj_close") else empty.copy()) for name in FIELDS
    }
    first, last = str(data.monthly.index[0]), str(data.monthly.index[-1])
    where = f"{data.origin} ({DATASET}, monthly; sha256 {data.source_sha256})"
    sources = {
        name: SourceInfo(
            ticker=name,
            provider=data.provider,
            origin=f"{where}: {SERIES[name][0]}, {SERIES[name][1]}",
            fetched_at=data.fetched_at,
            first=first,
            last=last,
            rows=len(data.monthly),
            served_from_cache=data.served_from_cache,
            close_only=True,
        )
        for name in SERIES
    }
    return MarketData(fields=fields, sources=sources, issues=list(data.issues))
