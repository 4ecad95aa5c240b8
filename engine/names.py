"""Names a person gives (strategies, benchmarks, claims): refused when they hold control
characters, which no report format can show faithfully (issue: every output escaped)."""

from __future__ import annotations

import unicodedata

from engine.errors import BadInputError

__all__ = ["control_characters", "printable", "refuse_control_characters"]


def control_characters(text: str) -> list[str]:
    """The control characters (Unicode category Cc, and line/paragraph separators) in text."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")]


def refuse_control_characters(text: str, what: str) -> str:
    """`text` unchanged, or a BadInputError naming what holds a control character."""
    from engine.errors import shorten

    found = control_characters(text)
    if found:
        raise BadInputError(
            f"{what} {shorten(repr(text))} holds a control character ({found[0]!r}); use "
            "printable characters only (no newline, tab or escape)"
        )
    return text


def printable(text: str, what: str) -> str:
    """`text` unchanged, or a ValueError naming what holds a control character: for the
    pydantic validators of names and titles in configs and claim files."""
    found = control_characters(text)
    if found:
        raise ValueError(
            f"{what} holds a control character ({found[0]!r}); use printable characters only "
            "(no newline, tab or escape)"
        )
    return text
