"""The provider chain, written once: asking one provider (mirror, yfinance) for a ticker.

Both a load (`engine.data.loader`) and `data update` (`engine.data.maintenance`) walk the
configured providers through `ask`, so what counts as an answer, a failure or a partial
download is decided in one place. The cache is not a provider here: whether a cached copy is
fresh enough is the load policy's business (`engine.data.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.config.settings import DataSettings
from engine.data import cache, mirror, validation, yahoo
from engine.data.cache import History
from engine.data.model import FIELDS, DataIssue
from engine.errors import (
    BadInputError,
    DataQualityError,
    DataUnavailableError,
    RotationLabError,
    UnknownTickerError,
    closest,
    shorten,
)

__all__ = [
    "NETWORK_PROVIDERS",
    "Attempt",
    "Dirs",
    "Partial",
    "ask",
    "check_duplicates",
    "known_tickers",
    "no_provider_error",
    "resolve_dir",
    "store",
]

NETWORK_PROVIDERS = ("mirror", "yfinance")
MAX_SAID = 500  # characters of one provider's answer quoted in an error
MAX_SAID_YAHOO = 200  # Yahoo's client errors run to pages; the gist is in the first words


def resolve_dir(value: str, project_root: Path) -> Path:
    """A settings folder: absolute as given, else relative to the project root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(project_root) / path


@dataclass(frozen=True)
class Dirs:
    cache: Path
    mirror: Path

    @classmethod
    def of(cls, settings: DataSettings, project_root: Path) -> Dirs:
        """The data folders; a path that exists but is not a folder is bad input (exit 2)."""
        dirs = cls(
            cache=resolve_dir(settings.cache_dir, project_root),
            mirror=resolve_dir(settings.mirror_dir, project_root),
        )
        for key, path in (("data.cache_dir", dirs.cache), ("data.mirror_dir", dirs.mirror)):
            if path.exists() and not path.is_dir():
                raise BadInputError(
                    f"{key} = {shorten(str(path), 300)} is a file, not a folder; point {key} to a "
                    "folder (or move the file away)"
                )
        return dirs


@dataclass
class Attempt:
    """What the providers answered for one ticker, for errors and issues."""

    answers: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # providers that failed (not just lacked)
    issues: list[DataIssue] = field(default_factory=list)

    def say(self, provider: str, text: str, failed: bool = False) -> None:
        limit = MAX_SAID_YAHOO if provider == "yfinance" else MAX_SAID
        self.answers.append(f"{provider}: {shorten(text, limit)}")
        if failed:
            self.failed.append(provider)

    def summary(self) -> str:
        return "; ".join(self.answers)


@dataclass(frozen=True)
class Partial:
    """A download known to be incomplete: usable for one run when nothing better exists."""

    history: History
    provider: str
    why: str


def known_tickers(dirs: Dirs) -> list[str]:
    """Tickers available offline (mirror files and cache entries), for "did you mean"."""
    names = set(mirror.list_tickers(dirs.mirror))
    if dirs.cache.is_dir():
        names.update(p.name[: -len(".parquet")] for p in dirs.cache.glob("*.parquet"))
    return sorted(names)


def _settings_for(ticker: str, settings: DataSettings, dirs: Dirs) -> DataSettings:
    """A ticker nobody has offline but close to one that is (QQQQ for QQQ) is most likely a
    typo: one download attempt settles it, retries with backoff would only delay the answer."""
    known = known_tickers(dirs)
    if ticker not in known and closest(ticker, known):
        return settings.model_copy(update={"download_retries": 1})
    return settings


def _fetch(provider: str, ticker: str, settings: DataSettings, dirs: Dirs) -> History:
    """One provider's history; raises UnknownTickerError when it lacks the ticker."""
    if provider == "mirror":
        history = mirror.read_mirror(dirs.mirror, ticker)
        if history is None:
            raise UnknownTickerError(f"no file {mirror.mirror_path(dirs.mirror, ticker)}")
        return history
    if provider == "yfinance":
        return yahoo.download_history(ticker, _settings_for(ticker, settings, dirs))
    raise BadInputError(f"unknown data provider {provider!r}; use cache, mirror or yfinance")


def check_duplicates(history: History) -> None:
    issue = validation.duplicate_dates(history.ticker, history.frame, history.source_lines)
    if issue is not None:
        raise DataQualityError(f"{issue.message} (source: {history.origin})")


def _partial_reason(history: History, expected_last: pd.Timestamp) -> str:
    """Why a downloaded history is incomplete ("" when whole); mirror files are taken as they
    are (their short ends are validation findings, not failed downloads)."""
    if history.provider != "yfinance":
        return ""
    reasons = [r for r in (history.partial, yahoo.truncated(history, expected_last)) if r]
    return "; ".join(reasons)


def ask(
    provider: str,
    ticker: str,
    settings: DataSettings,
    dirs: Dirs,
    attempt: Attempt,
    expected_last: pd.Timestamp,
) -> History | Partial | None:
    """One provider's answer: a whole history, a Partial one, or None (lacked it or failed,
    recorded in `attempt`). Duplicate dates are refused here, whatever the caller."""
    try:
        history = _fetch(provider, ticker, settings, dirs)
    except UnknownTickerError as exc:
        attempt.say(provider, str(exc))
        return None
    except DataUnavailableError as exc:
        attempt.say(provider, str(exc), failed=True)
        return None
    check_duplicates(history)
    why = _partial_reason(history, expected_last)
    if why:
        attempt.say(provider, f"partial download: {why}", failed=True)
        return Partial(history, provider, why)
    return history


def no_provider_error(ticker: str, dirs: Dirs, attempt: Attempt) -> RotationLabError:
    """Nobody supplied the ticker. A close offline ticker makes it a typo (bad input, exit 2)
    even when Yahoo could not be reached to confirm; otherwise a failure names what failed."""
    hint = closest(ticker, known_tickers(dirs))
    csv_fix = (
        f"put a {ticker}.csv file (columns date,{','.join(FIELDS)}) in the mirror folder "
        f"{dirs.mirror}"
    )
    said = shorten(attempt.summary(), 3 * MAX_SAID)
    if hint and hint[0] != ticker:
        checked = (
            "Yahoo Finance could not be reached to check it"
            if "yfinance" in attempt.failed
            else "no provider has it"
        )
        return UnknownTickerError(
            f"{ticker}: unknown ticker (no mirror file or cache entry, and {checked}); did you "
            f"mean {hint[0]}? Fix the spelling, or {csv_fix} (providers said: {said})"
        )
    if attempt.failed:
        return DataUnavailableError(
            f"{ticker}: no provider could supply it ({said}). Fix the problem above (network, "
            f"file) and retry, or check the ticker's spelling, or {csv_fix}."
        )
    return UnknownTickerError(
        f"{ticker}: no provider has this ticker ({said}). Check the ticker's spelling, or "
        f"{csv_fix}."
    )


def store(history: History, dirs: Dirs, settings: DataSettings, attempt: Attempt) -> None:
    """Cache a fresh history; a failed write is reported but does not fail the load.

    If another process cached a later fetch of the ticker meanwhile, that entry is kept.
    """
    try:
        cache.write_entry(
            dirs.cache, history, keep_newer=True, lock_timeout=settings.lock_timeout_s
        )
    except DataUnavailableError as exc:
        attempt.issues.append(
            DataIssue(
                history.ticker,
                "cache_write_failed",
                "warning",
                f"{exc} The prices were used for this run but not cached.",
            )
        )
