"""Getting each ticker's history from the providers and aligning it on NYSE sessions.

The provider chain (cache, mirror, yfinance in the configured order) answers per ticker; the
first usable answer wins, a stale cache is a last resort that is reported. A partial download
(rows without a close, or an end well before the request's) is not a usable answer: it is used
only when nothing better exists, flagged, and never cached. Every ticker that cannot be loaded
is named in one error. Alignment puts every ticker on the same session index and reports, never
hides, what did not fit: non-session rows, gaps, forward fills. `data_status` and
`update_tickers` serve the `data` CLI commands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.data import cache, mirror, validation, yahoo
from engine.data.cache import CorruptCacheError, History
from engine.data.model import FIELDS, DataIssue, MarketData, SourceInfo
from engine.errors import (
    BadInputError,
    DataQualityError,
    DataUnavailableError,
    RotationLabError,
    UnknownTickerError,
)
from engine.settings import DataSettings

RELIABLE_CALENDAR_FROM = pd.Timestamp("1990-01-02")
TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]*$")
NETWORK_PROVIDERS = ("mirror", "yfinance")


def resolve_dir(value: str, project_root: Path) -> Path:
    """A settings folder: absolute as given, else relative to the project root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(project_root) / path


@dataclass(frozen=True)
class _Dirs:
    cache: Path
    mirror: Path

    @classmethod
    def of(cls, settings: DataSettings, project_root: Path) -> _Dirs:
        return cls(
            cache=resolve_dir(settings.cache_dir, project_root),
            mirror=resolve_dir(settings.mirror_dir, project_root),
        )


def normalise_tickers(tickers: Sequence[str]) -> list[str]:
    """Upper-cased tickers; refuses empty requests, bad symbols and duplicates."""
    if isinstance(tickers, str):
        tickers = [tickers]
    out: list[str] = []
    for raw in tickers:
        ticker = str(raw).strip().upper()
        if not TICKER_RE.match(ticker):
            raise BadInputError(
                f"ticker {raw!r} is not a valid symbol; use letters, digits, '.', '-', '=' and "
                "an optional leading '^' for indexes (e.g. IWM, ^RUT, BRK-B)"
            )
        if ticker in out:
            raise BadInputError(f"ticker {ticker} is requested twice; list each ticker once")
        out.append(ticker)
    if not out:
        raise BadInputError("no tickers requested; give at least one ticker")
    return out


def _timestamp(value: object, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)") from exc
    if ts is pd.NaT:
        raise BadInputError(f"{what} date {value!r} is not a date (use YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.normalize()


# --------------------------------------------------------------------------- provider chain


@dataclass
class _Attempt:
    """What the providers answered for one ticker, for errors and issues."""

    answers: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # providers that failed (not just lacked)
    issues: list[DataIssue] = field(default_factory=list)

    def say(self, provider: str, text: str, failed: bool = False) -> None:
        self.answers.append(f"{provider}: {text}")
        if failed:
            self.failed.append(provider)

    def summary(self) -> str:
        return "; ".join(self.answers)


def _from_provider(provider: str, ticker: str, settings: DataSettings, dirs: _Dirs) -> History:
    """One non-cache provider's history; raises UnknownTickerError when it lacks the ticker."""
    if provider == "mirror":
        history = mirror.read_mirror(dirs.mirror, ticker)
        if history is None:
            where = mirror.mirror_path(dirs.mirror, ticker)
            raise UnknownTickerError(f"no file {where}")
        return history
    if provider == "yfinance":
        return yahoo.download_history(ticker, settings)
    raise BadInputError(f"unknown data provider {provider!r}; use cache, mirror or yfinance")


def _check_duplicates(history: History) -> None:
    issue = validation.duplicate_dates(history.ticker, history.frame, history.source_lines)
    if issue is not None:
        raise DataQualityError(f"{issue.message} (source: {history.origin})")


def _store(history: History, dirs: _Dirs, attempt: _Attempt) -> None:
    """Cache a fresh history; a failed write is reported but does not fail the load.

    If another process cached a later fetch of the ticker meanwhile, that entry is kept.
    """
    try:
        cache.write_entry(dirs.cache, history, keep_newer=True)
    except DataUnavailableError as exc:
        attempt.issues.append(DataIssue(history.ticker, "cache_write_failed", "warning", str(exc)))


def _partial(history: History, expected_last: pd.Timestamp) -> str:
    """Why a downloaded history is incomplete ("" when whole); mirror files are taken as they
    are (their short ends are validation findings, not failed downloads)."""
    if history.provider != "yfinance":
        return ""
    reasons = [r for r in (history.partial, yahoo.truncated(history, expected_last)) if r]
    return "; ".join(reasons)


def _covers(history: History, expected_last: pd.Timestamp) -> bool:
    return bool(len(history.frame)) and history.frame.index[-1] >= expected_last


def _read_cache(ticker: str, dirs: _Dirs, attempt: _Attempt) -> History | None:
    """The cache entry, or None (absent, or corrupt: then reported and moved aside)."""
    path = cache.entry_path(dirs.cache, ticker)
    try:
        entry = cache.read_entry(dirs.cache, ticker)
    except CorruptCacheError as exc:
        moved = cache.move_aside(path)
        where = f"moved aside to {moved.name}" if moved else "left in place"
        attempt.issues.append(
            DataIssue(
                ticker,
                "corrupt_cache",
                "warning",
                f"{ticker}: {exc}; {where} and re-fetched from the next provider",
            )
        )
        attempt.say("cache", f"corrupt file {path} ({exc.reason}), {where}", failed=True)
        return None
    if entry is None:
        attempt.say("cache", f"no entry {path}")
    return entry


def _obtain(
    ticker: str,
    settings: DataSettings,
    dirs: _Dirs,
    attempt: _Attempt,
    expected_last: pd.Timestamp,
) -> tuple[History, bool]:
    """The ticker's history from the first provider that has it; (history, from_cache).

    A partial download (holes, or an end more than a few sessions before `expected_last`) does
    not count as an answer: later providers are tried, then a cached copy covering the request,
    and only then is the partial copy used, flagged and never cached.
    """
    use_cache = "cache" in settings.providers
    stale: tuple[History, str] | None = None
    partial: tuple[History, str, str] | None = None  # (history, provider, why)
    for provider in settings.providers:
        if provider == "cache":
            entry = _read_cache(ticker, dirs, attempt)
            if entry is None:
                continue
            mirror_file = mirror.mirror_path(dirs.mirror, ticker)
            reason = cache.staleness(entry, mirror_file, settings.max_cache_age_days)
            if reason is None:
                _check_duplicates(entry)
                return entry, True
            stale = (entry, reason)
            attempt.say("cache", f"stale entry ({reason})")
            continue
        try:
            history = _from_provider(provider, ticker, settings, dirs)
        except UnknownTickerError as exc:
            attempt.say(provider, str(exc))
            continue
        except DataUnavailableError as exc:
            attempt.say(provider, str(exc), failed=True)
            continue
        _check_duplicates(history)
        why = _partial(history, expected_last)
        if why:
            attempt.say(provider, f"partial download: {why}", failed=True)
            partial = partial or (history, provider, why)
            continue
        if use_cache:
            _store(history, dirs, attempt)
        _report_failures(ticker, provider, attempt)
        return history, False
    if partial is not None:
        return _use_partial(ticker, partial, stale, expected_last, attempt)
    if stale is not None:
        entry, reason = stale
        attempt.issues.append(
            DataIssue(
                ticker,
                "stale_cache",
                "warning",
                f"{ticker}: using the cached copy fetched at {entry.fetched_at} "
                f"(from {entry.provider}) although {reason}; refreshing failed: "
                f"{attempt.summary()}",
            )
        )
        _check_duplicates(entry)
        return entry, True
    raise _no_provider_error(ticker, dirs, attempt)


def _use_partial(
    ticker: str,
    partial: tuple[History, str, str],
    stale: tuple[History, str] | None,
    expected_last: pd.Timestamp,
    attempt: _Attempt,
) -> tuple[History, bool]:
    """Only a partial download came back: prefer a cached copy that covers the request."""
    history, provider, why = partial
    if stale is not None and _covers(stale[0], expected_last):
        entry = stale[0]
        _check_duplicates(entry)
        attempt.issues.append(
            DataIssue(
                ticker,
                "partial_download",
                "warning",
                f"{ticker}: the {provider} download is partial ({why}); the cached copy fetched "
                f"at {entry.fetched_at} covers the request and was used, and left unchanged",
            )
        )
        return entry, True
    attempt.issues.append(
        DataIssue(
            ticker,
            "partial_download",
            "warning",
            f"{ticker}: the {provider} download is partial ({why}); it is used for this run as "
            f"published (gaps stay NaN) but not cached. Rerun later or refresh it with "
            f"'run_backtest.py data update {ticker}'. Providers said: {attempt.summary()}",
        )
    )
    return history, False


def _report_failures(ticker: str, used: str, attempt: _Attempt) -> None:
    """Earlier providers that failed (not merely lacked the ticker) are worth a warning.

    A corrupt cache is already reported as such, so only mirror/yfinance failures count here.
    """
    if any(p != "cache" for p in attempt.failed):
        attempt.issues.append(
            DataIssue(
                ticker,
                "provider_failed",
                "warning",
                f"{ticker}: served by {used} after earlier providers failed: {attempt.summary()}",
            )
        )


def _no_provider_error(ticker: str, dirs: _Dirs, attempt: _Attempt) -> RotationLabError:
    fix = (
        f"Check the ticker's spelling, or put a {ticker}.csv file (columns "
        f"date,{','.join(FIELDS)}) in the mirror folder {dirs.mirror}"
    )
    if attempt.failed:
        return DataUnavailableError(
            f"{ticker}: no provider could supply it ({attempt.summary()}). Fix the problem "
            f"above (network, file) and retry, or {fix[0].lower()}{fix[1:]}."
        )
    return UnknownTickerError(
        f"{ticker}: no provider has this ticker ({attempt.summary()}). {fix}."
    )


# --------------------------------------------------------------------------- alignment


def _calendar_rows(history: History) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """(rows on NYSE sessions, dates that are not sessions) of the full history."""
    frame = history.frame
    if frame.empty:
        return frame, pd.DatetimeIndex([], name="date").as_unit("ns")
    calendar = nyse_sessions(frame.index[0], frame.index[-1])
    on_session = frame.index.isin(calendar)
    return frame[on_session], frame.index[~on_session]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) positions of consecutive True values."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _sessions_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    """Sessions strictly between two dates."""
    if b - a <= pd.Timedelta(days=1):
        return 0
    return len(nyse_sessions(a + pd.Timedelta(days=1), b - pd.Timedelta(days=1)))


@dataclass
class _Aligned:
    frame: pd.DataFrame  # index x FIELDS
    issues: list[DataIssue]


def _align_one(
    ticker: str, rows: pd.DataFrame, index: pd.DatetimeIndex, max_ffill: int
) -> _Aligned:
    """Reindex one ticker's session rows onto `index`, report gaps, bounded forward fill."""
    aligned = rows.reindex(index)
    issues: list[DataIssue] = []
    if rows.empty or index.empty:
        return _Aligned(aligned, issues)
    first, last = rows.index[0], rows.index[-1]
    inside = (index > first) & (index < last)
    missing = inside & ~index.isin(rows.index)
    filled: list[pd.Timestamp] = []
    if max_ffill > 0 and missing.any():
        for i0, i1 in _runs(missing):
            before = rows.index[rows.index < index[i0]][-1]
            after = rows.index[rows.index > index[i1]][0]
            length = i1 - i0 + 1
            if i0 == 0:
                length += _sessions_between(before, index[0])
            if i1 == len(index) - 1:
                length += _sessions_between(index[-1], after)
            if length > max_ffill:
                continue
            _fill(aligned, index[i0 : i1 + 1], rows.loc[before])
            filled.extend(index[i0 : i1 + 1])
            missing[i0 : i1 + 1] = False
    if filled:
        dates = validation.iso_dates(filled)
        issues.append(
            DataIssue(
                ticker,
                "forward_filled",
                "warning",
                f"{ticker}: {len(filled)} missing session(s) forward-filled from the previous "
                f"close (gaps of at most {max_ffill} session(s)): {', '.join(dates)}",
                dates,
            )
        )
    if missing.any():
        issues.append(_gap_issue(ticker, index[missing]))
    return _Aligned(aligned, issues)


def _gap_issue(ticker: str, gap: pd.DatetimeIndex) -> DataIssue:
    """NYSE sessions inside a ticker's history without a price: left NaN, reported.

    A yield series (^TNX, ^IRX...) follows the bond-market calendar, which closes on US federal
    holidays such as Columbus Day and Veterans Day while NYSE trades. Those gaps are expected:
    the message states the alignment rule and they are reported as info when every gap is one.
    """
    dates = validation.iso_dates(gap)
    shown = ", ".join(dates[:10]) + (f" and {len(gap) - 10} more" if len(gap) > 10 else "")
    message = (
        f"{ticker}: no price on {len(gap)} NYSE session(s) inside its history, left NaN ({shown})"
    )
    severity: Literal["info", "warning"] = "warning"
    if ticker in validation.YIELD_TICKERS:
        holidays = validation.bond_market_holidays(gap)
        message += (
            f"; {len(holidays)} of them are US federal holidays (bond market closed, NYSE open). "
            "Rule: a yield is aligned to NYSE sessions like any series; sessions without a "
            "published value stay NaN (unless data.max_ffill_sessions allows a reported fill) "
            "and a cash yield carries the last published rate over them"
        )
        if len(holidays) == len(gap):
            severity = "info"
    return DataIssue(ticker, "missing_sessions", severity, message, dates)


def _fill(aligned: pd.DataFrame, dates: pd.DatetimeIndex, prev: pd.Series) -> None:
    """A flat bar at the previous close: prices carried, no volume traded."""
    close = prev["close"]
    aligned.loc[dates, "close"] = close
    aligned.loc[dates, "adj_close"] = prev["adj_close"]
    for name in ("open", "high", "low"):
        if pd.notna(prev[name]):
            aligned.loc[dates, name] = close
    if pd.notna(prev["volume"]):
        aligned.loc[dates, "volume"] = 0.0


def _pre1990_drops(
    sessions: pd.DatetimeIndex, in_range: dict[str, pd.DataFrame]
) -> pd.DatetimeIndex:
    """Pre-1990 calendar sessions no loaded ticker has a row for (likely old holidays)."""
    early = sessions[sessions < RELIABLE_CALENDAR_FROM]
    if early.empty:
        return early
    seen = early[:0]
    for rows in in_range.values():
        seen = seen.union(rows.index[rows.index < RELIABLE_CALENDAR_FROM])
    return early.difference(seen)


def _combined_error(failures: dict[str, RotationLabError]) -> RotationLabError:
    """One error naming every ticker that could not be loaded (fix them all in one go).

    All unknown -> UnknownTickerError (bad input, exit 2); a mix with failed providers ->
    DataUnavailableError (exit 1); one failure is raised as it is.
    """
    if len(failures) == 1:
        return next(iter(failures.values()))
    kinds = {type(f) for f in failures.values()}
    cls: type[RotationLabError] = kinds.pop() if len(kinds) == 1 else DataUnavailableError
    unknown = [t for t, f in failures.items() if isinstance(f, UnknownTickerError)]
    head = f"{len(failures)} tickers could not be loaded ({', '.join(failures)})"
    if unknown:
        head += f"; no provider has {', '.join(unknown)}"
    return cls(f"{head}. " + " ".join(str(f) for f in failures.values()))


def _require_some_data(
    histories: dict[str, History],
    in_range: dict[str, pd.DataFrame],
    sessions: pd.DatetimeIndex,
) -> None:
    """Refuse a period in which none of the tickers has a single price: nothing could run."""
    if any(len(rows) for rows in in_range.values()):
        return
    spans = ", ".join(
        f"{t} {h.first} to {h.last}" if len(h.frame) else f"{t} (no rows)"
        for t, h in histories.items()
    )
    raise BadInputError(
        f"no price for any of {', '.join(histories)} between {sessions[0].date()} and "
        f"{sessions[-1].date()}: the data covers {spans}. Choose a period inside it "
        "(backtest.start / backtest.end)."
    )


# --------------------------------------------------------------------------- public API


def load_market_data(
    tickers: Sequence[str],
    start: object,
    end: object,
    settings: DataSettings,
    project_root: Path,
) -> MarketData:
    """Prices of `tickers` on NYSE sessions in [start, end] (end None = today), reported."""
    names = normalise_tickers(tickers)
    start_ts = _timestamp(start, "start") if start is not None else pd.Timestamp("1900-01-01")
    end_ts = _timestamp(end, "end") if end is not None else pd.Timestamp.today().normalize()
    if end_ts < start_ts:
        raise BadInputError(f"end {end_ts.date()} is before start {start_ts.date()}")
    sessions = nyse_sessions(start_ts, end_ts)
    if sessions.empty:
        raise BadInputError(
            f"there is no NYSE session between {start_ts.date()} and {end_ts.date()}; "
            "widen the period"
        )
    dirs = _Dirs.of(settings, project_root)
    expected_last = min(sessions[-1], yahoo.last_closed_session())

    histories: dict[str, History] = {}
    sources: dict[str, SourceInfo] = {}
    issues: dict[str, list[DataIssue]] = {}
    failures: dict[str, RotationLabError] = {}
    for ticker in names:
        attempt = _Attempt()
        try:
            history, from_cache = _obtain(ticker, settings, dirs, attempt, expected_last)
        except RotationLabError as exc:  # keep going: one message names every failed ticker
            failures[ticker] = exc
            continue
        histories[ticker] = history
        sources[ticker] = history.source_info(served_from_cache=from_cache)
        issues[ticker] = attempt.issues
    if failures:
        raise _combined_error(failures)

    session_rows: dict[str, pd.DataFrame] = {}
    in_range: dict[str, pd.DataFrame] = {}
    for ticker, history in histories.items():
        rows, off_calendar = _calendar_rows(history)
        session_rows[ticker] = rows
        in_range[ticker] = rows.loc[start_ts:end_ts]
        odd = off_calendar[(off_calendar >= start_ts) & (off_calendar <= end_ts)]
        if len(odd):
            dates = validation.iso_dates(odd)
            issues[ticker].append(
                DataIssue(
                    ticker,
                    "non_session_dates",
                    "info",
                    f"{ticker}: {len(odd)} row(s) on dates that are not NYSE sessions were "
                    f"dropped ({', '.join(dates[:10])}{' ...' if len(odd) > 10 else ''})",
                    dates,
                )
            )

    _require_some_data(histories, in_range, sessions)
    global_issues: list[DataIssue] = []
    dropped = _pre1990_drops(sessions, in_range)
    index = sessions.difference(dropped) if len(dropped) else sessions
    index = pd.DatetimeIndex(index, name="date", freq=None).as_unit("ns")
    if len(dropped):
        global_issues.append(
            DataIssue(
                "*",
                "calendar_pre1990",
                "info",
                f"{len(dropped)} pre-1990 calendar session(s) on which none of the loaded "
                "tickers has a price were dropped (the calendar library does not model NYSE "
                "holidays before 1990)",
                validation.iso_dates(dropped),
            )
        )

    aligned: dict[str, pd.DataFrame] = {}
    for ticker in names:
        result = _align_one(ticker, session_rows[ticker], index, settings.max_ffill_sessions)
        aligned[ticker] = result.frame
        issues[ticker].extend(result.issues)
        frame = histories[ticker].frame
        if len(frame):
            issues[ticker].extend(
                validation.validate(
                    ticker,
                    in_range[ticker],
                    frame.index[0],
                    frame.index[-1],
                    index[0],
                    index[-1],
                    settings.max_daily_move,
                )
            )

    fields = {
        name: pd.DataFrame(
            {t: aligned[t][name].to_numpy(dtype=np.float64) for t in names},
            index=index,
            columns=names,
            dtype="float64",
        )
        for name in FIELDS
    }
    all_issues = global_issues + [i for t in names for i in issues[t]]
    return MarketData(fields=fields, sources=sources, issues=all_issues)


def data_status(settings: DataSettings, project_root: Path) -> pd.DataFrame:
    """One row per ticker in the cache or the mirror, from metadata and file ends only."""
    dirs = _Dirs.of(settings, project_root)
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
    names = normalise_tickers(tickers)
    if source is not None and source not in NETWORK_PROVIDERS:
        raise BadInputError(f"source {source!r} is not one of {', '.join(NETWORK_PROVIDERS)}")
    providers = [source] if source else [p for p in settings.providers if p != "cache"]
    if not providers:
        raise BadInputError(
            "no provider to update from: data.providers lists only 'cache'; add mirror or "
            "yfinance, or pass a source"
        )
    dirs = _Dirs.of(settings, project_root)
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
    ticker: str, providers: list[str], settings: DataSettings, dirs: _Dirs
) -> SourceInfo:
    attempt = _Attempt()
    expected_last = yahoo.last_closed_session()
    for provider in providers:
        try:
            history = _from_provider(provider, ticker, settings, dirs)
        except UnknownTickerError as exc:
            attempt.say(provider, str(exc))
            continue
        except DataUnavailableError as exc:
            attempt.say(provider, str(exc), failed=True)
            continue
        _check_duplicates(history)
        why = _partial(history, expected_last)
        if why:
            attempt.say(provider, f"partial download: {why}", failed=True)
            continue
        cache.write_entry(dirs.cache, history, keep_newer=True)
        return history.source_info(served_from_cache=False)
    error = _no_provider_error(ticker, dirs, attempt)
    if "partial download" in attempt.summary():  # a failure (exit 1), as attempt.failed is set
        raise DataUnavailableError(f"{error} The cache entry was left unchanged.")
    raise error
