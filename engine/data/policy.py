"""Which copy of a ticker a load uses: fresh cache, a provider's answer, partial or stale copies.

The providers (cache, mirror, yfinance in the configured order) answer per ticker; the first
usable answer wins. A stale cache is a last resort that is reported. A partial download (rows
without a close, or an end well before the request's) is not a usable answer: later providers
are tried, then a cached copy covering the request, and only then is the partial copy used,
flagged and never cached.
"""

from __future__ import annotations

import pandas as pd

from engine.config.settings import DataSettings
from engine.data import cache, mirror
from engine.data.cache import CorruptCacheError, History
from engine.data.model import DataIssue
from engine.data.providers import (
    Attempt,
    Dirs,
    Partial,
    ask,
    check_duplicates,
    no_provider_error,
    store,
)

__all__ = ["obtain"]


def _read_cache(ticker: str, dirs: Dirs, attempt: Attempt, lock_timeout: float) -> History | None:
    """The cache entry, or None (absent, or corrupt: then reported and moved aside)."""
    path = cache.entry_path(dirs.cache, ticker)
    try:
        entry = cache.read_entry(dirs.cache, ticker)
    except CorruptCacheError as exc:
        moved = cache.move_aside(path, lock_timeout)
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


def _covers(history: History, expected_last: pd.Timestamp) -> bool:
    return bool(len(history.frame)) and history.frame.index[-1] >= expected_last


def obtain(
    ticker: str,
    settings: DataSettings,
    dirs: Dirs,
    attempt: Attempt,
    expected_last: pd.Timestamp,
) -> tuple[History, bool]:
    """The ticker's history from the first provider that has it; (history, from_cache)."""
    use_cache = "cache" in settings.providers
    stale: tuple[History, str] | None = None
    partial: Partial | None = None
    for provider in settings.providers:
        if provider == "cache":
            entry = _read_cache(ticker, dirs, attempt, settings.lock_timeout_s)
            if entry is None:
                continue
            mirror_file = mirror.mirror_path(dirs.mirror, ticker)
            reason = cache.staleness(entry, mirror_file, settings.max_cache_age_days)
            if reason is None:
                check_duplicates(entry)
                return entry, True
            stale = (entry, reason)
            attempt.say("cache", f"stale entry ({reason})")
            continue
        answer = ask(provider, ticker, settings, dirs, attempt, expected_last)
        if isinstance(answer, Partial):
            partial = partial or answer
        elif answer is not None:
            if use_cache:
                store(answer, dirs, settings, attempt)
            _report_failures(ticker, provider, attempt)
            return answer, False
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
        check_duplicates(entry)
        return entry, True
    raise no_provider_error(ticker, dirs, attempt)


def _use_partial(
    ticker: str,
    partial: Partial,
    stale: tuple[History, str] | None,
    expected_last: pd.Timestamp,
    attempt: Attempt,
) -> tuple[History, bool]:
    """Only a partial download came back: prefer a cached copy that covers the request."""
    if stale is not None and _covers(stale[0], expected_last):
        entry = stale[0]
        check_duplicates(entry)
        attempt.issues.append(
            DataIssue(
                ticker,
                "partial_download",
                "warning",
                f"{ticker}: the {partial.provider} download is partial ({partial.why}); the "
                f"cached copy fetched at {entry.fetched_at} covers the request and was used, "
                "and left unchanged",
            )
        )
        return entry, True
    attempt.issues.append(
        DataIssue(
            ticker,
            "partial_download",
            "warning",
            f"{ticker}: the {partial.provider} download is partial ({partial.why}); it is used "
            f"for this run as published (gaps stay NaN) but not cached. Rerun later or refresh "
            f"it with 'run_backtest.py data update {ticker}'. Providers said: "
            f"{attempt.summary()}",
        )
    )
    return partial.history, False


def _report_failures(ticker: str, used: str, attempt: Attempt) -> None:
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
