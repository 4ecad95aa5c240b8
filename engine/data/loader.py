"""Loading aligned prices: request checks, the policy per ticker, alignment, validation.

Each ticker's copy is chosen by `engine.data.policy` (over the provider chain of
`engine.data.providers`); every ticker that cannot be loaded is named in one error. Alignment
(`engine.data.align`) puts every ticker on the same session index and reports, never hides,
what did not fit. The `data` commands live in `engine.data.maintenance`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.config.settings import DataSettings
from engine.data import cache, mirror, validation, yahoo
from engine.data.align import (
    align_one,
    calendar_rows,
    implausible_dates,
    implausible_mask,
    pre1990_drops,
)
from engine.data.cache import History
from engine.data.model import FIELDS, DataIssue, MarketData, SourceInfo
from engine.data.policy import obtain as _obtain
from engine.data.providers import Attempt, Dirs
from engine.errors import (
    BadInputError,
    DataQualityError,
    DataUnavailableError,
    RotationLabError,
    UnknownTickerError,
    shorten,
)

__all__ = ["load_market_data", "normalise_tickers"]

TICKER_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,19}$")


def normalise_tickers(tickers: Sequence[str]) -> list[str]:
    """Upper-cased tickers; refuses empty requests, bad symbols and duplicates."""
    if isinstance(tickers, str):
        tickers = [tickers]
    out: list[str] = []
    for raw in tickers:
        ticker = str(raw).strip().upper()
        if not TICKER_RE.match(ticker):
            raise BadInputError(
                f"ticker {shorten(repr(raw))} is not a valid symbol (at most 20 characters); "
                "use letters, digits, '.', '-', '=' and "
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
        raise BadInputError(
            f"{what} date {shorten(repr(value))} is not a date; use YYYY-MM-DD"
        ) from exc
    if ts is pd.NaT:
        raise BadInputError(f"{what} date {shorten(repr(value))} is not a date; use YYYY-MM-DD")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts.normalize()


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
    dirs = Dirs.of(settings, project_root)
    expected_last = min(sessions[-1], yahoo.last_closed_session())
    key = (tuple(names), start_ts, end_ts, expected_last, settings.model_dump_json(), dirs)
    recent = _recent_load(key, names, dirs, settings)
    if recent is not None:
        return recent

    histories: dict[str, History] = {}
    sources: dict[str, SourceInfo] = {}
    issues: dict[str, list[DataIssue]] = {}
    failures: dict[str, RotationLabError] = {}
    served_from_cache: dict[str, bool] = {}
    for ticker in names:
        attempt = Attempt()
        try:
            history, from_cache = _obtain(ticker, settings, dirs, attempt, expected_last)
        except RotationLabError as exc:  # keep going: one message names every failed ticker
            failures[ticker] = exc
            continue
        histories[ticker] = history
        served_from_cache[ticker] = from_cache
        sources[ticker] = history.source_info(served_from_cache=from_cache)
        issues[ticker] = attempt.issues
        far = implausible_dates(history)
        if far is not None:
            issues[ticker].append(far)
    if failures:
        raise _combined_error(failures)

    session_rows: dict[str, pd.DataFrame] = {}
    in_range: dict[str, pd.DataFrame] = {}
    for ticker, history in histories.items():
        rows, off_calendar = calendar_rows(history)
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
    dropped = pre1990_drops(sessions, in_range)
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
        result = align_one(ticker, session_rows[ticker], index, settings.max_ffill_sessions)
        aligned[ticker] = result.frame
        issues[ticker].extend(result.issues)
        frame = histories[ticker].frame
        frame = frame[~implausible_mask(frame.index)]
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
    if settings.strict:
        _refuse_warnings(all_issues)
    data = MarketData(fields=fields, sources=sources, issues=all_issues)
    if settings.providers[0] == "cache" and all(served_from_cache.values()):
        _remember_load(key, names, dirs, histories, data)
    return data


# Loads served wholly from fresh cache entries, kept for the next identical request in this
# process (a notebook re-running a strategy): the load is a function of the request, the clock's
# last session and the entries, so while every entry file is unchanged and still fresh by the
# cache policy (`cache.staleness`), loading again would give the same MarketData. Strategies
# treat the data as read-only (they are pure functions of it).
_RECENT_LOADS: dict[tuple, tuple[tuple, dict[str, History], MarketData]] = {}
_RECENT_MAX = 8


def _files_fingerprint(names: list[str], dirs: Dirs) -> tuple:
    out = []
    for ticker in names:
        for path in (cache.entry_path(dirs.cache, ticker), mirror.mirror_path(dirs.mirror, ticker)):
            try:
                stat = path.stat()
            except OSError:
                out.append(None)
                continue
            out.append((stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def _remember_load(
    key: tuple, names: list[str], dirs: Dirs, histories: dict[str, History], data: MarketData
) -> None:
    if len(_RECENT_LOADS) >= _RECENT_MAX:
        _RECENT_LOADS.pop(next(iter(_RECENT_LOADS)))
    _RECENT_LOADS[key] = (_files_fingerprint(names, dirs), dict(histories), data)


def _recent_load(
    key: tuple, names: list[str], dirs: Dirs, settings: DataSettings
) -> MarketData | None:
    """The data of an identical earlier load when every entry it used is unchanged and fresh."""
    hit = _RECENT_LOADS.get(key)
    if hit is None:
        return None
    fingerprint, histories, data = hit
    if _files_fingerprint(names, dirs) != fingerprint:
        return None
    for ticker, history in histories.items():
        mirror_file = mirror.mirror_path(dirs.mirror, ticker)
        if cache.staleness(history, mirror_file, settings.max_cache_age_days) is not None:
            return None
    return data


def _refuse_warnings(issues: Sequence[DataIssue]) -> None:
    """`data.strict`: a warning about the data (an unadjusted split's jump, a gap, a stale
    cache) stops the run instead of being printed beside its results."""
    serious = [i for i in issues if i.severity in ("warning", "error")]
    if serious:
        more = f" (and {len(serious) - 1} more)" if len(serious) > 1 else ""
        raise DataQualityError(
            f"data.strict is set and the data has a warning: {serious[0].message}{more}; fix "
            "the data, or run without --strict (data.strict = false) to see the results with "
            "the warnings"
        )
