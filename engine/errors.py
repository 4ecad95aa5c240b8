"""Errors a user can act on.

Every expected failure is one of these, so the CLI can print a one-line cause and pick the exit
code (2 = the input was wrong, 1 = something failed while running) instead of a traceback.
"""

from __future__ import annotations


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
