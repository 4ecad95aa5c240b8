"""The local parquet cache: one file per ticker holding its full history plus provenance.

Why parquet with key-value metadata: `data status` can answer from the schema alone, and a
checksum of the values lets a read detect a damaged file instead of backtesting on it. Writes are
atomic (temp file + fsync + os.replace) under a per-ticker file lock: never a torn file.
"""

# long: one cache entry's life (read, check, lock, write, set aside) read together.

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import filelock
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.data.findings import notify
from engine.data.model import FIELDS, SourceInfo
from engine.errors import DataUnavailableError

FORMAT_KEY = "rotation_lab_cache"
FORMAT_VERSION = "1"
COLUMNS = ("date", *FIELDS)
# A file's provenance (SourceInfo's facts but whether this run read it from the cache) and the
# checksum of its values.
REQUIRED_META = (
    *(f.name for f in fields(SourceInfo) if f.name != "served_from_cache"),
    "values_sha256",
)
LOCK_TIMEOUT_S = 120.0


class CorruptCacheError(DataUnavailableError):
    """A cache file exists but cannot be trusted (unreadable, wrong schema, bad checksum)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cache file {path} is unusable: {reason}")
        self.path = path
        self.reason = reason


def utc_now() -> dt.datetime:
    """Current time, timezone-aware UTC (one place so provenance times agree)."""
    return dt.datetime.now(dt.UTC)


def utc_now_iso() -> str:
    return utc_now().isoformat(timespec="seconds")


def empty_history_frame(index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """An all-NaN frame with the history layout (date index, the six float64 fields)."""
    idx = index if index is not None else pd.DatetimeIndex([], name="date").as_unit("ns")
    return pd.DataFrame(np.nan, index=idx, columns=list(FIELDS), dtype="float64")


@dataclass(frozen=True)
class History:
    """One ticker's full stored history as a provider produced it, with its provenance.

    `frame` is indexed by date (datetime64[ns], named "date", ascending) with exactly the
    FIELDS columns as float64. `extra` holds provider-specific provenance (mirror size, mtime,
    sha256) that the cache keeps alongside the values. `partial` says why a download is known to
    be incomplete (rows without a close, a truncated end): such a history may serve one run,
    flagged, but is never written to the cache as if it were whole.
    """

    ticker: str
    frame: pd.DataFrame
    provider: str
    origin: str
    fetched_at: str
    extra: Mapping[str, str] = field(default_factory=dict)
    partial: str = ""  # why this download is incomplete; a partial history is never cached
    source_lines: tuple[int, ...] = ()  # mirror only: the file line of each row, for messages

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def first(self) -> str:
        return self.frame.index[0].date().isoformat() if len(self.frame) else ""

    @property
    def last(self) -> str:
        return self.frame.index[-1].date().isoformat() if len(self.frame) else ""

    @property
    def close_only(self) -> bool:
        """True when the source has no open/high/low at all (only closes)."""
        return bool(self.frame[["open", "high", "low"]].isna().all().all())

    def source_info(self, served_from_cache: bool) -> SourceInfo:
        return SourceInfo(
            ticker=self.ticker,
            provider=self.provider,
            origin=self.origin,
            fetched_at=self.fetched_at,
            first=self.first,
            last=self.last,
            rows=self.rows,
            served_from_cache=served_from_cache,
            close_only=self.close_only,
        )


def values_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the dates and the six fields' float64 values (NaN canonicalised)."""
    digest = hashlib.sha256()
    index = pd.DatetimeIndex(frame.index).as_unit("ns")
    digest.update(np.asarray(index.asi8, dtype=np.int64).tobytes())
    values = frame[list(FIELDS)].to_numpy(dtype=np.float64, copy=True)
    values[np.isnan(values)] = np.nan
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def entry_path(cache_dir: Path, ticker: str) -> Path:
    return cache_dir / f"{ticker}.parquet"


def lock_for(path: Path, timeout: float | None = None) -> filelock.FileLock:
    """The per-ticker lock every writer (and the corrupt-file mover) takes."""
    return filelock.FileLock(
        str(path) + ".lock", timeout=LOCK_TIMEOUT_S if timeout is None else timeout
    )


@contextlib.contextmanager
def _held(path: Path, ticker: str, timeout: float) -> Iterator[None]:
    """The ticker's lock; when another process holds it, say so at once, then wait at most
    `timeout` seconds (data.lock_timeout_s) instead of stalling silently."""
    lock = lock_for(path, timeout)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        notify(
            f"waiting for another rotation-lab process's lock on {ticker} ({path}.lock), "
            f"at most {timeout:g} s (data.lock_timeout_s)"
        )
        lock.acquire(timeout=timeout)
    try:
        yield
    finally:
        lock.release()


def _metadata(history: History) -> dict[str, str]:
    meta = {
        FORMAT_KEY: FORMAT_VERSION,
        "ticker": history.ticker,
        "provider": history.provider,
        "origin": history.origin,
        "fetched_at": history.fetched_at,
        "first": history.first,
        "last": history.last,
        "rows": str(history.rows),
        "close_only": "true" if history.close_only else "false",
        "values_sha256": values_sha256(history.frame),
    }
    meta.update({k: str(v) for k, v in history.extra.items()})
    return meta


def _to_table(history: History) -> pa.Table:
    frame = history.frame
    index = pd.DatetimeIndex(frame.index).as_unit("ns")
    columns = {"date": pa.array(index.to_numpy(), type=pa.timestamp("ns"))}
    for name in FIELDS:
        columns[name] = pa.array(frame[name].to_numpy(dtype=np.float64), type=pa.float64())
    table = pa.table(columns)
    return table.replace_schema_metadata(_metadata(history))


def write_entry(
    cache_dir: Path,
    history: History,
    keep_newer: bool = False,
    lock_timeout: float | None = None,
) -> Path:
    """Store `history` as the ticker's cache entry, atomically, under the ticker's lock.

    `lock_timeout` bounds the wait for another process's lock (default LOCK_TIMEOUT_S); the
    wait is announced on stderr the moment it starts.

    With `keep_newer`, an entry that another process wrote meanwhile from a later fetch reaching
    at least as far is kept (writing ours would lose that update). Returns the entry's path.
    A partial history is refused: the cache holds only complete histories.
    """
    if history.partial:
        raise DataUnavailableError(
            f"{history.ticker}: not cached: the history is partial ({history.partial})"
        )
    path = entry_path(cache_dir, history.ticker)
    timeout = LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout
    table = _to_table(history)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _held(path, history.ticker, timeout):
            if not (keep_newer and _newer_on_disk(path, history)):
                atomic_write(table, path)
    except filelock.Timeout as exc:
        raise DataUnavailableError(
            f"{history.ticker}: could not lock {path}.lock within {timeout:g}s; another "
            "rotation-lab process is updating this ticker. Retry when it has finished."
        ) from exc
    except OSError as exc:
        raise DataUnavailableError(
            f"{history.ticker}: could not write the cache file {path}: {exc}. Check that the "
            "cache folder is writable and the disk is not full."
        ) from exc
    return path


def _newer_on_disk(path: Path, history: History) -> bool:
    """True when the entry at `path` was fetched after `history` and ends no earlier."""
    try:
        meta = read_meta(path)
    except (CorruptCacheError, FileNotFoundError):
        return False
    theirs, ours = parse_iso_utc(meta["fetched_at"]), parse_iso_utc(history.fetched_at)
    if theirs is None or ours is None or theirs <= ours:
        return False
    return meta["last"] >= history.last


def atomic_write(table: pa.Table, path: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; best effort (not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_entry(cache_dir: Path, ticker: str) -> History | None:
    """The ticker's cache entry, None when there is none; CorruptCacheError when untrustworthy."""
    path = entry_path(cache_dir, ticker)
    try:
        # One open() and one read: a concurrent os.replace cannot mix two versions (reading by
        # path lets pyarrow reopen the file between the footer and the pages).
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptCacheError(path, f"cannot be read ({exc})") from exc
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except Exception as exc:  # any failure to decode means the file cannot be trusted
        raise CorruptCacheError(path, f"not a readable parquet file ({exc})") from exc
    meta = _decode_meta(table.schema.metadata, path)
    _check_schema(table.schema, path)
    frame = _frame_from_table(table)
    _check_values(frame, meta, ticker, path)
    extra = {k: v for k, v in meta.items() if k not in REQUIRED_META and k != FORMAT_KEY}
    return History(
        ticker=ticker,
        frame=frame,
        provider=meta["provider"],
        origin=meta["origin"],
        fetched_at=meta["fetched_at"],
        extra=extra,
    )


def read_meta(path: Path) -> dict[str, str]:
    """The provenance of a cache file from its schema only (cheap: no values are read)."""
    try:
        with path.open("rb") as handle:  # one handle: consistent even during a replace
            schema = pq.read_schema(handle)
    except Exception as exc:
        raise CorruptCacheError(path, f"not a readable parquet file ({exc})") from exc
    return _decode_meta(schema.metadata, path)


def _decode_meta(raw: Mapping[bytes, bytes] | None, path: Path) -> dict[str, str]:
    meta = {k.decode(): v.decode() for k, v in (raw or {}).items()}
    if meta.get(FORMAT_KEY) != FORMAT_VERSION:
        raise CorruptCacheError(path, "no rotation-lab cache metadata (wrong or foreign file)")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise CorruptCacheError(path, f"metadata lacks {', '.join(missing)}")
    return meta


def _check_schema(schema: pa.Schema, path: Path) -> None:
    if tuple(schema.names) != COLUMNS:
        raise CorruptCacheError(path, f"columns are {list(schema.names)}, expected {list(COLUMNS)}")
    if schema.field("date").type != pa.timestamp("ns"):
        raise CorruptCacheError(path, f"date column has type {schema.field('date').type}")
    bad = [n for n in FIELDS if schema.field(n).type != pa.float64()]
    if bad:
        raise CorruptCacheError(path, f"columns {bad} are not float64")


def _frame_from_table(table: pa.Table) -> pd.DataFrame:
    dates = table.column("date").to_numpy().astype("datetime64[ns]")
    index = pd.DatetimeIndex(dates, name="date").as_unit("ns")
    data = {
        name: table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        for name in FIELDS
    }
    return pd.DataFrame(data, index=index, columns=list(FIELDS))


def _check_values(frame: pd.DataFrame, meta: Mapping[str, str], ticker: str, path: Path) -> None:
    if meta["ticker"] != ticker:
        raise CorruptCacheError(path, f"holds ticker {meta['ticker']!r}, not {ticker!r}")
    if str(len(frame)) != meta["rows"]:
        raise CorruptCacheError(path, f"has {len(frame)} rows, metadata says {meta['rows']}")
    if frame.index.hasnans or not frame.index.is_monotonic_increasing:
        raise CorruptCacheError(path, "dates are missing or out of order")
    if values_sha256(frame) != meta["values_sha256"]:
        raise CorruptCacheError(path, "values do not match their checksum")


def move_aside(path: Path, lock_timeout: float | None = None) -> Path | None:
    """Rename a corrupt entry to `<name>.corrupt-<timestamp>` so it is kept for inspection.

    Done under the ticker's lock (a wait is announced, bounded by `lock_timeout`) so a
    concurrent writer's fresh file is never the one moved. Returns the new path, or None when
    the file was already gone or replaced meanwhile, or the lock could not be had.
    """
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        before = path.stat()
    except FileNotFoundError:
        return None
    timeout = LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout
    try:
        with _held(path, path.name.removesuffix(".parquet"), timeout):
            now = path.stat()
            if (now.st_ino, now.st_mtime_ns, now.st_size) != (
                before.st_ino,
                before.st_mtime_ns,
                before.st_size,
            ):
                return None
            os.replace(path, target)
    except (OSError, filelock.Timeout):
        return None
    return target


def staleness(
    history: History,
    mirror_file: Path | None,
    max_age_days: float,
    now: dt.datetime | None = None,
) -> str | None:
    """Why a cache entry should be refreshed, or None when it is fresh.

    A mirror entry is fresh while the mirror file keeps its size and mtime (a vanished mirror
    file leaves the entry valid: it is then the only copy). A downloaded entry ages out after
    `max_age_days`.
    """
    if history.provider == "mirror":
        if mirror_file is None or not mirror_file.exists():
            return None
        stat = mirror_file.stat()
        size, mtime = history.extra.get("mirror_size"), history.extra.get("mirror_mtime_ns")
        if (str(stat.st_size), str(stat.st_mtime_ns)) != (size, mtime):
            return f"the mirror file {mirror_file} changed since it was imported"
        # Same size and time stamp is not the same file (an edit in place, a restored copy,
        # a coarse clock): the bytes decide (hashed again only when the file may have changed
        # since this process last hashed it, `current_sha256`).
        from engine.data.mirror_file import current_sha256

        if current_sha256(mirror_file, history.ticker) != history.extra.get("mirror_sha256"):
            return f"the mirror file {mirror_file} changed (its SHA-256) since it was imported"
        return None
    fetched = parse_iso_utc(history.fetched_at)
    if fetched is None:
        return f"its fetch time {history.fetched_at!r} is unreadable"
    age = (now or utc_now()) - fetched
    if age >= dt.timedelta(days=max_age_days):
        return f"it was fetched {age.total_seconds() / 86400:.1f} days ago (max {max_age_days:g})"
    return None


def parse_iso_utc(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def clear_leftovers(cache_dir: Path) -> list[Path]:
    """Remove temporary files (`.<TICKER>.parquet.<random>.tmp`) left by a killed writer.

    A writer holds the ticker's lock for the whole life of its temporary file, and the lock
    (an OS file lock) dies with its process. So a temporary file whose lock can be taken at once
    belongs to nobody alive and is removed; one whose lock is held is a live write, left alone.
    Returns the removed files.
    """
    removed: list[Path] = []
    if not cache_dir.is_dir():
        return removed
    for tmp in sorted(cache_dir.glob(".*.parquet.*.tmp")):
        entry = cache_dir / tmp.name[1:].split(".parquet.", 1)[0]
        lock = lock_for(entry.with_name(entry.name + ".parquet"), timeout=0)
        try:
            lock.acquire(timeout=0)
        except (filelock.Timeout, OSError):
            continue
        try:
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        except OSError:
            pass
        finally:
            lock.release()
    return removed
