"""Errors a user can act on.

Every expected failure is one of these, so the CLI can print a one-line cause and pick the exit
code (2 = the input was wrong, 1 = something failed while running) instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = [
    "BadInputError",
    "ConfigError",
    "DataQualityError",
    "DataUnavailableError",
    "RotationLabError",
    "UnknownTickerError",
    "closest",
    "shorten",
    "unknown_name",
]

MAX_SHOWN = 60  # characters of a user's value echoed back in a message


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` cut to `limit` characters with its full length said, so a huge value a user
    pasted (or a fuzzer made) never floods the terminal."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 3]}... ({len(text):,} characters)"


def closest(name: str, known: Sequence[str], n: int = 1) -> list[str]:
    """The known names nearest to a misspelt one (difflib's ratio, case-insensitive)."""
    lowered = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name[:100].lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def unknown_name(what: str, name: str, known: Sequence[str]) -> str:
    """'unknown strategy 'rsi_trm'; did you mean 'rsi_trim'? (known: ...)'."""
    hint = closest(name, known)
    tip = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown {what} {shorten(repr(name))}{tip} (known: {', '.join(known)})"


class RotationLabError(Exception):
    """Base of all expected failures; `exit_code` tells the CLI how to exit."""

    exit_code = 1


class BadInputError(RotationLabError, ValueError):
    """The user asked for something invalid: a config value, a CLI argument, a ticker.

    A `ValueError` too, so Python callers (`import engine as rl`) can catch bad input the usual
    way; the message is the one the command line prints.
    """

    exit_code = 2


class ConfigError(BadInputError):
    """A config key or value is refused; the message names the key, the value and the rule."""


class UnknownTickerError(BadInputError):
    """No provider knows the ticker at all (as opposed to a provider being unreachable)."""


class DataUnavailableError(RotationLabError):
    """The data could not be obtained or read (offline, empty download, corrupt cache...)."""


class DataQualityError(RotationLabError):
    """The data exists but cannot be used as asked (e.g. a held ticker has no price)."""
